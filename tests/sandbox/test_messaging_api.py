"""The sandbox's messaging API with plain requests: each CoolSMS rule and each shape."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from coolsms_oauth_django import endpoints
from coolsms_oauth_django.sandbox.messages import CARRIER_FAILURES, PRICES
from coolsms_oauth_django.sandbox.outbox import DELIVERED_AFTER, SENT_AFTER

from ..helpers.sandbox import Api, FakeClock

SENDER = "029302266"
CHANNEL = "KA01PF2401SANDBOX0001"
TEMPLATE = "KA01TP2401WELCOME001"
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32


def message(**fields: Any) -> dict[str, Any]:
    return {"to": "01012345678", "from": SENDER, "text": "안녕하세요", **fields}


# --- the rules, as per-message failures ---------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"from": "0299998888"}, "1062"),
        ({"text": "가" * 1001}, "1031"),
        ({"text": "가" * 46, "type": "SMS"}, "1031"),
        ({"type": "SMS", "subject": "공지"}, "1013"),
        ({"subject": "가" * 21}, "1014"),
        ({"type": "FAX"}, "1025"),
        ({"imageId": "ST01FZNOSUCHIMAGE"}, "1034"),
        ({"kakaoOptions": {"pfId": CHANNEL}}, "1033"),
        ({"type": "ATA", "kakaoOptions": {"pfId": "KA01PFNOSUCH", "templateId": TEMPLATE}}, "1041"),
        ({"type": "ATA", "kakaoOptions": {"pfId": CHANNEL, "templateId": "NOSUCH"}}, "1042"),
        ({"to": "010-1234-5678"}, "1011"),
        ({"to": ""}, "1010"),
        ({"text": "a\x07b"}, "1028"),
    ],
)
def test_a_refused_message_is_a_failure_with_coolsms_status_code(api, auto_sandbox, fields, code):
    assert api.failures(message(**fields), message(to="01099998888")) == [code]
    assert [m["to"] for m in auto_sandbox.messages()] == ["01099998888"]


def test_the_failed_message_list_has_the_documented_fields(api):
    response = api.send_many(message(**{"from": "0299998888", "customFields": {"order": "7"}}))
    [entry] = response.json()["failedMessageList"]
    assert set(entry) == {
        "to",
        "from",
        "type",
        "statusCode",
        "statusMessage",
        "messageId",
        "accountId",
        "customFields",
    }
    assert entry["customFields"] == {"order": "7"}
    assert entry["type"] == "SMS"
    assert "0299998888" in entry["statusMessage"]


def test_a_repeated_recipient_fails_with_1026_unless_duplicates_are_allowed(api):
    assert api.failures(message(), message()) == ["1026"]
    assert api.failures(message(), message(), allowDuplicates=True) == []


def test_an_alimtalk_to_the_members_channel_and_template_is_accepted(api, auto_sandbox):
    kakao = {"pfId": CHANNEL, "templateId": TEMPLATE, "variables": {"#{name}": "홍길동"}}
    assert api.failures(message(type="ATA", kakaoOptions=kakao)) == []
    [sent] = auto_sandbox.messages()
    assert sent["type"] == "ATA"


def test_messages_beyond_the_balance_fail_with_1030_and_are_not_charged(api, auto_sandbox):
    member = auto_sandbox.default_user.member_id
    auto_sandbox._state.users[member].balance = PRICES["SMS"] * 2
    numbers = [f"0101234567{n}" for n in range(3)]
    assert api.failures(*(message(to=n) for n in numbers)) == ["1030"]
    assert auto_sandbox.balance(member) == 0


def test_the_daily_quota_refuses_the_whole_send(api, auto_sandbox):
    auto_sandbox._state.users[auto_sandbox.default_user.member_id].daily_quota = 1
    assert api.failures(message()) == []
    response = api.send_many(message(to="01012340000"))
    assert response.status_code == 403
    assert response.json()["errorCode"] == "DailyQuotaExceeded"


def test_app_id_is_recorded_from_the_agent_or_the_top_level(api, auto_sandbox):
    api.send_many(message(), agent={"appId": "APPAGENT"})
    api.send_many(message(to="01012340000"), appId="APPTOP")
    assert [m["app_id"] for m in auto_sandbox.messages()] == ["APPAGENT", "APPTOP"]


@pytest.mark.parametrize(
    "body",
    [
        {"messages": []},
        {"messages": "hello"},
        {},
        {"messages": [message()], "allowDuplicates": "yes"},
        {"messages": [message()], "scheduledDate": "tomorrow"},
        {"messages": [message()], "agent": {"appId": 7}},
    ],
)
def test_a_malformed_send_many_body_is_a_validation_error(api, auto_sandbox, body):
    response = api.request("POST", endpoints.SEND_MANY_PATH, json=body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ValidationError"
    assert auto_sandbox.messages() == []


def test_more_than_10000_messages_is_a_validation_error(api):
    response = api.send_many(*[message()] * 10_001, allowDuplicates=True)
    assert response.status_code == 400
    assert "10,000" in response.json()["errorMessage"]


def test_single_send_refuses_an_unregistered_sender_with_1062(api, auto_sandbox):
    body = {"message": message(**{"from": "0299998888"})}
    response = api.request("POST", endpoints.SEND_MESSAGE_PATH, json=body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "1062"
    assert auto_sandbox.messages() == []


# --- the answer, the group and the clock --------------------------------------------------


def test_send_many_answers_the_documented_group_info(api, auto_sandbox):
    body = api.send_many(message(), message(to="01012340000", text="가" * 46)).json()
    info = body["groupInfo"]
    assert info["groupId"].startswith("G4V")
    assert info["count"]["total"] == info["count"]["registeredSuccess"] == 2
    assert info["balance"]["sum"] == PRICES["SMS"] + PRICES["LMS"]
    assert info["countForCharge"]["sms"] == info["countForCharge"]["lms"] == 1
    for key in ("status", "point", "app", "scheduledDate", "dateCreated", "log"):
        assert key in info
    assert "messageList" not in body
    shown = api.send_many(message(to="01055556666"), showMessageList=True).json()
    assert [m["statusCode"] for m in shown["messageList"]] == ["2000"]


def test_status_moves_from_2000_to_3000_to_4000_on_the_clock(api, clock: FakeClock):
    group_id = api.send_many(message()).json()["groupInfo"]["groupId"]

    def status() -> tuple[str, str]:
        group = api.request("GET", f"{endpoints.GROUPS_PATH}/{group_id}").json()
        listed = api.request("GET", endpoints.MESSAGE_LIST_PATH, params={"groupId": group_id})
        [only] = listed.json()["messageList"].values()
        return group["status"], only["statusCode"]

    assert status() == ("SENDING", "2000")
    clock.advance(SENT_AFTER)
    assert status() == ("SENDING", "3000")
    clock.advance(DELIVERED_AFTER - SENT_AFTER)
    assert status() == ("COMPLETE", "4000")


@pytest.mark.parametrize(("number", "code"), sorted(CARRIER_FAILURES.items()))
def test_the_named_numbers_fail_at_the_carrier(api, clock, number, code):
    api.send_many(message(to=number))
    clock.advance(DELIVERED_AFTER)
    listed = api.request("GET", endpoints.MESSAGE_LIST_PATH, params={"to": number}).json()
    [only] = listed["messageList"].values()
    assert only["statusCode"] == code


def test_a_scheduled_group_waits_for_its_date_and_cancelling_refunds_it(api, auto_sandbox, clock):
    member = auto_sandbox.default_user.member_id
    before = auto_sandbox.balance(member)
    # The clock starts at 2025-06-15T15:06:40Z.
    response = api.send_many(message(), scheduledDate="2025-06-16T00:00:00+00:00")
    assert response.json()["groupInfo"]["status"] == "SCHEDULED"
    group_id = response.json()["groupInfo"]["groupId"]
    cancel = api.request("DELETE", f"{endpoints.GROUPS_PATH}/{group_id}/schedule")
    assert cancel.status_code == 200
    assert cancel.json()["status"] == "FAILED"
    assert cancel.json()["log"][-1]["message"]
    assert auto_sandbox.balance(member) == before
    again = api.request("DELETE", f"{endpoints.GROUPS_PATH}/{group_id}/schedule")
    assert again.json()["errorCode"] == "InvalidGroupStatus"
    too_far = api.send_many(message(), scheduledDate="2026-06-16T00:00:00Z")
    assert too_far.status_code == 400


def test_a_date_in_the_past_sends_now(api):
    response = api.send_many(message(), scheduledDate="2000-01-01T00:00:00Z")
    assert response.json()["groupInfo"]["status"] == "SENDING"


def test_groups_are_paged_with_next_key_and_belong_to_their_account(api, auto_sandbox):
    made = [api.send_many(message()).json()["groupInfo"]["groupId"] for _ in range(3)]
    first = api.request("GET", endpoints.GROUPS_PATH, params={"limit": 2}).json()
    assert list(first["groupList"]) == made[:0:-1]
    second = api.request(
        "GET", endpoints.GROUPS_PATH, params={"limit": 2, "startKey": first["nextKey"]}
    ).json()
    assert list(second["groupList"]) == [made[0]]
    assert second["nextKey"] is None
    # A group of another account is not found.
    with auto_sandbox._state.lock:
        auto_sandbox._state.outbox.groups[made[0]].account_id = auto_sandbox.users[1].account_id
    missing = api.request("GET", f"{endpoints.GROUPS_PATH}/{made[0]}")
    assert missing.status_code == 404


def test_an_unknown_filter_is_a_validation_error(api):
    response = api.request("GET", endpoints.MESSAGE_LIST_PATH, params={"dateType": "CREATED"})
    assert response.status_code == 400
    assert "dateType" in response.json()["errorMessage"]


# --- sender numbers and storage -----------------------------------------------------------


def test_sender_numbers_answer_both_documented_shapes(api, auto_sandbox):
    numbers = list(auto_sandbox.default_user.sender_numbers)
    assert api.request("GET", endpoints.ACTIVE_SENDER_NUMBERS_PATH).json() == numbers
    detail = api.request("GET", endpoints.SENDER_NUMBERS_PATH).json()
    assert [s["phoneNumber"] for s in detail["senderIds"]] == numbers
    assert {s["status"] for s in detail["senderIds"]} == {"ACTIVE"}


def test_an_uploaded_image_answers_a_file_id_used_as_image_id(api, auto_sandbox):
    body = {"file": base64.b64encode(JPEG).decode(), "name": "a.jpg", "type": "MMS"}
    uploaded = api.request("POST", endpoints.STORAGE_FILES_PATH, json=body).json()
    assert {"fileId", "type", "name", "originalName", "url", "accountId"} <= set(uploaded)
    assert api.failures(message(imageId=uploaded["fileId"])) == []
    assert auto_sandbox.messages()[0]["type"] == "MMS"


@pytest.mark.parametrize(
    "body",
    [
        {"file": "not base64!", "name": "a.jpg", "type": "MMS"},
        {"file": base64.b64encode(b"plain text").decode(), "name": "a.txt", "type": "MMS"},
        {"file": base64.b64encode(JPEG + b"\x00" * 210_000).decode(), "name": "a", "type": "MMS"},
        {"file": base64.b64encode(JPEG).decode(), "name": "a.jpg", "type": "FAX"},
        {"file": base64.b64encode(JPEG).decode(), "type": "MMS"},
    ],
)
def test_a_bad_upload_is_a_validation_error(api, body):
    response = api.request("POST", endpoints.STORAGE_FILES_PATH, json=body)
    assert response.status_code == 400
    assert response.json()["errorCode"] == "ValidationError"


# --- scopes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "scope"),
    [
        ("POST", endpoints.SEND_MANY_PATH, "message:write"),
        ("GET", endpoints.GROUPS_PATH, "message:read"),
        ("GET", endpoints.MESSAGE_LIST_PATH, "message:read"),
        ("GET", endpoints.GROUPS_PATH + "/G4V1", "message:read"),
        ("DELETE", endpoints.GROUPS_PATH + "/G4V1/schedule", "message:write"),
        ("GET", endpoints.ACTIVE_SENDER_NUMBERS_PATH, "senderid:read"),
        ("POST", endpoints.STORAGE_FILES_PATH, "storage:write"),
    ],
)
def test_each_endpoint_needs_its_scope(auto_sandbox, http, method, path, scope):
    api = Api(auto_sandbox, http, scope="users:read")
    response = api.request(method, path, json={})
    assert response.status_code == 403
    assert scope in response.json()["errorMessage"]
