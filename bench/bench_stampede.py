"""Refresh stampede on PostgreSQL: many callers, threads in several processes, one expired token.

Every round expires the stored access token and lets all callers ask for a usable one at the
same instant. The single-flight refresh (``refresh.current_token``) is measured side by side
with a naive refresh in the style of a typical OAuth client integration (Authlib's
``OAuth2Session.refresh_token`` and an ``update_token`` hook that saves, no lock). The
sandbox rotates refresh tokens and, as RFC 9700 asks, revokes the whole grant when a
rotated-away refresh token comes back.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common, stampede_worker
from bench.sandbox_process import SandboxProcess

#: (processes, threads per process) for 1, 8, 32 and 128 callers.
SIZES = [(1, 1), (2, 4), (4, 8), (4, 32)]
QUICK_SIZES = [(1, 1), (2, 2)]
#: Pooled connections per worker process (PostgreSQL here allows 100 in all).
POOL_SIZE = 16


def stored_access_token(account_pk: int) -> str:
    from coolsms_oauth_django.models import CoolSMSAccount

    return str(CoolSMSAccount.objects.values_list("access_token", flat=True).get(pk=account_pk))


def revoked_grants(sandbox: SandboxProcess) -> int:
    return sum(1 for grant in sandbox.live_grants() if grant["revoked"])


def one_round(
    workers: stampede_worker.Workers,
    sandbox: SandboxProcess,
    mode: str,
    user: Any,
    processes: int,
    threads: int,
) -> dict[str, Any]:
    """Prepare an expired token, stampede, and return what happened."""
    # Every round starts from a fresh grant: a naive round may have had its grant revoked.
    account = common.connect(user, sandbox)
    common.expire(account.pk)
    calls, revoked = sandbox.refresh_calls(), revoked_grants(sandbox)
    results = workers.round(mode, account.pk, processes, threads)
    tokens = {token for ok, _, token in results if ok}
    return {
        "calls": sandbox.refresh_calls() - calls,
        "failed": sum(1 for ok, _, _ in results if not ok),
        "errors": sorted({token for ok, _, token in results if not ok}),
        "waits": [wait for _, wait, _ in results],
        "revoked": revoked_grants(sandbox) - revoked,
        "same_token": len(tokens) == 1 and tokens == {stored_access_token(account.pk)},
        "callers": len(results),
    }


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    waits = [wait for one in rounds for wait in one["waits"]]
    calls = [one["calls"] for one in rounds]
    return {
        "calls": calls,
        "failed": sum(one["failed"] for one in rounds),
        "callers": sum(one["callers"] for one in rounds),
        "revoked_rounds": sum(1 for one in rounds if one["revoked"]),
        "p50": common.percentile(waits, 0.5),
        "p99": common.percentile(waits, 0.99),
        "same_token": all(one["same_token"] for one in rounds),
        "errors": sorted({error for one in rounds for error in one["errors"]}),
    }


def describe_calls(calls: list[int]) -> str:
    if min(calls) == max(calls):
        return f"{calls[0]} every round"
    return f"{min(calls)}–{max(calls)} (mean {sum(calls) / len(calls):.1f})"


def run(quick: bool = False, rounds: int = 5) -> common.Result:
    """Refresh stampede: single-flight against a naive refresh, 1 to 128 callers."""
    from django.db import connection

    if connection.vendor != "postgresql":
        raise RuntimeError("the stampede benchmark needs PostgreSQL")
    sizes = QUICK_SIZES if quick else SIZES
    if quick:
        rounds = 1
    result = common.Result("3. Refresh stampede on PostgreSQL (one expired token)")
    common.clear_tables()
    summaries: dict[tuple[str, int], dict[str, Any]] = {}
    with (
        SandboxProcess(auto_approve=True, rotate_refresh_tokens=True) as sandbox,
        common.using_sandbox(sandbox),
    ):
        user = common.make_user("bench-stampede")
        common.connect(user, sandbox)
        # More threads in a process than PostgreSQL can give connections: pool them.
        pool_size = POOL_SIZE if max(threads for _, threads in sizes) > POOL_SIZE else 0
        workers = stampede_worker.Workers(
            common.coolsms_settings(sandbox), max(processes for processes, _ in sizes), pool_size
        )
        try:
            for processes, threads in sizes:
                done: dict[str, list[dict[str, Any]]] = {
                    stampede_worker.SINGLE_FLIGHT: [],
                    stampede_worker.NAIVE: [],
                }
                for _ in range(rounds):
                    for mode, kept in done.items():
                        kept.append(one_round(workers, sandbox, mode, user, processes, threads))
                for mode, kept in done.items():
                    summaries[mode, processes * threads] = summarize(kept)
        finally:
            workers.close()
    rows = []
    for (mode, callers), summary in summaries.items():
        processes, threads = next(size for size in sizes if size[0] * size[1] == callers)
        rows.append(
            [
                callers,
                f"{processes}×{threads}",
                mode,
                describe_calls(summary["calls"]),
                f"{summary['failed']}/{summary['callers']}",
                f"{summary['revoked_rounds']}/{rounds}",
                common.ms(summary["p50"]),
                common.ms(summary["p99"]),
            ]
        )
    rows.sort(key=lambda row: (row[0], row[2] != stampede_worker.SINGLE_FLIGHT))
    result.table(
        [
            "callers",
            "processes×threads",
            "refresh",
            "token-endpoint calls per round",
            "failed callers",
            "rounds with grant revoked",
            "p50 wait",
            "p99 wait",
        ],
        rows,
    )
    single = {
        callers: summary
        for (mode, callers), summary in summaries.items()
        if mode == stampede_worker.SINGLE_FLIGHT
    }
    exactly_one = all(set(summary["calls"]) == {1} for summary in single.values())
    no_failures = all(summary["failed"] == 0 for summary in single.values())
    same_token = all(summary["same_token"] for summary in single.values())
    errors = {
        mode: sorted(
            {
                error.split(":")[0]
                for (kind, _), summary in summaries.items()
                if kind == mode
                for error in summary["errors"]
            }
        )
        for mode in (stampede_worker.SINGLE_FLIGHT, stampede_worker.NAIVE)
    }
    pooled = (
        f" Worker processes use Django's PostgreSQL connection pool ({pool_size} connections "
        "each; the server allows 100), so with 32 threads per process the wait includes "
        "waiting for a connection."
        if pool_size
        else ""
    )
    result.add(
        f"{rounds} rounds per size and refresh, interleaved; waits are from the common start "
        f"to a usable token, over every caller of every round.{pooled}",
        "",
        f"- Single-flight: exactly one token-endpoint call every round: {common.held(exactly_one)};"
        f" no failed caller: {common.held(no_failures)}; every caller got the saved token: "
        f"{common.held(same_token)}."
        + (
            f" Failures: {', '.join(errors[stampede_worker.SINGLE_FLIGHT])}."
            if not no_failures
            else ""
        ),
        "- Naive refresh: each caller that saw the expired token refreshed; the first "
        "rotated the refresh token, the next to present the old one got the grant revoked "
        "(so every token of the connection stops working and the user must connect again). "
        "Failures seen: " + (", ".join(errors[stampede_worker.NAIVE]) or "none") + ".",
    )
    result.checks.update(
        exactly_one=exactly_one,
        no_failures=no_failures,
        same_token=same_token,
        summaries=summaries,
    )
    return result


if __name__ == "__main__":
    common.main("stampede", run)
