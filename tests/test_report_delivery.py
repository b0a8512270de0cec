"""Report webhooks end to end: registering them, and the sandbox delivering and retrying."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
import requests
from django.contrib.auth.models import AbstractBaseUser
from django.core.management import CommandError, call_command
from django.test import override_settings

from coolsms_oauth_django import endpoints, get_coolsms_session, signals
from coolsms_oauth_django.exceptions import CoolSMSAPIError
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.report_endpoint import report_url
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.sandbox.outbox import DELIVERED_AFTER, SENT_AFTER
from coolsms_oauth_django.sandbox.webhooks import RETRY_DELAYS
from coolsms_oauth_django.session import CoolSMSSession

from .helpers.accounts import connect, sandbox_settings
from .helpers.flows import captured
from .helpers.reports import SECRET, WEBHOOK_SCOPES, Receiver
from .helpers.sandbox import FakeClock

SITE = "http://127.0.0.1:8000"
FAILING_NUMBER = "01099990001"  # the sandbox's carrier reports a switched-off handset


def notice(*numbers: str) -> list[dict[str, str]]:
    return [{"to": number, "from": "029302266", "text": "점검 안내"} for number in numbers]


# -- the session's helpers and the command ------------------------------------------------


def test_a_report_webhook_is_registered_listed_and_removed(webhook_session: CoolSMSSession) -> None:
    hook = webhook_session.register_report_webhook("http://localhost:8000/coolsms/reports/x/y/")
    assert hook["eventId"] == endpoints.SINGLE_REPORT_EVENT
    assert [h["webhookId"] for h in webhook_session.report_webhooks()] == [hook["webhookId"]]
    assert webhook_session.remove_report_webhook(hook["webhookId"])["url"] == hook["url"]
    assert webhook_session.report_webhooks() == []
    with pytest.raises(ValueError, match="not a CoolSMS webhook id"):
        webhook_session.remove_report_webhook("../groups")


@pytest.mark.parametrize(
    "url",
    ["https://example.com/reports/", "http://10.0.0.1/r/", "http://evil.localhost/r/", "ftp://x"],
)
def test_the_sandbox_posts_reports_only_to_loopback(
    webhook_session: CoolSMSSession, url: str
) -> None:
    with pytest.raises(CoolSMSAPIError) as refused:
        webhook_session.register_report_webhook(url)
    assert refused.value.status == 400


def test_the_helpers_need_the_webhook_scopes(
    db: None, coolsms_sandbox: Sandbox, user: AbstractBaseUser
) -> None:
    with override_settings(COOLSMS_OAUTH=sandbox_settings(coolsms_sandbox)):
        connect(user, coolsms_sandbox)
        with get_coolsms_session(user) as session, pytest.raises(CoolSMSAPIError) as refused:
            session.report_webhooks()
    assert refused.value.status == 403


def test_the_command_registers_the_url_once_and_replaces_it_after_a_rotation(
    webhook_session: CoolSMSSession, user: AbstractBaseUser, coolsms_sandbox: Sandbox
) -> None:
    out = StringIO()
    call_command("coolsms_report_webhook", "alice", "--site-url", SITE, stdout=out)
    call_command("coolsms_report_webhook", "alice", "--site-url", SITE, stdout=out)
    member = CoolSMSAccount.objects.get(user=user).member_id
    url = report_url(str(member), SITE)
    assert out.getvalue().splitlines() == [f"Registered {url}", f"Already registered: {url}"]
    assert [hook["url"] for hook in webhook_session.report_webhooks()] == [url]

    rotated = sandbox_settings(
        coolsms_sandbox, SCOPES=WEBHOOK_SCOPES, REPORT_SECRETS=["n" * 40, SECRET]
    )
    with override_settings(COOLSMS_OAUTH=rotated):
        call_command("coolsms_report_webhook", "alice", "--site-url", SITE, stdout=StringIO())
        new_url = report_url(str(member), SITE)
    assert new_url != url
    assert [hook["url"] for hook in webhook_session.report_webhooks()] == [new_url]

    out = StringIO()
    call_command("coolsms_report_webhook", "alice", "--site-url", SITE, "--remove", stdout=out)
    assert out.getvalue().strip() == "Removed 1 report URL(s)."
    assert webhook_session.report_webhooks() == []


def test_the_command_names_a_user_who_is_not_connected(db: None) -> None:
    with pytest.raises(CommandError, match="No user 'nobody'"):
        call_command("coolsms_report_webhook", "nobody", "--site-url", SITE)


# -- the sandbox delivering ------------------------------------------------------------------


def test_the_sandbox_posts_each_status_a_message_reaches(
    webhook_session: CoolSMSSession,
    coolsms_sandbox: Sandbox,
    sandbox_clock: FakeClock,
    report_receiver: Receiver,
) -> None:
    webhook_session.register_report_webhook(report_receiver.url)
    [answer] = webhook_session.send_many(notice("01011112222", FAILING_NUMBER))
    coolsms_sandbox.deliver_reports()
    assert report_receiver.bodies == []  # accepted (2000) is the send's own answer

    sandbox_clock.advance(SENT_AFTER)
    coolsms_sandbox.deliver_reports()
    assert report_receiver.events() == [("01011112222", "3000"), (FAILING_NUMBER, "3000")]
    sandbox_clock.advance(DELIVERED_AFTER - SENT_AFTER)
    coolsms_sandbox.deliver_reports()
    assert report_receiver.events()[2:] == [("01011112222", "4000"), (FAILING_NUMBER, "3043")]

    event = report_receiver.bodies[-1][0]
    assert event["retryCount"] == 0 and event["eventDataId"]
    assert event["data"]["groupId"] == answer["groupInfo"]["groupId"]
    assert event["data"]["accountId"] == answer["groupInfo"]["accountId"]
    assert event["data"]["dateReceived"] is not None
    sandbox_clock.advance(60)
    coolsms_sandbox.deliver_reports()
    assert len(report_receiver.bodies) == 2  # nothing more to say


def test_a_delivery_not_answered_200_is_retried_five_times_then_given_up(
    webhook_session: CoolSMSSession,
    coolsms_sandbox: Sandbox,
    sandbox_clock: FakeClock,
    report_receiver: Receiver,
) -> None:
    webhook_session.register_report_webhook(report_receiver.url)
    webhook_session.send_many(notice("01011112222"))
    report_receiver.statuses = [500, 503, 404] * 10
    sandbox_clock.advance(SENT_AFTER)
    coolsms_sandbox.deliver_reports()
    for delay in RETRY_DELAYS:
        sandbox_clock.advance(delay - 0.5)
        coolsms_sandbox.deliver_reports()
        sandbox_clock.advance(0.5)
        coolsms_sandbox.deliver_reports()
    sandbox_clock.advance(3600)
    coolsms_sandbox.deliver_reports()

    # Two deliveries (at the carrier, then delivered), each tried six times, then given up.
    deliveries = coolsms_sandbox.report_deliveries()
    assert [d["statusCodes"] for d in deliveries] == [["3000"], ["4000"]]
    for delivery in deliveries:
        assert (delivery["state"], delivery["retryCount"]) == ("failed", 5)
        assert [a["retryCount"] for a in delivery["attempts"]] == [0, 1, 2, 3, 4, 5]
        assert {a["status"] for a in delivery["attempts"]} <= {500, 503, 404}
        posted = [
            b[0]["retryCount"]
            for b in report_receiver.bodies
            if b[0]["eventDataId"] in delivery["eventIds"]
        ]
        assert posted == [0, 1, 2, 3, 4, 5]
    assert len(report_receiver.bodies) == 12


def test_a_retried_delivery_that_gets_a_200_is_delivered(
    webhook_session: CoolSMSSession,
    coolsms_sandbox: Sandbox,
    sandbox_clock: FakeClock,
    report_receiver: Receiver,
) -> None:
    webhook_session.register_report_webhook(report_receiver.url)
    webhook_session.send_many(notice("01011112222"))
    report_receiver.statuses = [502]
    sandbox_clock.advance(SENT_AFTER)
    coolsms_sandbox.deliver_reports()
    [delivery] = coolsms_sandbox.report_deliveries()
    assert (delivery["state"], delivery["nextAttempt"] is not None) == ("retrying", True)
    sandbox_clock.advance(RETRY_DELAYS[0])
    coolsms_sandbox.deliver_reports()
    delivery = coolsms_sandbox.report_deliveries()[0]
    assert delivery["state"] == "delivered"
    assert [a["status"] for a in delivery["attempts"]] == [502, 200]
    # The inspection API shows the same over HTTP.
    seen = requests.get(coolsms_sandbox.base_url + "/_sandbox/deliveries", timeout=5).json()
    assert seen[0]["attempts"] == delivery["attempts"]


def test_a_site_that_does_not_answer_is_retried(
    webhook_session: CoolSMSSession, coolsms_sandbox: Sandbox, sandbox_clock: FakeClock
) -> None:
    webhook_session.register_report_webhook("http://127.0.0.1:9/nobody-listens/")
    webhook_session.send_many(notice("01011112222"))
    sandbox_clock.advance(SENT_AFTER)
    coolsms_sandbox.deliver_reports()
    [delivery] = coolsms_sandbox.report_deliveries()
    assert delivery["state"] == "retrying"
    assert delivery["attempts"][0]["status"] is None
    assert "Connection" in delivery["attempts"][0]["error"]


# -- the sandbox, the report endpoint and the signal together --------------------------------


@pytest.mark.django_db(transaction=True)
def test_reports_from_the_sandbox_reach_message_report_once(
    coolsms_sandbox: Sandbox, sandbox_clock: FakeClock, user: AbstractBaseUser, live_server: Any
) -> None:
    settings = sandbox_settings(coolsms_sandbox, SCOPES=WEBHOOK_SCOPES, REPORT_SECRETS=[SECRET])
    with override_settings(COOLSMS_OAUTH=settings):
        connect(user, coolsms_sandbox)
        call_command(
            "coolsms_report_webhook", "alice", "--site-url", live_server.url, stdout=StringIO()
        )
        with get_coolsms_session(user) as session:
            [answer] = session.send_many(notice("01011112222", FAILING_NUMBER))
        with captured(signals.message_report) as sent:
            sandbox_clock.advance(DELIVERED_AFTER)
            coolsms_sandbox.deliver_reports()
    reports = [call["report"] for call in sent]
    assert sorted((r.to, r.status_code) for r in reports) == [
        ("01011112222", "3000"),
        ("01011112222", "4000"),
        (FAILING_NUMBER, "3000"),
        (FAILING_NUMBER, "3043"),
    ]
    assert {r.group_id for r in reports} == {answer["groupInfo"]["groupId"]}
    assert {call["account"].user_id for call in sent} == {user.pk}
    assert [d["state"] for d in coolsms_sandbox.report_deliveries()] == ["delivered"]
