"""Messaging: the scopes and the app id of a site that sends messages through CoolSMS."""

from __future__ import annotations

#: The scopes a site that sends messages, reads them, and uploads files asks for.
MESSAGING_SCOPES = [
    "users:read",
    "cash:read",
    "message:read",
    "message:write",
    "senderid:read",
    "storage:write",
]

#: The CoolSMS app id the site sends with.
APP_ID = "APPSITE0001"
