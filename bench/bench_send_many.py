"""Cost of ``session.send_many`` for 10,000 messages, against posting the same JSON bare.

Both post ``{"messages": [...], "allowDuplicates": false}`` to ``/messages/v4/send-many/detail``
of the sandbox (in its own process): ``send_many`` checks every message with the ``sms``
rules first; a bare ``requests.Session`` with a fixed ``Authorization`` header sends the
list as it is. Time is the median over rounds (the two alternate first); peak memory is
``tracemalloc``'s peak during one call of each, the list of messages excluded.
"""

from __future__ import annotations

import gc
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common
from bench.sandbox_process import SandboxProcess

TARGET = 1.10
SIZE = 10_000
TEXT = "[예제 알림] 내일 오전 10시부터 정기 점검이 있습니다. 이용에 참고해 주세요."
SENDER = "029302266"


def messages(size: int) -> list[dict[str, str]]:
    return [{"to": f"010{n:08d}", "from": SENDER, "text": TEXT} for n in range(size)]


def rich_member() -> Any:
    from coolsms_oauth_django.sandbox import default_users

    # Enough balance and quota for every round of both clients.
    return replace(default_users()[0], balance=1e12, daily_quota=10**9)


def run(quick: bool = False, rounds: int = 5) -> common.Result:
    """send_many of 10,000 messages against posting the same JSON with a bare session."""
    import requests

    from coolsms_oauth_django import endpoints, get_coolsms_session
    from coolsms_oauth_django.models import CoolSMSAccount

    size = 200 if quick else SIZE
    rounds = 1 if quick else rounds
    batch = messages(size)
    result = common.Result(f"6. send_many of {size:,} messages against a bare post")
    common.clear_tables()
    with (
        SandboxProcess(auto_approve=True, users=[rich_member()]) as sandbox,
        common.using_sandbox(sandbox),
    ):
        user = common.make_user("bench-send-many")
        common.connect(user, sandbox)
        token = CoolSMSAccount.objects.get(user_id=user.pk).access_token
        url = sandbox.base_url + endpoints.SEND_MANY_PATH
        with get_coolsms_session(user) as ours, requests.Session() as bare:
            bare.headers["Authorization"] = f"Bearer {token}"

            def bare_post() -> dict[str, Any]:
                body = {"messages": batch, "allowDuplicates": False}
                with bare.post(url, json=body, timeout=120) as response:
                    response.raise_for_status()
                    answer: dict[str, Any] = response.json()
                    return answer

            def send_many() -> dict[str, Any]:
                [answer] = ours.send_many(batch)
                return answer

            variants = {"bare requests.Session": bare_post, "session.send_many": send_many}
            answers = {name: call() for name, call in variants.items()}  # warm up, check
            times: dict[str, list[float]] = {name: [] for name in variants}
            order = list(variants)
            for number in range(rounds):
                for name in order if number % 2 == 0 else order[::-1]:
                    gc.collect()
                    times[name].append(common.timed(variants[name]))
            peaks = {name: common.peak_memory(call) for name, call in variants.items()}
    bare_name = "bare requests.Session"
    time_ratio = common.paired_ratio(times["session.send_many"], times[bare_name])
    memory_ratio = peaks["session.send_many"] / peaks[bare_name]
    rows = [
        [
            name,
            common.ms(common.median(times[name])),
            f"{common.paired_ratio(times[name], times[bare_name]):.2f}",
            f"{peaks[name] / 2**20:.1f} MB",
            f"{peaks[name] / peaks[bare_name]:.2f}",
        ]
        for name in variants
    ]
    result.table(["client", "time (median)", "ratio", "peak memory", "ratio"], rows)
    result.add(
        f"{rounds} rounds of one call each, the two clients alternating which goes first; "
        "time is the median, its ratio the median of per-round ratios. The sandbox, in its "
        "own process, checks and stores every message, so the time is mostly its own; the "
        "peak is the client's (tracemalloc), with the list of messages built beforehand. "
        "send_many checks each message before sending and copies none that is already in "
        "CoolSMS's form.",
        "",
        f"- time at {time_ratio:.2f}× bare; target {TARGET:.2f}×: "
        f"{common.held(time_ratio <= TARGET)}.",
        f"- peak memory at {memory_ratio:.2f}× bare; target {TARGET:.2f}×: "
        f"{common.held(memory_ratio <= TARGET)}.",
    )
    registered = {
        name: answer["groupInfo"]["count"]["registeredSuccess"] for name, answer in answers.items()
    }
    result.checks.update(
        registered=registered,
        size=size,
        time_ratio=time_ratio,
        memory_ratio=memory_ratio,
        held=time_ratio <= TARGET and memory_ratio <= TARGET,
    )
    return result


if __name__ == "__main__":
    common.main("send_many", run)
