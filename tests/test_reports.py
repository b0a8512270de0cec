"""The delivery report endpoint: verified, idempotent, size-limited, and nothing else."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client, override_settings

from coolsms_oauth_django import clock, get_coolsms_session, signals
from coolsms_oauth_django.models import CoolSMSAccount, ReportEvent
from coolsms_oauth_django.report_endpoint import EVENT_MEMORY, report_path
from coolsms_oauth_django.reports import MessageReport, report_token
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.accounts import make_account
from .helpers.flows import captured
from .helpers.reports import SECRET
from .settings import COOLSMS_OAUTH

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("report_settings")]

OLD_SECRET = "o" * 40


def event(number: int = 1, *, status: str = "4000", **data: Any) -> dict[str, Any]:
    """Return one SINGLE-REPORT event as CoolSMS documents it."""
    return {
        "eventDataId": f"EVENT{number:06d}",
        "retryCount": 0,
        "data": {
            "messageId": f"M4V{number:06d}",
            "groupId": "G4V000001",
            "type": "SMS",
            "to": "01012345678",
            "from": "029302266",
            "statusCode": status,
            "statusMessage": "수신 완료",
            "dateProcessed": "2026-12-01T05:00:01.000Z",
            "dateReported": "2026-12-01T05:00:03.000Z",
            "dateReceived": "2026-12-01T05:00:02.000Z",
            "networkCode": "SKT",
            "customFields": {},
            **data,
        },
    }


def post(
    account: CoolSMSAccount, body: Any, *, path: str | None = None, client: Client | None = None
) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return (client or Client()).post(
        path or report_path(str(account.member_id)), raw, content_type="application/json"
    )


def test_a_report_sends_message_report_with_a_typed_report(report_account: CoolSMSAccount) -> None:
    with captured(signals.message_report) as sent:
        response = post(
            report_account, [event(1), event(2, status="3043", statusMessage="Power off")]
        )
    assert response.status_code == 200
    assert response.json() == {"received": 2, "passedOn": 2}
    assert [call["account"].pk for call in sent] == [report_account.pk, report_account.pk]
    first, second = (call["report"] for call in sent)
    assert isinstance(first, MessageReport)
    assert (first.message_id, first.group_id, first.to) == ("M4V000001", "G4V000001", "01012345678")
    assert (first.status_code, first.status_message) == ("4000", "수신 완료")
    assert first.date_received is not None and first.date_received.tzinfo is not None
    assert first.delivered and not first.failed
    assert second.failed and second.status_message == "Power off"


def test_a_retried_event_is_passed_on_once(report_account: CoolSMSAccount) -> None:
    with captured(signals.message_report) as sent:
        assert post(report_account, [event(1)]).json()["passedOn"] == 1
        retried = event(1)
        retried["retryCount"] = 1
        again = post(report_account, [retried, event(2), event(2)])
    assert again.status_code == 200
    assert again.json() == {"received": 3, "passedOn": 1}
    assert [call["report"].event_id for call in sent] == ["EVENT000001", "EVENT000002"]
    assert ReportEvent.objects.count() == 2


def test_a_request_of_many_events_passes_each_on_once(report_account: CoolSMSAccount) -> None:
    from coolsms_oauth_django.report_endpoint import BATCH

    size = 2 * BATCH + 7  # more than one batch of stored and read-back event ids
    body = [event(number) for number in range(size)]
    with captured(signals.message_report) as sent:
        assert post(report_account, body).json() == {"received": size, "passedOn": size}
        assert post(report_account, body).json() == {"received": size, "passedOn": 0}
    assert len(sent) == size == ReportEvent.objects.count()


def test_a_forged_token_is_a_404_and_passes_nothing_on(report_account: CoolSMSAccount) -> None:
    real = report_path(str(report_account.member_id))
    one_off = real[:-2] + ("0" if real[-2] != "0" else "1") + "/"
    short = real[:-10] + "/"
    wrong = f"/coolsms/reports/{report_account.member_id}/{'0' * 64}/"
    with captured(signals.message_report) as sent:
        for path in (one_off, short, wrong, real.replace("M-", "N-")):
            assert post(report_account, [event(1)], path=path).status_code == 404
    assert sent == [] and ReportEvent.objects.count() == 0


def test_another_members_token_does_not_open_this_members_url(
    report_account: CoolSMSAccount, other_user: AbstractBaseUser
) -> None:
    # A member sees their own report URL in CoolSMS's console; it is no key to another's.
    other = make_account(other_user)
    their_token = report_token(str(other.member_id), SECRET)
    path = f"/coolsms/reports/{report_account.member_id}/{their_token}/"
    with captured(signals.message_report) as sent:
        assert post(report_account, [event(1)], path=path).status_code == 404
    assert sent == []


def test_a_url_made_with_an_old_secret_still_works_after_a_rotation(
    report_account: CoolSMSAccount,
) -> None:
    with override_settings(COOLSMS_OAUTH={**COOLSMS_OAUTH, "REPORT_SECRETS": [OLD_SECRET]}):
        old_path = report_path(str(report_account.member_id))
    rotated = {**COOLSMS_OAUTH, "REPORT_SECRETS": [SECRET, OLD_SECRET]}
    with override_settings(COOLSMS_OAUTH=rotated), captured(signals.message_report) as sent:
        assert report_path(str(report_account.member_id)) != old_path
        assert post(report_account, [event(1)], path=old_path).status_code == 200
    assert len(sent) == 1
    with captured(signals.message_report) as sent:
        assert post(report_account, [event(2)], path=old_path).status_code == 404
    assert sent == []


def test_without_report_secrets_there_is_no_report_url(report_account: CoolSMSAccount) -> None:
    path = report_path(str(report_account.member_id))
    with override_settings(COOLSMS_OAUTH=COOLSMS_OAUTH):
        assert post(report_account, [event(1)], path=path).status_code == 404
        with pytest.raises(ValueError, match="REPORT_SECRETS"):
            report_path(str(report_account.member_id))


def test_an_oversized_body_is_a_413_and_stores_nothing(report_account: CoolSMSAccount) -> None:
    body = json.dumps([event(n) for n in range(40)]).encode()
    limited = {**COOLSMS_OAUTH, "REPORT_SECRETS": [SECRET], "REPORT_MAX_BYTES": len(body) - 1}
    with override_settings(COOLSMS_OAUTH=limited), captured(signals.message_report) as sent:
        assert post(report_account, body).status_code == 413
        assert post(report_account, body[: len(body) - 2]).status_code == 400  # fits, not JSON
    assert sent == [] and ReportEvent.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        json.dumps({"eventDataId": "E1"}).encode(),
        json.dumps([event(1), "an event"]).encode(),
        json.dumps([event(1), {"eventDataId": "E2"}]).encode(),
        json.dumps([event(1), {**event(2), "eventDataId": None}]).encode(),
        json.dumps([event(1), event(2, statusCode=["4000"])]).encode(),
        json.dumps([event(1), event(2, messageId="")]).encode(),
        json.dumps([event(1), event(2, messageId="M\n" * 3)]).encode(),
        json.dumps([event(1), event(2, dateReported="yesterday")]).encode(),
        json.dumps([event(1), event(2, groupId="G" * 101)]).encode(),
    ],
    ids=[
        "text",
        "bytes",
        "object",
        "string-event",
        "no-data",
        "no-event-id",
        "list-status",
        "empty-message-id",
        "newline-id",
        "bad-date",
        "long-id",
    ],
)
def test_a_malformed_body_is_a_400_and_stores_nothing(
    report_account: CoolSMSAccount, body: bytes
) -> None:
    with captured(signals.message_report) as sent:
        response = post(report_account, body)
    assert response.status_code == 400
    assert "Not a delivery report" in response.json()["error"]
    assert sent == [] and ReportEvent.objects.count() == 0


def test_a_group_report_is_taken_and_not_passed_on(report_account: CoolSMSAccount) -> None:
    group = {"eventDataId": "GROUPEVENT1", "data": {"groupId": "G4V1", "status": "COMPLETE"}}
    with captured(signals.message_report) as sent:
        response = post(report_account, [group, event(1)])
    assert response.json() == {"received": 1, "passedOn": 1}
    assert [call["report"].event_id for call in sent] == ["EVENT000001"]


def test_a_report_for_a_member_of_another_site_is_dropped_with_a_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The token is right (the URL was made with this site's secret), but no user of this
    # site has connected the member: the report is answered, never attributed to anyone.
    path = report_path("MEM-OF-ANOTHER-SITE")
    with captured(signals.message_report) as sent, caplog.at_level(logging.WARNING):
        response = Client().post(path, json.dumps([event(1)]), content_type="application/json")
    assert response.status_code == 200 and response.json()["passedOn"] == 0
    assert sent == [] and ReportEvent.objects.count() == 0
    assert "'MEM-OF-ANOTHER-SITE'" in caplog.text and "no user of this site" in caplog.text


def test_a_report_naming_another_coolsms_account_is_dropped(
    report_account: CoolSMSAccount, caplog: pytest.LogCaptureFixture
) -> None:
    with captured(signals.message_report) as sent, caplog.at_level(logging.WARNING):
        response = post(report_account, [event(1, accountId="ACC-SOMEONE-ELSE"), event(2)])
    assert response.json() == {"received": 2, "passedOn": 1}
    assert [call["report"].event_id for call in sent] == ["EVENT000002"]
    assert "another CoolSMS account" in caplog.text


def test_a_member_in_the_url_cannot_forge_a_log_line(
    report_account: CoolSMSAccount, caplog: pytest.LogCaptureFixture
) -> None:
    path = "/coolsms/reports/x%0AINFO%20forged%20line/" + "0" * 64 + "/"
    with caplog.at_level(logging.WARNING):
        assert post(report_account, [event(1)], path=path).status_code == 404
    assert all("\n" not in record.getMessage() for record in caplog.records)
    assert "'x\\nINFO forged line'" in caplog.text


def test_the_endpoint_takes_a_post_without_csrf_token_and_nothing_else(
    report_account: CoolSMSAccount,
) -> None:
    browser = Client(enforce_csrf_checks=True)
    path = report_path(str(report_account.member_id))
    assert post(report_account, [event(1)], client=browser).status_code == 200
    for method in ("get", "put", "delete"):
        assert getattr(browser, method)(path).status_code == 405


def test_event_ids_older_than_the_memory_are_pruned(report_account: CoolSMSAccount) -> None:
    assert post(report_account, [event(1)]).status_code == 200
    ReportEvent.objects.update(received_at=clock.now() - EVENT_MEMORY - timedelta(seconds=1))
    assert post(report_account, [event(2)]).status_code == 200
    assert list(ReportEvent.objects.values_list("event_id", flat=True)) == ["EVENT000002"]


# -- confirmed reports (REPORT_CONFIRM), against the sandbox ----------------------------


def test_a_confirmed_report_carries_coolsms_status_and_unknown_messages_are_dropped(
    report_sandbox_account: CoolSMSAccount, user: AbstractBaseUser, caplog: pytest.LogCaptureFixture
) -> None:
    with get_coolsms_session(user) as session:
        sent = session.send_message(to="01012345678", from_="029302266", text="안녕하세요")
    # A report that claims delivery while CoolSMS still says "accepted".
    claimed = event(1, messageId=sent["messageId"], groupId=sent["groupId"], accountId=None)
    unknown = event(2, groupId=sent["groupId"], accountId=None)
    with captured(signals.message_report) as passed, caplog.at_level(logging.WARNING):
        response = post(report_sandbox_account, [claimed, unknown])
    assert response.json() == {"received": 2, "passedOn": 1}
    [report] = [call["report"] for call in passed]
    assert (report.message_id, report.status_code) == (sent["messageId"], "2000")
    assert "'M4V000002'" in caplog.text and "does not list it" in caplog.text


def test_a_report_that_cannot_be_confirmed_asks_for_a_retry_and_stores_nothing(
    report_sandbox_account: CoolSMSAccount, coolsms_sandbox: Sandbox
) -> None:
    coolsms_sandbox.inject_fault("/messages/v4/list", status=503, count=5)
    with captured(signals.message_report) as passed:
        response = post(report_sandbox_account, [event(1, accountId=None)])
    assert response.status_code == 503
    assert passed == [] and ReportEvent.objects.count() == 0


def test_a_short_report_secret_is_a_system_check_error() -> None:
    from coolsms_oauth_django import checks

    with override_settings(COOLSMS_OAUTH={**COOLSMS_OAUTH, "REPORT_SECRETS": ["short"]}):
        errors = [message.id for message in checks.check_settings()]
    assert errors == [checks.E012]


@pytest.mark.postgres
@pytest.mark.mysql
@pytest.mark.django_db(transaction=True)
def test_the_same_events_posted_at_once_twice_are_passed_on_once(
    report_account: CoolSMSAccount,
) -> None:
    import threading

    from django.db import connection

    body = json.dumps([event(number) for number in range(300)]).encode()
    answers: list[dict[str, Any]] = []
    start = threading.Barrier(2)

    def deliver() -> None:
        try:
            start.wait()
            answers.append(post(report_account, body).json())
        finally:
            connection.close()

    with captured(signals.message_report) as sent:
        threads = [threading.Thread(target=deliver) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert [answer["received"] for answer in answers] == [300, 300]
    assert sum(answer["passedOn"] for answer in answers) == 300
    assert sorted(call["report"].event_id for call in sent) == [
        f"EVENT{number:06d}" for number in range(300)
    ]
    assert ReportEvent.objects.count() == 300
