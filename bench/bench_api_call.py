"""Cost of one authorized API call (``get_balance``) through ``get_coolsms_session(user)``.

Side by side against a bare ``requests.Session`` with a fixed ``Authorization`` header, a
bare session that first reads the same connection row through the plain ORM (what a view
written by hand does), and Authlib's and requests-oauthlib's ``OAuth2Session`` loaded with
the same token from the same database, in two patterns: a session per call (what a view
does) and one session reused for many calls (what a background job does). The sandbox runs
in its own process.
"""

from __future__ import annotations

import gc
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.sandbox_process import SandboxProcess

#: Reused session: at most this many times a bare session.
TARGET = 1.10
#: A session per call: at most this many times a bare session plus the same row read.
PER_CALL_TARGET = 1.05
#: The per-call baseline, by pattern.
WITH_ROW = "bare requests.Session + the same row (plain ORM)"
#: Ratios this close are within the noise of this machine.
NOISE = 1.03
TIMEOUT = 10


def peer_token(user: Any) -> dict[str, Any]:
    """Load the user's token from the database as a peer client would be handed it."""
    from coolsms_oauth_django.models import CoolSMSAccount

    account = CoolSMSAccount.objects.get(user_id=user.pk)
    return {
        "access_token": account.access_token,
        "refresh_token": account.refresh_token,
        "token_type": "Bearer",
        "expires_at": int(account.expires_at.timestamp()),
    }


def row_query(user: Any) -> tuple[Any, ...]:
    """Read the user's connection row (key, status, access token, expiry) with the plain ORM."""
    from coolsms_oauth_django.models import CoolSMSAccount

    row: tuple[Any, ...] = (
        CoolSMSAccount.objects.filter(user_id=user.pk)
        .values_list("pk", "status", "access_token", "expires_at")
        .get()
    )
    return row


def token_query(user: Any) -> str:
    """Read (and decrypt) the user's access token with one ORM query."""
    from coolsms_oauth_django.models import CoolSMSAccount

    token: str = (
        CoolSMSAccount.objects.filter(user_id=user.pk).values_list("access_token", flat=True).get()
    )
    return token


def balance(session: Any, url: str) -> Any:
    with session.get(url, timeout=TIMEOUT) as response:
        response.raise_for_status()
        return response.json()


def make_variants(user: Any) -> tuple[dict[str, Callable[[], Any]], list[Any]]:
    """Return one-call functions by name, and the long-lived sessions to close afterwards."""
    import requests
    from authlib.integrations.requests_client import OAuth2Session as AuthlibSession
    from requests_oauthlib import OAuth2Session as OAuthlibSession

    from coolsms_oauth_django import endpoints, get_coolsms_session
    from coolsms_oauth_django.conf import app_settings

    config = app_settings()
    url = config.api_url(endpoints.BALANCE_PATH)
    header = "Bearer " + peer_token(user)["access_token"]

    def bare_session() -> requests.Session:
        session = requests.Session()
        session.headers["Authorization"] = header
        return session

    def authlib_session() -> Any:
        return AuthlibSession(
            config.client_id,
            config.client_secret,
            token=peer_token(user),
            token_endpoint=config.token_url,
        )

    def oauthlib_session() -> Any:
        return OAuthlibSession(config.client_id, token=peer_token(user))

    def per_call(factory: Callable[[], Any]) -> Callable[[], Any]:
        def call() -> Any:
            with factory() as session:
                return balance(session, url)

        return call

    def ours_per_call() -> Any:
        with get_coolsms_session(user) as session:
            return session.get_balance()

    def with_row(session: requests.Session) -> Any:
        # What a view written by hand does: read the connection row, then make the request.
        _, _, token, _ = row_query(user)
        session.headers["Authorization"] = "Bearer " + token
        return balance(session, url)

    def with_row_per_call() -> Any:
        with requests.Session() as session:
            return with_row(session)

    kept = {
        "bare": bare_session(),
        "bare with row": requests.Session(),
        "coolsms": get_coolsms_session(user),
        "authlib": authlib_session(),
        "oauthlib": oauthlib_session(),
    }
    variants: dict[str, Callable[[], Any]] = {
        "per call: bare requests.Session": per_call(bare_session),
        "per call: get_coolsms_session": ours_per_call,
        "per call: Authlib OAuth2Session": per_call(authlib_session),
        "per call: requests-oauthlib OAuth2Session": per_call(oauthlib_session),
        f"per call: {WITH_ROW}": with_row_per_call,
        "reused: bare requests.Session": lambda: balance(kept["bare"], url),
        "reused: get_coolsms_session": kept["coolsms"].get_balance,
        "reused: Authlib OAuth2Session": lambda: balance(kept["authlib"], url),
        "reused: requests-oauthlib OAuth2Session": lambda: balance(kept["oauthlib"], url),
        f"reused: {WITH_ROW}": lambda: with_row(kept["bare with row"]),
    }
    return variants, list(kept.values())


def time_calls(call: Callable[[], Any], count: int) -> float:
    gc.collect()
    started = time.perf_counter()
    for _ in range(count):
        call()
    return (time.perf_counter() - started) / count


def count_queries(call: Callable[[], Any]) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def components(user: Any, count: int) -> dict[str, float]:
    """Time the parts of a per-call session that a bare session does not have."""
    from django.db import connection

    from coolsms_oauth_django import get_coolsms_session
    from coolsms_oauth_django.fields import decrypt, encrypt
    from coolsms_oauth_django.models import CoolSMSAccount

    ciphertext = encrypt(token_query(user))

    def build() -> None:
        get_coolsms_session(user).close()

    def open_token() -> None:
        decrypt(ciphertext)

    query = CoolSMSAccount.objects.filter(user_id=user.pk).values_list(
        "pk", "status", "access_token", "expires_at"
    )
    sql, params = query.order_by("pk")[:1].query.sql_with_params()

    def orm_query() -> None:
        row_query(user)

    def raw_query() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.fetchall()

    return {
        "get_coolsms_session() (1 query + decrypt, no request)": time_calls(build, count),
        "of which decrypt": time_calls(open_token, count),
        "the same row through the plain ORM (with decrypt)": time_calls(orm_query, count),
        "the same query as raw SQL (no ORM, no decrypt)": time_calls(raw_query, count),
    }


def run(quick: bool = False, rounds: int = 25, per_round: int = 100) -> common.Result:
    """API call cost: get_coolsms_session against a bare session and two OAuth clients."""
    # requests-oauthlib refuses plain HTTP unless told; the sandbox is on loopback.
    os.environ.setdefault("OAUTHLIB_INSECURE_TRANSPORT", "1")
    if quick:
        rounds, per_round = 2, 3
    result = common.Result("2. One authorized API call (get_balance against the sandbox)")
    common.clear_tables()
    with SandboxProcess(auto_approve=True) as sandbox, common.using_sandbox(sandbox):
        user = common.make_user("bench-api")
        common.connect(user, sandbox)
        variants, kept = make_variants(user)
        try:
            answers = {name: call() for name, call in variants.items()}  # warm up, check
            queries = {name: count_queries(call) for name, call in variants.items()}
            times: dict[str, list[float]] = {name: [] for name in variants}
            order = list(variants)
            for number in range(rounds):
                shift = number % len(order)
                for name in order[shift:] + order[:shift]:
                    times[name].append(time_calls(variants[name], per_round))
            parts = components(user, per_round * 2)
        finally:
            for session in kept:
                session.close()
    rows = []
    ratios: dict[str, float] = {}
    for name in variants:
        pattern = name.split(":")[0]
        bare = times[f"{pattern}: bare requests.Session"]
        ratios[name] = common.paired_ratio(times[name], bare)
        per = common.median(times[name])
        rows.append([name, common.us(per), f"{1 / per:,.0f}", f"{ratios[name]:.2f}", queries[name]])
    result.table(["client", "time per call (median)", "calls/s", "ratio to bare", "queries"], rows)
    result.add(
        f"{rounds} rounds; in each, every client makes {per_round} calls in a row, in an "
        "order that rotates from round to round. Ratios are medians of per-round ratios to "
        "the bare session of the same pattern. (Calls of one client in a row keep the "
        "sandbox's after-work of one client, such as closing a bare session's connection, "
        "out of the next client's time.) Peers load the token with one ORM query (both "
        "tokens decrypted). get_coolsms_session reads the connection and its access token "
        "with one plain ORM query, keeps the token until it is due or CoolSMS rejects it, "
        "and its sessions share the process's connection pool: a session per call reuses "
        "the connection the previous one left open, where a bare session per call opens a "
        "new one. Ratios within 3% of each other are within this machine's noise and count "
        "as not slower.",
        "",
    )
    per_call = common.paired_ratio(
        times["per call: get_coolsms_session"], times[f"per call: {WITH_ROW}"]
    )
    per_call_held = per_call <= PER_CALL_TARGET
    reused = ratios["reused: get_coolsms_session"]
    peers = {
        peer: ratios[f"reused: {peer} OAuth2Session"] for peer in ("Authlib", "requests-oauthlib")
    }
    reused_within = reused <= TARGET
    reused_not_slower = all(reused <= ratio * NOISE for ratio in peers.values())
    held_all = per_call_held and reused_within and reused_not_slower
    per_call_peers = {
        peer: ratios[f"per call: {peer} OAuth2Session"] for peer in ("Authlib", "requests-oauthlib")
    }
    over_kept = common.paired_ratio(
        times["per call: get_coolsms_session"], times[f"reused: {WITH_ROW}"]
    )
    result.add(
        f"- per call: get_coolsms_session at {per_call:.2f}× a bare session per call that "
        f"first reads the same row through the plain ORM; target within "
        f"{PER_CALL_TARGET:.2f}×: {common.held(per_call_held)}. "
        f"(Against a bare session alone, which reads nothing: "
        f"{ratios['per call: get_coolsms_session']:.2f}×; "
        + ", ".join(f"{peer} {ratio:.2f}×" for peer, ratio in per_call_peers.items())
        + ".)",
        f"- reused: get_coolsms_session at {reused:.2f}× bare; target within "
        f"{TARGET:.2f}×: {common.held(reused_within)}; not slower than "
        + " or ".join(f"{peer} ({ratio:.2f}×)" for peer, ratio in peers.items())
        + f": {common.held(reused_not_slower)}.",
        f"- per call, against one kept bare session that reads the same row before each call "
        f"(its connection kept, as the shared pool keeps ours): get_coolsms_session at "
        f"{over_kept:.2f}×. That is what building a session per call costs beyond the read.",
        "",
        "Where get_coolsms_session's extra time goes (timed alone, median of the run):",
        "",
    )
    result.table(["part", "time"], [[name, common.us(value)] for name, value in parts.items()])
    result.checks.update(
        answers_agree=len({repr(answer) for answer in answers.values()}) == 1,
        ratios=ratios,
        queries=queries,
        held=held_all,
        per_call_over_bare_with_row=per_call,
        per_call_over_kept_bare_with_row=over_kept,
    )
    return result


if __name__ == "__main__":
    common.main("api_call", run)
