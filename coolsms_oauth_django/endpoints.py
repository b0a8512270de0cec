"""Facts about the CoolSMS API that do not depend on a site's settings.

This module imports nothing from Django, so the sandbox provider shares it.
"""

from __future__ import annotations

import base64
import hashlib

#: The same paths are also served by https://api.solapi.com and (older) rest.coolsms.co.kr.
DEFAULT_BASE_URL = "https://api.coolsms.co.kr"

AUTHORIZE_PATH = "/oauth2/v1/authorize"
TOKEN_PATH = "/oauth2/v1/access_token"
USERPROFILE_PATH = "/oauth2/v1/userprofile"
MEMBER_PATH = "/users/v1/member"
BALANCE_PATH = "/cash/v1/balance"
SEND_MESSAGE_PATH = "/messages/v4/send"

DEFAULT_SCOPES = ("users:read",)

#: The scopes CoolSMS documents for apps (``role-`` scopes are member roles, not for apps).
APP_SCOPES = (
    "users:read",
    "accounts:read",
    "senderid:read",
    "senderid:write",
    "message:read",
    "message:write",
    "cash:read",
    "cash:write",
    "pricing:read",
    "notification:read",
    "coolog:read",
    "storage:read",
    "storage:write",
    "iam:read",
    "iam:write",
    "images:read",
    "images:write",
    "kakao:read",
    "kakao:write",
)

#: Error codes meaning the grant is gone and the user must connect again.
GRANT_GONE_ERRORS = frozenset({"InvalidGrant", "InvalidRefreshToken", "invalid_grant"})

#: Access token lifetime CoolSMS documents ("expires after 24 hours").
DOCUMENTED_ACCESS_TOKEN_LIFETIME = 24 * 60 * 60


def code_challenge(verifier: str) -> str:
    """Return the PKCE S256 code challenge of ``verifier`` (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


# The messaging API (scopes in brackets).
SEND_MANY_PATH = "/messages/v4/send-many/detail"  # message:write
GROUPS_PATH = "/messages/v4/groups"  # message:read; /{groupId}, /{groupId}/schedule
MESSAGE_LIST_PATH = "/messages/v4/list"  # message:read
ACTIVE_SENDER_NUMBERS_PATH = "/senderid/v1/numbers/active"  # senderid:read
SENDER_NUMBERS_PATH = "/senderid/v1/numbers"  # senderid:read
STORAGE_FILES_PATH = "/storage/v1/files"  # storage:write
