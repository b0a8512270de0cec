"""The :class:`Sandbox`: start and stop the server, steer it and look inside it."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from ..endpoints import DOCUMENTED_ACCESS_TOKEN_LIFETIME
from .config import DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, SandboxConfig
from .faults import make_fault
from .memory import SandboxState
from .server import SandboxHTTPServer
from .users import SandboxUser, default_users

logger = logging.getLogger(__name__)

#: Seconds between two looks for delivery reports that fell due.
REPORT_INTERVAL = 0.2


class Sandbox:
    """A local CoolSMS-compatible OAuth2 provider and API, served from a background thread."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        auto_approve: bool = False,
        rotate_refresh_tokens: bool = False,
        access_token_ttl: int = DOCUMENTED_ACCESS_TOKEN_LIFETIME,
        client_id: str = DEFAULT_CLIENT_ID,
        client_secret: str = DEFAULT_CLIENT_SECRET,
        redirect_uris: list[str] | None = None,
        users: list[SandboxUser] | None = None,
        include_expires_in: bool = False,
        allowed_hosts: list[str] | None = None,
        clock: Callable[[], float] = time.time,
        verbose: bool = False,
    ) -> None:
        self.host = host
        self.port = port
        #: The IP address the server listens on, once started.
        self.address: str | None = None
        self.verbose = verbose
        #: Where the sandbox reads the time; tests may replace it to skip ahead.
        self.clock = clock
        self.config = SandboxConfig(
            client_id=client_id,
            client_secret=client_secret,
            redirect_uris=tuple(redirect_uris) if redirect_uris is not None else None,
            auto_approve=auto_approve,
            rotate_refresh_tokens=rotate_refresh_tokens,
            access_token_ttl=access_token_ttl,
            include_expires_in=include_expires_in,
            allowed_hosts=tuple(allowed_hosts or ()),
        )
        self._state = SandboxState(
            self.config, users if users is not None else default_users(), self._now
        )
        self._server: SandboxHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._courier: threading.Thread | None = None
        self._courier_stop = threading.Event()

    def _now(self) -> float:
        return self.clock()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Bind the port and serve from a daemon thread; return the sandbox."""
        if self._server is not None:
            raise RuntimeError("the sandbox is already running")
        server = SandboxHTTPServer((self.host, self.port), self._state, verbose=self.verbose)
        self.port = server.server_address[1]
        self.address = str(server.server_address[0])
        server.base_url = self.base_url
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.01},  # how quickly stop() is noticed
            name=f"coolsms-sandbox-{self.port}",
            daemon=True,
        )
        self._server, self._thread = server, thread
        thread.start()
        self._courier_stop.clear()
        self._courier = threading.Thread(
            target=self._deliver_until_stopped, name=f"coolsms-sandbox-reports-{self.port}"
        )
        self._courier.daemon = True
        self._courier.start()
        return self

    def _deliver_until_stopped(self) -> None:
        """POST the delivery reports that fall due, a few times a second, until stopped."""
        while not self._courier_stop.wait(REPORT_INTERVAL):
            try:
                self._state.webhooks.pump()
            except Exception:
                logger.exception("the sandbox failed to deliver reports")

    def stop(self) -> None:
        """Stop serving, end open connections and release the port; safe to call twice."""
        server, thread = self._server, self._thread
        if server is None or thread is None:
            return
        self._server = self._thread = None
        self._courier_stop.set()
        if self._courier is not None:
            self._courier.join()
            self._courier = None
        server.stopping.set()
        server.shutdown()
        thread.join()
        server.close_connections()
        server.server_close()

    @property
    def running(self) -> bool:
        """Tell whether the sandbox is serving."""
        return self._server is not None

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        where = self.base_url if self.port else "not started"
        return f"<Sandbox {where}>"

    # -- what clients need to know ---------------------------------------------------------

    @property
    def base_url(self) -> str:
        """Return the URL to use as CoolSMS's base URL, without a trailing slash."""
        if not self.port:
            raise RuntimeError("start the sandbox first: it has no port yet")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def client_id(self) -> str:
        """Return the client id the sandbox accepts."""
        return self.config.client_id

    @property
    def client_secret(self) -> str:
        """Return the client secret the sandbox accepts."""
        return self.config.client_secret

    @property
    def users(self) -> list[SandboxUser]:
        """Return the sandbox users (live: balances change as messages are sent)."""
        with self._state.lock:
            return list(self._state.users.values())

    @property
    def default_user(self) -> SandboxUser:
        """Return the user auto-approval signs in as."""
        return self._state.default_user

    # -- control ---------------------------------------------------------------------------

    def revoke(self, member_id: str | None = None) -> int:
        """Revoke every grant of ``member_id`` (all members when None); return how many."""
        return self._state.revoke(member_id)

    # The keywords repeat faults.make_fault's on purpose: spelled out, the public method's
    # signature documents them (help(), editors) and mypy checks each call.
    def inject_fault(
        self,
        path: str,
        *,
        status: int | None = None,
        body: str | bytes | dict[str, Any] | list[Any] | None = None,
        content_type: str = "application/json",
        delay: float = 0.0,
        drop: bool = False,
        count: int = 1,
    ) -> None:
        """Make the next ``count`` requests to ``path`` fail, hang first, or drop."""
        fault = make_fault(
            path,
            status=status,
            body=body,
            content_type=content_type,
            delay=delay,
            drop=drop,
            count=count,
        )
        self._state.add_fault(fault)

    def clear_faults(self) -> None:
        """Forget every injected fault."""
        self._state.clear_faults()

    def expire_access_tokens(self, member_id: str | None = None) -> int:
        """Make the access tokens issued so far expired; return how many."""
        return self._state.expire_access_tokens(member_id)

    def reset(self) -> None:
        """Forget grants, codes, sessions, messages, counters, requests and faults."""
        self._state.reset()

    # -- inspection ------------------------------------------------------------------------

    def token_calls(self) -> dict[str, int]:
        """Return the token-endpoint calls by grant type, failed ones included."""
        return self._state.token_calls()

    def requests_seen(self) -> list[dict[str, Any]]:
        """Return the requests seen (control calls excluded), with secrets masked."""
        return self._state.requests_seen()

    def messages(self) -> list[dict[str, Any]]:
        """Return the messages sent through ``/messages/v4/send``."""
        return self._state.messages()

    def live_grants(self) -> list[dict[str, Any]]:
        """Return the grants issued since the last reset, each with its ``revoked`` flag."""
        return self._state.live_grants()

    def deliver_reports(self) -> int:
        """POST the delivery reports due on the sandbox's clock now; return how many POSTs.

        The sandbox does this a few times a second on its own; a test that moves the clock
        calls it to have the reports out before it looks.
        """
        return self._state.webhooks.pump()

    def report_deliveries(self) -> list[dict[str, Any]]:
        """Return every delivery of reports to a webhook, with its attempts and state."""
        return self._state.webhooks.delivery_views()

    def balance(self, member_id: str) -> float:
        """Return the balance of ``member_id``."""
        return self._state.balance(member_id)
