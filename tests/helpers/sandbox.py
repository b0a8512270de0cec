"""Helpers that drive the sandbox the way a client and a browser would, with requests."""

from __future__ import annotations

from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

from coolsms_oauth_django import endpoints
from coolsms_oauth_django.endpoints import AUTHORIZE_PATH, SEND_MESSAGE_PATH, TOKEN_PATH
from coolsms_oauth_django.sandbox import Sandbox
from coolsms_oauth_django.sandbox.authorize import SESSION_COOKIE

REDIRECT_URI = "http://localhost:8000/coolsms/callback/"
SCOPES = "users:read cash:read message:write"
DEMO_LOGIN = "demo@sandbox.coolsms.test"
DEMO_PASSWORD = "sandbox1234"
#: The scopes the messaging API client asks for.
API_SCOPES = "users:read message:read message:write senderid:read storage:write"
#: The redirect URIs ``registered_sandbox`` has registered.
REGISTERED = ["https://shop.example/cb", "https://shop.example/other"]

__all__ = ["AUTHORIZE_PATH", "SESSION_COOKIE", "TOKEN_PATH"]


class FakeClock:
    """A clock tests move by hand."""

    def __init__(self, now: float = 1_750_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class FormParser(HTMLParser):
    """Collect every form's action, inputs and submit buttons by the form's id."""

    def __init__(self) -> None:
        super().__init__()
        self.forms: dict[str, dict[str, Any]] = {}
        #: Every form in page order, with or without an id.
        self.all_forms: list[dict[str, Any]] = []
        self._current: dict[str, Any] | None = None
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {name: value or "" for name, value in attrs}
        if "id" in attributes:
            self.ids.add(attributes["id"])
        if tag == "form":
            self._current = {"action": attributes.get("action"), "fields": {}, "buttons": {}}
            self.forms[attributes.get("id", "")] = self._current
            self.all_forms.append(self._current)
        elif tag == "input" and self._current is not None and "name" in attributes:
            self._current["fields"][attributes["name"]] = attributes.get("value", "")
        elif tag == "button" and self._current is not None and "id" in attributes:
            self._current["buttons"][attributes["id"]] = (
                attributes.get("name"),
                attributes.get("value"),
            )

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._current = None


def parse_page(html: str) -> FormParser:
    """Parse an HTML page's forms and element ids."""
    parser = FormParser()
    parser.feed(html)
    return parser


def read_form(html: str, form_id: str) -> tuple[str, dict[str, str]]:
    """Return the action and the input values of the form ``form_id`` on a page."""
    form = parse_page(html).forms[form_id]
    return form["action"], dict(form["fields"])


def authorize_params(sandbox: Sandbox, **overrides: str | None) -> dict[str, str]:
    """Return a valid authorize query, changed by ``overrides`` (None drops a parameter)."""
    params: dict[str, str | None] = {
        "client_id": sandbox.client_id,
        "response_type": "code",
        "scope": SCOPES,
        "redirect_uri": REDIRECT_URI,
        "state": "state-value-123",
        **overrides,
    }
    return {key: value for key, value in params.items() if value is not None}


def callback_params(response: requests.Response) -> dict[str, str]:
    """Return the query parameters of the redirect ``response`` points to."""
    assert response.status_code in (302, 303), response.text
    query = parse_qs(urlsplit(response.headers["Location"]).query)
    return {key: values[0] for key, values in query.items()}


def get_code(sandbox: Sandbox, http: requests.Session, **overrides: str | None) -> str:
    """Run an auto-approved authorization and return the code."""
    response = http.get(
        sandbox.base_url + AUTHORIZE_PATH,
        params=authorize_params(sandbox, **overrides),
        allow_redirects=False,
    )
    return callback_params(response)["code"]


def client_body(sandbox: Sandbox, **fields: str) -> dict[str, str]:
    """Return a token request body with the sandbox's client credentials."""
    return {"client_id": sandbox.client_id, "client_secret": sandbox.client_secret, **fields}


def exchange(
    sandbox: Sandbox, http: requests.Session, code: str, **fields: str
) -> requests.Response:
    """Exchange ``code`` at the token endpoint with a JSON body."""
    body = client_body(
        sandbox, grant_type="authorization_code", code=code, redirect_uri=REDIRECT_URI
    )
    return http.post(sandbox.base_url + TOKEN_PATH, json={**body, **fields})


def tokens(sandbox: Sandbox, http: requests.Session, **overrides: str | None) -> dict[str, Any]:
    """Authorize (auto-approved) and exchange the code; return the token response."""
    response = exchange(sandbox, http, get_code(sandbox, http, **overrides))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def refresh(
    sandbox: Sandbox, http: requests.Session, refresh_token: str, **fields: str
) -> requests.Response:
    """Call the refresh grant with a JSON body."""
    body = client_body(sandbox, grant_type="refresh_token", refresh_token=refresh_token)
    return http.post(sandbox.base_url + TOKEN_PATH, json={**body, **fields})


def bearer(token: str) -> dict[str, str]:
    """Return the Authorization header for ``token``."""
    return {"Authorization": f"Bearer {token}"}


def send_message(
    sandbox: Sandbox, http: requests.Session, access_token: str, text: str = "hi"
) -> requests.Response:
    """Send one SMS of ``text`` with ``access_token``; return the sandbox's answer."""
    message = {"to": "01000000000", "from": "029302266", "text": text}
    return http.post(
        sandbox.base_url + SEND_MESSAGE_PATH,
        json={"message": message},
        headers=bearer(access_token),
    )


class Api:
    """A bearer-authenticated client for one sandbox member."""

    def __init__(self, sandbox: Sandbox, http: requests.Session, scope: str = API_SCOPES) -> None:
        self.sandbox, self.http = sandbox, http
        self.headers = bearer(tokens(sandbox, http, scope=scope)["access_token"])

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        return self.http.request(
            method, self.sandbox.base_url + path, headers=self.headers, **kwargs
        )

    def send_many(self, *messages: dict[str, Any], **options: Any) -> requests.Response:
        return self.request(
            "POST", endpoints.SEND_MANY_PATH, json={"messages": list(messages), **options}
        )

    def failures(self, *messages: dict[str, Any], **options: Any) -> list[str]:
        response = self.send_many(*messages, **options)
        assert response.status_code == 200, response.text
        return [entry["statusCode"] for entry in response.json()["failedMessageList"]]
