"""The sandbox in a process of its own, so that it never competes with the measured code for
the interpreter lock; steered over a pipe.

Free of Django imports: ``multiprocessing`` starts it with ``spawn``.
"""

from __future__ import annotations

import contextlib
import multiprocessing
from types import TracebackType
from typing import Any


def _serve(connection: Any, options: dict[str, Any]) -> None:
    from coolsms_oauth_django.sandbox import Sandbox

    with Sandbox(**options) as sandbox:
        connection.send(
            {
                "base_url": sandbox.base_url,
                "client_id": sandbox.client_id,
                "client_secret": sandbox.client_secret,
                "member_id": sandbox.default_user.member_id,
            }
        )
        while True:
            command = connection.recv()
            if command is None:
                break
            name, args = command
            try:
                connection.send(("ok", getattr(sandbox, name)(*args)))
            except Exception as err:  # handed back to the caller
                connection.send(("error", f"{type(err).__name__}: {err}"))
    connection.close()


class SandboxProcess:
    """Start ``Sandbox(**options)`` in a child process; call its inspection methods."""

    def __init__(self, **options: Any) -> None:
        context = multiprocessing.get_context("spawn")
        self._closed = False
        self._pipe, theirs = context.Pipe()
        self._process = context.Process(target=_serve, args=(theirs, options), daemon=True)
        self._process.start()
        theirs.close()
        if not self._pipe.poll(60):
            self.close()
            raise RuntimeError("the sandbox process did not start")
        info = self._pipe.recv()
        self.base_url: str = info["base_url"]
        self.client_id: str = info["client_id"]
        self.client_secret: str = info["client_secret"]
        self.member_id: str = info["member_id"]

    def call(self, name: str, *args: Any) -> Any:
        """Call ``Sandbox.<name>(*args)`` in the child and return its result."""
        self._pipe.send((name, args))
        status, result = self._pipe.recv()
        if status != "ok":
            raise RuntimeError(result)
        return result

    def token_calls(self) -> dict[str, int]:
        """Return the token-endpoint calls by grant type."""
        calls: dict[str, int] = self.call("token_calls")
        return calls

    def refresh_calls(self) -> int:
        """Return how many refresh-token grants the token endpoint has answered."""
        return self.token_calls().get("refresh_token", 0)

    def live_grants(self) -> list[dict[str, Any]]:
        """Return the grants issued since the last reset."""
        grants: list[dict[str, Any]] = self.call("live_grants")
        return grants

    def close(self) -> None:
        """Stop the sandbox and its process; safe to call twice."""
        if self._closed:
            return
        self._closed = True
        if self._process.is_alive():
            with contextlib.suppress(OSError):
                self._pipe.send(None)
            self._process.join(10)
        if self._process.is_alive():
            self._process.terminate()
            self._process.join()
        self._pipe.close()
        self._process.close()

    def __enter__(self) -> SandboxProcess:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
