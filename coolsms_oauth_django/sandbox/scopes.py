"""The scopes a CoolSMS app may request, with the descriptions the consent page shows."""

from __future__ import annotations

from typing import NamedTuple

from .. import endpoints


class ScopeDescription(NamedTuple):
    """What a scope lets an app do, in Korean and in English."""

    korean: str
    english: str


_DESCRIPTIONS: dict[str, ScopeDescription] = {
    "users:read": ScopeDescription("회원 정보 조회", "Read your member profile"),
    "accounts:read": ScopeDescription("계정 정보 조회", "Read your account details"),
    "senderid:read": ScopeDescription("발신번호 조회", "Read your sender numbers"),
    "senderid:write": ScopeDescription("발신번호 등록 및 관리", "Register and manage sender IDs"),
    "message:read": ScopeDescription("메시지 발송 내역 조회", "Read your message history"),
    "message:write": ScopeDescription("메시지 발송", "Send messages on your behalf"),
    "cash:read": ScopeDescription("잔액 및 포인트 조회", "Read your balance and points"),
    "cash:write": ScopeDescription("잔액 충전 및 관리", "Charge and manage your balance"),
    "pricing:read": ScopeDescription("요금 정보 조회", "Read pricing"),
    "notification:read": ScopeDescription("알림 조회", "Read your notifications"),
    "coolog:read": ScopeDescription("쿨로그 조회", "Read your Coolog entries"),
    "storage:read": ScopeDescription("저장소 파일 조회", "Read files in your storage"),
    "storage:write": ScopeDescription("저장소 파일 업로드 및 관리", "Upload and manage files"),
    "iam:read": ScopeDescription("접근 권한(IAM) 조회", "Read access management (IAM) settings"),
    "iam:write": ScopeDescription("접근 권한(IAM) 관리", "Manage access (IAM) settings"),
    "images:read": ScopeDescription("이미지 조회", "Read your images"),
    "images:write": ScopeDescription("이미지 업로드 및 관리", "Upload and manage images"),
    "kakao:read": ScopeDescription("카카오 채널 및 템플릿 조회", "Read Kakao channels, templates"),
    "kakao:write": ScopeDescription(
        "카카오 채널 및 템플릿 관리", "Manage Kakao channels, templates"
    ),
}

#: Every documented app scope (``endpoints.APP_SCOPES``, in its order) with its description.
APP_SCOPES: dict[str, ScopeDescription] = {
    scope: _DESCRIPTIONS[scope] for scope in endpoints.APP_SCOPES
}


def parse_scopes(raw: str) -> list[str]:
    """Split a space-separated scope string, dropping repeats but keeping the order."""
    seen: dict[str, None] = {}
    for scope in raw.split():
        seen.setdefault(scope, None)
    return list(seen)


def unknown_scopes(scopes: list[str]) -> list[str]:
    """Return the scopes that are not documented app scopes."""
    return [scope for scope in scopes if scope not in APP_SCOPES]
