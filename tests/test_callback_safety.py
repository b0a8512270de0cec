"""What the callback trusts: the values it logs and the issuer it names."""

from __future__ import annotations

import logging
from typing import Any

import pytest
import responses
from django.test import Client

from .conftest import TOKEN_URL, callback, start_flow

pytestmark = pytest.mark.django_db

# --- H7: values from the query are logged safely -----------------------------------------


@pytest.mark.parametrize("parameter", ["error", "errorCode"])
def test_h07_a_callback_error_cannot_forge_a_log_line(
    logged_in: Client, coolsms: responses.RequestsMock, caplog: Any, parameter: str
) -> None:
    forged = "x\n2026-12-01 05:00:00 CRITICAL django.security: forged\r\u2028entry"
    params = start_flow(logged_in)
    with caplog.at_level(logging.DEBUG):
        response = callback(logged_in, state=params["state"], **{parameter: forged})
    assert response.status_code == 302
    lines = [record.getMessage() for record in caplog.records]
    assert any("forged" in line for line in lines), lines  # logged, escaped
    for line in lines:
        assert line.splitlines() == [line], f"a record spans several lines: {line!r}"
    assert not any(record.levelno >= logging.CRITICAL for record in caplog.records)


def test_h07_a_token_endpoint_error_cannot_forge_a_log_line(
    logged_in: Client, coolsms: responses.RequestsMock, caplog: Any
) -> None:
    coolsms.replace(
        responses.POST, TOKEN_URL, status=400, json={"errorCode": "Bad\nCRITICAL forged"}
    )
    params = start_flow(logged_in)
    with caplog.at_level(logging.DEBUG, logger="coolsms_oauth_django"):
        callback(logged_in, code="code-1", state=params["state"])
    lines = [record.getMessage() for record in caplog.records]
    assert any("forged" in line for line in lines), lines
    assert all(line.splitlines() == [line] for line in lines), lines
