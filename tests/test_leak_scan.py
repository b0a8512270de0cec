"""A leak scan: with every logger at DEBUG (SQL and urllib3 included), run a full connect flow,
API calls, an API error, failed refreshes and the admin pages, then look for every access token,
refresh token, code and the client secret in the logs, the pages and the exception messages.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client, override_settings

from coolsms_oauth_django import endpoints, get_coolsms_session
from coolsms_oauth_django.conf import app_settings
from coolsms_oauth_django.exceptions import (
    CoolSMSAPIError,
    CoolSMSOAuthError,
    ReconnectRequired,
    TokenRefreshError,
)
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox

from .helpers.accounts import connect, expire, sandbox_settings, stored_tokens
from .helpers.flows import csrf_token, start_flow
from .helpers.reliability import (
    authorize,
    code_of,
    exception_texts,
    leaked,
    report_of,
    sandbox_at_debug,
    site_path,
)

pytestmark = pytest.mark.django_db

ADMIN = "/admin/coolsms_oauth/coolsmsaccount/"


class Evidence:
    """Everything a person could see: pages, exception texts, reprs; and the secrets."""

    def __init__(self) -> None:
        self.texts: list[str | bytes] = []
        self.secrets: set[str] = set()

    def page(self, response: object) -> None:
        self.texts.append(getattr(response, "content", b""))
        self.texts.append(str(getattr(response, "headers", "")))

    def error(self, error: BaseException) -> None:
        self.texts += exception_texts(error)

    def tokens_of(self, account: CoolSMSAccount) -> None:
        self.secrets.update(token for token in stored_tokens(account) if token)


def test_sc22_no_token_code_or_secret_in_logs_pages_or_errors_at_debug(
    browser: Client,
    admin_user: AbstractBaseUser,
    one_retry_debug_sandbox: Sandbox,
    caplog: pytest.LogCaptureFixture,
) -> None:
    seen = Evidence()
    seen.secrets.add(one_retry_debug_sandbox.client_secret)
    browser.force_login(admin_user)

    # A full connect flow.
    location = authorize(one_retry_debug_sandbox, start_flow(browser, next_url="/coolsms/connect/"))
    seen.secrets.add(code_of(location))
    response = browser.get(site_path(location), follow=True)
    assert response.status_code == 200
    seen.page(response)
    account = CoolSMSAccount.objects.get(user=admin_user)
    seen.tokens_of(account)

    # API calls: one that works, one CoolSMS answers with an error.
    session = get_coolsms_session(admin_user)
    assert session.get_balance()["balance"] == one_retry_debug_sandbox.default_user.balance
    one_retry_debug_sandbox.inject_fault(
        endpoints.BALANCE_PATH,
        status=500,
        body={"errorCode": "InternalError", "errorMessage": "internal error"},
    )
    with pytest.raises(CoolSMSAPIError) as api_error:
        session.get_balance()
    seen.error(api_error.value)

    # A refresh that works, then one that fails for a passing reason. (A session keeps the
    # token it read until it is due, so each expiry is seen by a session opened after it.)
    expire(account)
    session = get_coolsms_session(admin_user)
    assert session.get_profile()["memberId"] == one_retry_debug_sandbox.default_user.member_id
    seen.tokens_of(account)
    expire(account)
    session = get_coolsms_session(admin_user)
    one_retry_debug_sandbox.inject_fault(
        endpoints.TOKEN_PATH, status=502, body="<html>502</html>", count=2
    )
    with pytest.raises(TokenRefreshError) as passing:
        session.get_balance()
    seen.error(passing.value)

    # The admin pages, and the admin's refresh action failing.
    for path in (ADMIN, f"{ADMIN}{account.pk}/change/", f"{ADMIN}{account.pk}/history/"):
        response = browser.get(path)
        assert response.status_code == 200, path
        seen.page(response)
    one_retry_debug_sandbox.inject_fault(endpoints.TOKEN_PATH, status=503, count=2)
    response = browser.post(
        ADMIN,
        {
            "action": "refresh_selected",
            "_selected_action": [account.pk],
            "csrfmiddlewaretoken": csrf_token(browser),
        },
        follow=True,
    )
    assert "could not be refreshed" in response.content.decode()
    seen.page(response)

    # CoolSMS revokes the grant: the refresh is refused and the user must reconnect.
    one_retry_debug_sandbox.revoke()
    expire(account)
    session = get_coolsms_session(admin_user)
    with pytest.raises(ReconnectRequired) as gone:
        session.get_balance()
    seen.error(gone.value)
    response = browser.get(f"{ADMIN}{account.pk}/change/")
    seen.page(response)
    account.refresh_from_db()
    seen.texts += [account.last_error, str(account), repr(account), repr(session)]
    seen.texts += [repr(app_settings()), str(app_settings())]

    # Everything the logs hold, in every form a handler could write it.
    seen.texts.append(caplog.text)
    for record in caplog.records:
        seen.texts += [record.getMessage(), str(record.args), record.exc_text or ""]
    assert len(seen.secrets) >= 5, "a code, the secret, two access tokens and a refresh token"
    assert any(record.name == "django.db.backends" for record in caplog.records)
    assert any(record.name.startswith("urllib3") for record in caplog.records)
    assert leaked(seen.secrets, [f"x{secret}x" for secret in seen.secrets]), "the scan sees"
    assert leaked(seen.secrets, seen.texts) == []


def test_sc20_a_refused_client_secret_appears_nowhere(
    user: AbstractBaseUser, one_retry_debug_sandbox: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    account = connect(user, one_retry_debug_sandbox)
    expire(account)
    wrong = "wrong-client-secret-value-5e2c"
    coolsms = sandbox_settings(one_retry_debug_sandbox, CLIENT_SECRET=wrong)
    with override_settings(COOLSMS_OAUTH=coolsms), pytest.raises(CoolSMSOAuthError) as refused:
        get_coolsms_session(user).get_balance()
    texts = [caplog.text, *exception_texts(refused.value)]
    texts.append(CoolSMSAccount.objects.get(pk=account.pk).last_error)
    assert (
        leaked([wrong, one_retry_debug_sandbox.client_secret, *stored_tokens(account)], texts) == []
    )


REPORT_SECRET = "report-secret-value-" + "9" * 24
REPORT_SCOPES = ["users:read", "message:read", "webhook:read", "webhook:write"]


def test_h13_no_report_secret_or_report_url_token_in_logs_or_error_reports(
    user: AbstractBaseUser, caplog: pytest.LogCaptureFixture
) -> None:
    """Registering report URLs, failing to, and taking reports, with every log at DEBUG."""
    from coolsms_oauth_django.report_endpoint import register_report_url, report_path, report_url

    site = "http://127.0.0.1:8000"
    with sandbox_at_debug(
        caplog,
        SCOPES=REPORT_SCOPES,
        REPORT_SECRETS=[REPORT_SECRET],
        REPORT_CONFIRM=True,
        REFRESH_RETRIES=1,
        TIMEOUT=2,
    ) as running:
        account = connect(user, running)
        member = str(account.member_id)
        path = report_path(member)
        token = path.rstrip("/").rsplit("/", 1)[1]
        texts: list[str | bytes] = []
        with get_coolsms_session(user) as session:
            assert register_report_url(session, member, site)[0] == site + path
            # CoolSMS fails the listing, then the registration itself.
            for failing in (
                lambda: register_report_url(session, member, site + "/other/"),
                lambda: register_report_url(session, member, "http://127.0.0.1:8001"),
                lambda: session.register_report_webhook(report_url(member, site)),
            ):
                running.inject_fault(endpoints.WEBHOOKS_PATH, status=500)
                error, reports = report_of(failing)
                assert isinstance(error, CoolSMSOAuthError)
                texts += [*reports, *exception_texts(error)]
        # Reports: one CoolSMS does not list, a malformed one, one that cannot be confirmed.
        report = [
            {
                "eventDataId": "EVENT1",
                "data": {"messageId": "M1", "groupId": "G1", "statusCode": "4000"},
            }
        ]
        browser = Client()
        for body in (report, "not a report"):
            response = browser.post(path, body, content_type="application/json")
            texts += [response.content, str(response.headers)]
        running.inject_fault(endpoints.MESSAGE_LIST_PATH, status=500, count=2)
        response = browser.post(path, report, content_type="application/json")
        assert response.status_code == 503
        texts += [response.content, str(response.headers), repr(app_settings())]
    # The request paths Django logs itself (a 4xx or 5xx: "Bad Request: /path") hold the
    # URL, as any access log does: the URL is the credential. Everything else must not.
    records = [record for record in caplog.records if record.name != "django.request"]
    texts += [record.getMessage() for record in records]
    texts += [str(record.args) for record in records] + [r.exc_text or "" for r in records]
    secrets = [REPORT_SECRET, token]
    assert any(record.name.startswith("coolsms_oauth") for record in records)
    assert leaked(secrets, [f"{path}x"]), "the scan sees"
    assert leaked(secrets, texts) == []
