"""The threaded HTTP server: reads requests, applies faults, routes, writes responses."""

from __future__ import annotations

import contextlib
import logging
import socket
import sys
import threading
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit

from ..endpoints import AUTHORIZE_PATH, TOKEN_PATH
from .api import bearer_token, find_route, handle_api
from .authorize import handle_authorize
from .control import CONTROL_PREFIX, handle_control
from .errors import UNAUTHORIZED, SandboxError
from .faults import Fault
from .guard import allowed_host_names, check_host
from .memory import SandboxState
from .pages import index_page
from .redact import redact_body, redact_headers, redact_query
from .token_endpoint import handle_token, peek_grant_type
from .web import Request, Response, error_response, html_response, method_not_allowed

logger = logging.getLogger(__name__)

#: The largest request body the sandbox reads (CoolSMS takes sends of up to 15 MB).
MAX_BODY = 15 * 1024 * 1024


def bearer_challenge(request: Request, error: SandboxError) -> str:
    """Return the ``WWW-Authenticate`` value for an API call refused for its token.

    RFC 6750 §3.1: no error code when the request offered no bearer token at all,
    ``invalid_request`` for a malformed ``Authorization`` header, ``invalid_token`` for a token
    that is expired, revoked or not the sandbox's, ``insufficient_scope`` for a missing scope.
    """
    if error.status == 403:
        return 'Bearer error="insufficient_scope"'
    if not (request.header("authorization") or "").lower().startswith("bearer"):
        return "Bearer"
    try:
        bearer_token(request)
    except SandboxError:
        return 'Bearer error="invalid_request"'
    return 'Bearer error="invalid_token"'


def dispatch(request: Request, state: SandboxState, base_url: str) -> Response:
    """Route ``request`` to its endpoint and turn refusals into CoolSMS error bodies.

    ``HEAD`` is answered as ``GET`` (the server leaves the body out); a 405 carries ``Allow``
    and an API call refused for its token carries ``WWW-Authenticate``, whatever the endpoint.
    """
    if request.method == "HEAD":
        request = replace(request, method="GET")
    try:
        if request.path == "/":
            if request.method != "GET":
                raise method_not_allowed("GET")
            with state.lock:
                users = list(state.users.values())
                page = index_page(
                    base_url=base_url,
                    client_id=state.config.client_id,
                    users=users,
                    messages=state.messages(),
                )
            return html_response(page)
        if request.path == AUTHORIZE_PATH:
            return handle_authorize(request, state)
        if request.path == TOKEN_PATH:
            return handle_token(request, state)
        route = find_route(request.path)
        if route is not None:
            return handle_api(request, state, route)
        if request.path.startswith(CONTROL_PREFIX):
            return handle_control(request, state)
        raise SandboxError(404, "NotFound", f"no resource at {request.path}")
    except SandboxError as err:
        if err.error_code == UNAUTHORIZED and find_route(request.path) is not None:
            err.headers.append(("WWW-Authenticate", bearer_challenge(request, err)))
        return error_response(err)
    except Exception:
        logger.exception("sandbox failed to answer %s %s", request.method, request.path)
        return error_response(SandboxError(500, "InternalError", "the sandbox failed"))


class SandboxHTTPServer(ThreadingHTTPServer):
    """A threaded server that can close its open connections when it stops."""

    daemon_threads = True
    block_on_close = False
    # socketserver's default backlog of 5 resets connections when many clients arrive at once.
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        state: SandboxState,
        *,
        verbose: bool = False,
    ) -> None:
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        self.state = state
        self.verbose = verbose
        #: The ``Host`` names the server answers to (see :mod:`.guard`).
        self.allowed_hosts = allowed_host_names(address[0], state.config.allowed_hosts)
        self.base_url = ""
        self.stopping = threading.Event()
        self._connections: set[socket.socket] = set()
        self._idle = threading.Condition()
        super().__init__(address, SandboxRequestHandler)

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        """Serve one connection, keeping track of it so :meth:`close_connections` can end it."""
        with self._idle:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._idle:
                self._connections.discard(request)
                self._idle.notify_all()

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Stay quiet when the client went away (a browser closing a tab resets its
        connections, as ``runserver`` also takes in its stride); report anything else."""
        if isinstance(sys.exc_info()[1], (ConnectionResetError, BrokenPipeError)):
            logger.debug("client %s closed its connection", client_address[0])
            return
        super().handle_error(request, client_address)

    def close_connections(self, timeout: float = 5.0) -> None:
        """End every open connection and wait for their threads to finish."""
        with self._idle:
            for connection in list(self._connections):
                with contextlib.suppress(OSError):
                    connection.shutdown(socket.SHUT_RDWR)
            self._idle.wait_for(lambda: not self._connections, timeout)


class SandboxRequestHandler(BaseHTTPRequestHandler):
    """Turn each HTTP request into a :class:`Request` and write back the :class:`Response`."""

    server: SandboxHTTPServer
    protocol_version = "HTTP/1.1"
    server_version = "CoolSMSSandbox/1.0"
    sys_version = ""
    #: Idle keep-alive connections are closed after this many seconds.
    timeout = 30
    # Headers and body go out in two writes; with Nagle on, each answer waits for an ACK.
    disable_nagle_algorithm = True

    def _read_body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            raise SandboxError(411, "ValidationError", "send a Content-Length, not chunks")
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0:
            raise SandboxError(400, "ValidationError", "Content-Length is invalid")
        if length > MAX_BODY:
            raise SandboxError(413, "ValidationError", "request body is too large")
        return self.rfile.read(length)

    def _handle(self) -> None:
        try:
            body = self._read_body()
        except SandboxError as err:
            self.close_connection = True
            self._send(error_response(err))
            return
        target = urlsplit(self.path)
        request = Request(
            method=self.command,
            path=target.path,
            query_string=target.query,
            headers={name.lower(): value for name, value in self.headers.items()},
            body=body,
        )
        try:
            check_host(request, self.server.allowed_hosts)
        except SandboxError as err:
            self._send(error_response(err))
            return
        state = self.server.state
        if not request.path.startswith(CONTROL_PREFIX):
            fault = self._observe(request, state)
            if fault is not None and self._apply_fault(fault):
                return
        self._send(dispatch(request, state, self.server.base_url))

    # http.server calls do_<METHOD>; every method goes through dispatch, which answers a method
    # a path does not take with a 405 and its Allow header, and HEAD as GET without the body.
    do_GET = do_HEAD = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _handle

    def _observe(self, request: Request, state: SandboxState) -> Fault | None:
        """Record the request, count token calls and return the fault due for it."""
        state.record_request(
            {
                "method": request.method,
                "path": request.path,
                "query": redact_query(request.query_string),
                "headers": redact_headers(list(self.headers.items())),
                "body": redact_body(request.body, request.content_type),
            }
        )
        if request.path == TOKEN_PATH and request.method == "POST":
            state.count_token_call(peek_grant_type(request) or "")
        return state.take_fault(request.path)

    def _apply_fault(self, fault: Fault) -> bool:
        """Carry out ``fault``; return True when it answered (or dropped) the request."""
        if fault.delay:
            self.server.stopping.wait(fault.delay)
        if fault.drop:
            self.close_connection = True
            return True
        if fault.status is None:
            return False
        self._send(Response(fault.status, fault.body, fault.content_type))
        return True

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers:
            self.send_header(name, value)
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(response.body)

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        """Log the method, path (never the query, which may hold a code) and status."""
        if self.server.verbose:
            path = urlsplit(self.path).path
            sys.stderr.write(f"{self.command} {path} {code}\n")

    def log_message(self, format: str, *args: Any) -> None:
        """Keep http.server's own messages quiet unless the sandbox is verbose."""
        if self.server.verbose:
            sys.stderr.write("sandbox: " + (format % args) + "\n")
