"""The session's messaging helpers, each against the running sandbox."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from coolsms_oauth_django import endpoints, sms
from coolsms_oauth_django.exceptions import CoolSMSAPIError, MessagesRejected
from coolsms_oauth_django.messaging import MessagingMixin
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.sandbox.outbox import DELIVERED_AFTER
from coolsms_oauth_django.session import CoolSMSSession

from .helpers.messaging import APP_ID
from .helpers.sandbox import FakeClock

pytestmark = pytest.mark.django_db

SENDER = "02-930-2266"
#: The smallest JPEG header the sandbox recognises, padded.
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def notice(to: str, text: str = "내일 10시 정기 점검이 있습니다.") -> dict[str, str]:
    return {"to": to, "from": SENDER, "text": text}


def sends_seen(sandbox: Sandbox, path: str = endpoints.SEND_MANY_PATH) -> int:
    return sum(1 for request in sandbox.requests_seen() if request["path"] == path)


# --- send_many ---------------------------------------------------------------------------


def test_send_many_registers_a_group_with_normalised_numbers_and_the_app_id(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    [answer] = messaging_session.send_many([notice("010-1111-0001"), notice("010 1111 0002")])
    info = answer["groupInfo"]
    assert info["count"]["total"] == 2
    assert info["count"]["registeredSuccess"] == 2
    assert answer["failedMessageList"] == []
    assert info["app"]["appId"] == APP_ID
    sent = coolsms_sandbox.messages()
    assert [(m["to"], m["from"], m["app_id"]) for m in sent] == [
        ("01011110001", "029302266", APP_ID),
        ("01011110002", "029302266", APP_ID),
    ]


def test_send_many_returns_per_message_failures_in_the_answer(
    messaging_session: CoolSMSSession,
) -> None:
    [answer] = messaging_session.send_many([notice("01011110001"), notice("010-1111-0001")])
    [failure] = answer["failedMessageList"]
    assert failure["statusCode"] == sms.DUPLICATE_RECIPIENT
    assert failure["to"] == "01011110001"
    assert answer["groupInfo"]["count"]["registeredFailed"] == 1


def test_allow_duplicates_sends_a_repeated_recipient(messaging_session: CoolSMSSession) -> None:
    [answer] = messaging_session.send_many([notice("01011110001")] * 2, allow_duplicates=True)
    assert answer["groupInfo"]["count"]["registeredSuccess"] == 2


def test_send_many_raises_messages_rejected_when_all_fail(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    unregistered = {"to": "01011110001", "from": "0299998888", "text": "hi"}
    with pytest.raises(MessagesRejected) as info:
        messaging_session.send_many([unregistered, {**unregistered, "to": "01011110002"}])
    error = info.value
    assert isinstance(error, CoolSMSAPIError)
    assert [entry["statusCode"] for entry in error.failed] == ["1062", "1062"]
    assert error.answers[0]["groupInfo"]["count"]["registeredFailed"] == 2
    assert coolsms_sandbox.messages() == []


def test_a_message_coolsms_would_refuse_is_never_sent(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    with pytest.raises(sms.MessageRefused) as info:
        messaging_session.send_many([notice("01011110001"), notice("01011110002", "가" * 1001)])
    assert info.value.status_code == sms.TOO_LONG
    assert "Message 1" in str(info.value)
    assert sends_seen(coolsms_sandbox) == 0


def test_a_long_list_is_sent_in_calls_of_the_limit_in_order(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sms, "MAX_MESSAGES_PER_CALL", 2)
    numbers = [f"0101111000{n}" for n in range(5)]
    answers = messaging_session.send_many([notice(number) for number in numbers])
    assert [a["groupInfo"]["count"]["total"] for a in answers] == [2, 2, 1]
    assert len({a["groupInfo"]["groupId"] for a in answers}) == 3
    assert [m["to"] for m in coolsms_sandbox.messages()] == numbers


def test_scheduled_groups_wait_and_can_be_cancelled_with_a_refund(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox, sandbox_clock: FakeClock
) -> None:
    member = coolsms_sandbox.default_user.member_id
    before = coolsms_sandbox.balance(member)
    when = datetime.fromtimestamp(sandbox_clock.now, tz=timezone.utc) + timedelta(hours=2)
    [answer] = messaging_session.send_many([notice("01011110001")], scheduled_at=when)
    group_id = answer["groupInfo"]["groupId"]
    assert answer["groupInfo"]["status"] == "SCHEDULED"
    assert coolsms_sandbox.balance(member) < before
    cancelled = messaging_session.cancel_scheduled(group_id)
    assert cancelled["status"] == "FAILED"
    assert coolsms_sandbox.balance(member) == before
    sandbox_clock.advance(3 * 3600)
    assert messaging_session.get_group(group_id)["count"]["sentTotal"] == 0


def test_a_naive_schedule_is_refused_before_sending(messaging_session: CoolSMSSession) -> None:
    with pytest.raises(ValueError, match="aware"):
        messaging_session.send_many([notice("01011110001")], scheduled_at=datetime(2030, 1, 1))


def test_cancelling_a_group_that_is_not_scheduled_is_an_api_error(
    messaging_session: CoolSMSSession,
) -> None:
    [answer] = messaging_session.send_many([notice("01011110001")])
    with pytest.raises(CoolSMSAPIError) as info:
        messaging_session.cancel_scheduled(answer["groupInfo"]["groupId"])
    assert (info.value.status, info.value.error_code) == (400, "InvalidGroupStatus")


# --- send_message ------------------------------------------------------------------------


def test_send_message_takes_hyphens_and_adds_the_app_id(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    sent = messaging_session.send_message(to="010-1234-5678", from_=SENDER, text="안녕하세요")
    assert (sent["to"], sent["from"]) == ("01012345678", "029302266")
    [message] = coolsms_sandbox.messages()
    assert message["app_id"] == APP_ID


def test_send_message_refuses_a_subject_on_an_sms_without_a_call(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    with pytest.raises(sms.MessageRefused) as info:
        messaging_session.send_message(
            to="01012345678", from_=SENDER, text="hi", type="SMS", subject="s"
        )
    assert info.value.status_code == sms.SUBJECT_ON_SMS
    assert sends_seen(coolsms_sandbox, endpoints.SEND_MESSAGE_PATH) == 0


# --- sender numbers and images ------------------------------------------------------------


def test_sender_numbers_lists_the_registered_numbers(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    assert messaging_session.sender_numbers() == list(coolsms_sandbox.default_user.sender_numbers)


def test_an_uploaded_image_is_sent_as_an_mms(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    file_id = messaging_session.upload_image(JPEG, name="poster.jpg")
    [answer] = messaging_session.send_many([{**notice("01011110001"), "imageId": file_id}])
    assert answer["failedMessageList"] == []
    [message] = coolsms_sandbox.messages()
    assert (message["type"], message["image_id"]) == ("MMS", file_id)


def test_upload_image_reads_a_file_and_refuses_a_big_one_without_a_call(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox, tmp_path
) -> None:
    path = tmp_path / "poster.jpg"
    path.write_bytes(JPEG)
    with path.open("rb") as image:
        assert messaging_session.upload_image(image, name="poster.jpg")
    assert messaging_session.upload_image(bytearray(JPEG), name="poster.jpg")
    with pytest.raises(ValueError, match="200 KB"):
        messaging_session.upload_image(JPEG + b"\x00" * sms.MMS_IMAGE_MAX_BYTES, name="big.jpg")
    assert sends_seen(coolsms_sandbox, endpoints.STORAGE_FILES_PATH) == 2


# --- reading back ------------------------------------------------------------------------


def test_get_group_follows_the_status_on_the_sandbox_clock(
    messaging_session: CoolSMSSession, sandbox_clock: FakeClock
) -> None:
    [answer] = messaging_session.send_many([notice("01011110001"), notice("01099990001")])
    group_id = answer["groupInfo"]["groupId"]
    assert messaging_session.get_group(group_id)["status"] == "SENDING"
    sandbox_clock.advance(DELIVERED_AFTER)
    group = messaging_session.get_group(group_id)
    assert group["status"] == "COMPLETE"
    assert (group["count"]["sentSuccess"], group["count"]["sentFailed"]) == (1, 1)
    codes = {m["to"]: m["statusCode"] for m in messaging_session.list_messages(groupId=group_id)}
    assert codes == {"01011110001": "4000", "01099990001": "3043"}


def test_list_groups_follows_next_key_newest_first(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    made = [
        messaging_session.send_many([notice("01011110001")])[0]["groupInfo"]["groupId"]
        for _ in range(3)
    ]
    listed = [group["groupId"] for group in messaging_session.list_groups(limit=1)]
    assert listed == made[::-1]
    assert sends_seen(coolsms_sandbox, endpoints.GROUPS_PATH) == 3


def test_list_messages_filters_and_pages(messaging_session: CoolSMSSession) -> None:
    [answer] = messaging_session.send_many([notice(f"0101111000{n}") for n in range(3)])
    messaging_session.send_many([notice("01022220000")])
    group_id = answer["groupInfo"]["groupId"]
    listed = list(messaging_session.list_messages(groupId=group_id, limit=2))
    assert sorted(m["to"] for m in listed) == [f"0101111000{n}" for n in range(3)]


def test_an_unknown_group_is_a_coolsms_api_error(messaging_session: CoolSMSSession) -> None:
    with pytest.raises(CoolSMSAPIError) as info:
        messaging_session.get_group("G4V20990101000000NOSUCHGROUP00")
    assert info.value.status == 404
    assert info.value.error_code == "NotFound"
    assert info.value.error_message


def test_a_group_id_that_is_not_one_is_refused_before_a_call(
    messaging_session: CoolSMSSession, coolsms_sandbox: Sandbox
) -> None:
    with pytest.raises(ValueError, match="group id"):
        messaging_session.get_group("../../cash/v1/balance")
    assert not [r for r in coolsms_sandbox.requests_seen() if "cash" in r["path"]]


# --- documentation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "helper",
    [
        "send_message",
        "send_many",
        "sender_numbers",
        "upload_image",
        "get_group",
        "list_groups",
        "list_messages",
        "cancel_scheduled",
    ],
)
def test_each_helper_names_its_scope(helper: str) -> None:
    doc = getattr(MessagingMixin, helper).__doc__ or ""
    assert "Scope ``" in doc
