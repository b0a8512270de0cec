"""The errors that need no Django, and how every error leaves this app detached.

The base class :class:`CoolSMSOAuthError` and the token endpoint's errors live here, so the
protocol layer (:mod:`.oauth`), which the Django-free sandbox shares, can raise them; import
them from :mod:`.exceptions`, which adds the errors that are also Django's types.

An error report (Django's debug page, the error e-mail, an error tracker) shows the local
variables of every frame an exception passed through, and of every exception chained to it.
Below the public functions those frames hold what was sent: ``requests``' and urllib3's hold
the ``Authorization`` header and the request body, ours the tokens and the client secret. So
errors leave those functions *detached* (:func:`detach_errors`): without the frames below and
without the exceptions behind them, whose text goes into the message instead
(:func:`failure_reason`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")
E = TypeVar("E", bound=BaseException)


class CoolSMSOAuthError(Exception):
    """Base class of every error raised by coolsms_oauth_django."""


class TokenError(CoolSMSOAuthError):
    """The token endpoint refused a request or answered with something unusable."""

    retryable = False

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        error_code: str = "",
        description: str = "",
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code
        self.description = description


class InvalidGrant(TokenError):
    """The code or refresh token is no longer valid; the user must connect again."""


class TokenRefreshError(TokenError):
    """Refreshing failed for a passing reason (5xx, timeout, network); try again later."""

    retryable = True


def detached(error: E) -> E:
    """Return ``error`` without its traceback and without the exceptions chained to it.

    A direct cause that is this app's own error (a refused refresh behind
    :class:`~.exceptions.ReconnectRequired`, say) stays, detached in turn. Raise the result
    outside an ``except`` block, or Python chains the handled exception again.
    """
    cause = error.__cause__
    error.__cause__ = detached(cause) if isinstance(cause, CoolSMSOAuthError) else None
    error.__context__ = None
    error.__suppress_context__ = True
    return error.with_traceback(None)


def exception_chain(error: BaseException) -> list[BaseException]:
    """Return ``error`` and the exceptions behind it (causes and contexts), outermost first."""
    chain = [error]
    while True:
        behind = chain[-1].__cause__ or chain[-1].__context__
        if behind is None or any(behind is seen for seen in chain):
            return chain
        chain.append(behind)


def failure_reason(error: BaseException) -> str:
    """Return what went wrong at the bottom of ``error``'s chain, for a message.

    For example ``"ConnectionError: [Errno 111] Connection refused"``: the type of ``error``
    and the text of the innermost exception behind it (the error itself when none is).
    """
    innermost = exception_chain(error)[-1]
    text = str(innermost) or type(innermost).__name__
    return f"{type(error).__name__}: {text[:200]}"


def detach_errors(
    *types: type[BaseException],
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Let the errors of ``types`` (default: this app's) leave the function :func:`detached`.

    The wrapper is the innermost frame left in the traceback, and it drops the arguments it
    was called with before raising.
    """
    caught = types or (CoolSMSOAuthError,)

    def decorate(func: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(func)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return func(*args, **kwargs)
            except caught as err:
                failure = err
            del args, kwargs
            raise detached(failure)

        return wrapper

    return decorate
