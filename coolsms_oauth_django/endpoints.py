"""Facts about the CoolSMS API that do not depend on a site's settings.

This module imports nothing from Django, so the sandbox provider shares it.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import NamedTuple

#: The same paths are also served by https://api.solapi.com and (older) rest.coolsms.co.kr.
DEFAULT_BASE_URL = "https://api.coolsms.co.kr"

AUTHORIZE_PATH = "/oauth2/v1/authorize"
TOKEN_PATH = "/oauth2/v1/access_token"
USERPROFILE_PATH = "/oauth2/v1/userprofile"
MEMBER_PATH = "/users/v1/member"
BALANCE_PATH = "/cash/v1/balance"
SEND_MESSAGE_PATH = "/messages/v4/send"

DEFAULT_SCOPES = ("users:read",)


class ScopeMeaning(NamedTuple):
    """What a scope lets an app do, in Korean and in English."""

    korean: str
    english: str


#: The scopes CoolSMS documents for apps (``role-`` scopes are member roles, not for apps),
#: each with what it lets an app do; consent and confirmation pages show these meanings.
SCOPE_MEANINGS: dict[str, ScopeMeaning] = {
    "users:read": ScopeMeaning("회원 정보 조회", "Read your member profile"),
    "accounts:read": ScopeMeaning("계정 정보 조회", "Read your account details"),
    "senderid:read": ScopeMeaning("발신번호 조회", "Read your sender numbers"),
    "senderid:write": ScopeMeaning("발신번호 등록 및 관리", "Register and manage sender IDs"),
    "message:read": ScopeMeaning("메시지 발송 내역 조회", "Read your message history"),
    "message:write": ScopeMeaning("메시지 발송", "Send messages on your behalf"),
    "cash:read": ScopeMeaning("잔액 및 포인트 조회", "Read your balance and points"),
    "cash:write": ScopeMeaning("잔액 충전 및 관리", "Charge and manage your balance"),
    "pricing:read": ScopeMeaning("요금 정보 조회", "Read pricing"),
    "notification:read": ScopeMeaning("알림 조회", "Read your notifications"),
    "coolog:read": ScopeMeaning("쿨로그 조회", "Read your Coolog entries"),
    "storage:read": ScopeMeaning("저장소 파일 조회", "Read files in your storage"),
    "storage:write": ScopeMeaning("저장소 파일 업로드 및 관리", "Upload and manage files"),
    "iam:read": ScopeMeaning("접근 권한(IAM) 조회", "Read access management (IAM) settings"),
    "iam:write": ScopeMeaning("접근 권한(IAM) 관리", "Manage access (IAM) settings"),
    "images:read": ScopeMeaning("이미지 조회", "Read your images"),
    "images:write": ScopeMeaning("이미지 업로드 및 관리", "Upload and manage images"),
    "kakao:read": ScopeMeaning("카카오 채널 및 템플릿 조회", "Read Kakao channels, templates"),
    "kakao:write": ScopeMeaning("카카오 채널 및 템플릿 관리", "Manage Kakao channels, templates"),
    # The webhook API's permissions: its pages name them, the OAuth scope list does not.
    "webhook:read": ScopeMeaning("웹훅 조회", "Read your webhooks"),
    "webhook:write": ScopeMeaning("웹훅 등록 및 삭제", "Register and remove webhooks"),
}

#: The documented app scopes, in CoolSMS's order.
APP_SCOPES = tuple(SCOPE_MEANINGS)

#: Error codes meaning the grant is gone and the user must connect again.
GRANT_GONE_ERRORS = frozenset({"InvalidGrant", "InvalidRefreshToken", "invalid_grant"})

#: Access token lifetime CoolSMS documents ("expires after 24 hours").
DOCUMENTED_ACCESS_TOKEN_LIFETIME = 24 * 60 * 60


# The messaging API (scopes in brackets).
SEND_MANY_PATH = "/messages/v4/send-many/detail"  # message:write
GROUPS_PATH = "/messages/v4/groups"  # message:read; /{groupId}, /{groupId}/schedule
MESSAGE_LIST_PATH = "/messages/v4/list"  # message:read
ACTIVE_SENDER_NUMBERS_PATH = "/senderid/v1/numbers/active"  # senderid:read
SENDER_NUMBERS_PATH = "/senderid/v1/numbers"  # senderid:read
STORAGE_FILES_PATH = "/storage/v1/files"  # storage:write
#: Delivery report webhooks: GET lists (webhook:read), POST registers and
#: DELETE /{webhookId} removes (webhook:write).
WEBHOOKS_PATH = "/webhook/v1/outgoing"
#: The webhook event of one message's delivery report.
SINGLE_REPORT_EVENT = "SINGLE-REPORT"


def scope_meaning(scope: str, language: str | None) -> str:
    """Return what ``scope`` lets an app do, in Korean for a ``ko`` language, else English.

    A scope CoolSMS does not document is returned as it is.
    """
    meaning = SCOPE_MEANINGS.get(scope)
    if meaning is None:
        return scope
    return meaning.korean if (language or "").lower().startswith("ko") else meaning.english


def parse_date(value: str) -> datetime:
    """Return the aware datetime of a CoolSMS ISO 8601 date such as ``2026-12-01T09:00:00Z``.

    A date without an offset is UTC. Raise ``ValueError`` when ``value`` is not such a date.
    """
    # Python 3.10's fromisoformat() does not take the "Z" suffix.
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=timezone.utc)
