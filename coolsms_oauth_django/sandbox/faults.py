"""Injected faults: make the next requests to a path fail, hang or drop."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

#: A fault's Content-Type: one line of printable ASCII, so it cannot add headers of its own.
_CONTENT_TYPE = re.compile(r"[!-~][ -~]*")


@dataclass
class Fault:
    """What to do to the next ``remaining`` requests for ``path``."""

    path: str
    status: int | None = None
    body: bytes = b""
    content_type: str = "application/json"
    delay: float = 0.0
    drop: bool = False
    remaining: int = 1


def encode_body(body: str | bytes | dict[str, Any] | list[Any] | None) -> bytes:
    """Turn a fault body given as text, bytes or JSON-able data into bytes."""
    if body is None:
        return b""
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, ensure_ascii=False).encode("utf-8")


class FaultPlan:
    """The queue of injected faults; callers hold the sandbox lock."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue ``fault`` behind the faults already waiting for its path."""
        if fault.remaining < 1:
            raise ValueError("count must be at least 1")
        if fault.status is not None and not 100 <= fault.status <= 599:
            raise ValueError("status must be an HTTP status code")
        if fault.delay < 0:
            raise ValueError("delay must not be negative")
        if not _CONTENT_TYPE.fullmatch(fault.content_type):
            raise ValueError("content_type must be one line of printable ASCII")
        self._faults.append(fault)

    def clear(self) -> None:
        """Forget every queued fault."""
        self._faults.clear()

    def take(self, path: str) -> Fault | None:
        """Return the fault for this request to ``path``, if one is due, and count it down."""
        for fault in self._faults:
            if fault.path == path:
                fault.remaining -= 1
                if fault.remaining == 0:
                    self._faults.remove(fault)
                return fault
        return None


def make_fault(
    path: str,
    *,
    status: int | None = None,
    body: str | bytes | dict[str, Any] | list[Any] | None = None,
    content_type: str = "application/json",
    delay: float = 0.0,
    drop: bool = False,
    count: int = 1,
) -> Fault:
    """Build a fault from the options :meth:`Sandbox.inject_fault` takes."""
    if not path.startswith("/"):
        raise ValueError("path must start with /")
    return Fault(path, status, encode_body(body), content_type, float(delay), drop, count)
