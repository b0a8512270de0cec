"""Signals sent by coolsms_oauth_django. ``sender`` is always :class:`CoolSMSAccount`.

- ``account_connected(user, account, request, created)``: after a connection is saved.
- ``account_disconnected(user, member_id, request)``: after a connection is deleted.
"""

from __future__ import annotations

from django.dispatch import Signal

account_connected = Signal()
account_disconnected = Signal()
