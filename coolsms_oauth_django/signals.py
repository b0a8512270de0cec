"""Signals sent by coolsms_oauth_django. ``sender`` is always :class:`CoolSMSAccount`.

- ``account_connected(user, account, request, created)``: after a connection is saved.
- ``account_disconnected(user, member_id, request)``: after a connection is deleted.
- ``token_refreshed(account)``: after a refreshed token is saved.
- ``refresh_failed(account, error)``: after a refresh failed for good and the connection was
  marked as needing the user to connect again.
- ``message_report(account, report)``: a delivery report for one of the account's messages,
  once per report event (see :mod:`.report_endpoint`).
"""

from __future__ import annotations

from django.dispatch import Signal

account_connected = Signal()
account_disconnected = Signal()
token_refreshed = Signal()
refresh_failed = Signal()

#: ``message_report(account, report)``: a delivery report for one of ``account``'s messages
#: (a :class:`~coolsms_oauth_django.reports.MessageReport`), once per event.
message_report = Signal()
