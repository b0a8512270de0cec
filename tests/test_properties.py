"""Property-based tests: hostile callbacks and arbitrary token-endpoint answers.

Whatever arrives at the callback, the site answers with a page or a redirect (never a 500)
and stores nothing. Whatever the token endpoint answers, the code exchange and the refresh
end either with tokens taken from that answer or with one of the documented exceptions, and
a connection's good tokens are never replaced by anything else.

2,000 examples per property under CI (``CI=true``), 200 otherwise.
"""

from __future__ import annotations

import json
import os
import string
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import jwt
import pytest
import requests
import responses
from django.contrib.auth.models import AbstractBaseUser
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coolsms_oauth_django import clock, oauth, pending_flows, refresh
from coolsms_oauth_django.conf import oauth_config
from coolsms_oauth_django.exceptions import ReconnectRequired, TokenError
from coolsms_oauth_django.models import CoolSMSAccount

from .helpers.accounts import stored_tokens
from .helpers.coolsms import GOOD_ACCESS, GOOD_REFRESH, TOKEN_URL

pytestmark = pytest.mark.django_db

settings.register_profile(
    "coolsms-ci",
    max_examples=2000,
    deadline=None,
    database=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
settings.register_profile(
    "coolsms-dev",
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
#: The profile every property here runs under, chosen by the CI environment variable.
EXAMPLES = settings.get_profile("coolsms-ci" if os.environ.get("CI") == "true" else "coolsms-dev")

CALLBACK = "/coolsms/callback/"

# --- Hostile callback query strings --------------------------------------------------------

CALLBACK_KEYS = (
    "state",
    "code",
    "error",
    "error_description",
    "errorCode",
    "errorMessage",
    "next",
    "iss",
    "access_token",
    "refresh_token",
    "coolsms_resumed",
)

hostile_text = st.one_of(
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=200),
    st.sampled_from(
        [
            "",
            "\x00",
            "a\x00b",
            "access_denied",
            "InvalidGrant",
            "//evil.example",
            "javascript:alert(1)",
            "<script>alert(1)</script>",
            "\r\nSet-Cookie: x=1",
            "https://api.coolsms.co.kr",
            "https://evil.example",
            "%00",
            "%ff%fe",
            "\ud7ff\ue000\U0010ffff",
            "null",
            "None",
        ]
    ),
    st.integers(min_value=4000, max_value=20_000).map(lambda n: "A" * n),
)


@st.composite
def callback_queries(draw: st.DrawFn) -> tuple[list[tuple[str, str]], bool, str]:
    """Draw query pairs, whether the real pending state is among them, and raw trailing text."""
    keys = st.one_of(st.sampled_from(CALLBACK_KEYS), st.text(max_size=12), st.just("A" * 200))
    pairs = draw(st.lists(st.tuples(keys, hostile_text), max_size=8))
    use_real_state = draw(st.booleans())
    raw = draw(st.sampled_from(["", "&%", "&%zz", "&state", "&=x", "&&&", "&code=%ff%00", "&;"]))
    return pairs, use_real_state, raw


def encode_query(pairs: list[tuple[str, str]]) -> str:
    # quote(), not urlencode(): surrogates and NULs must reach the site as they are encoded.
    return "&".join(
        quote(key.encode("utf-8", "surrogatepass"), safe="")
        + "="
        + quote(value.encode("utf-8", "surrogatepass"), safe="")
        for key, value in pairs
    )


def pending_state(client: Client, user: AbstractBaseUser) -> str:
    """Open a connect flow in the client's session directly and return its state."""
    session = client.session
    flow = pending_flows.begin(
        session,
        user_pk=user.pk,
        next_url="/",
        redirect_uri="https://testserver/coolsms/callback/",
        code_verifier=None,
        ttl=600,
        limit=5,
    )
    session.save()
    return flow.state


@EXAMPLES
@given(query=callback_queries())
def test_sc16_hostile_callback_queries_never_give_a_500_and_store_nothing(
    query: tuple[list[tuple[str, str]], bool, str],
    logged_in: Client,
    user: AbstractBaseUser,
    token_endpoint_refuses: responses.RequestsMock,
) -> None:
    pairs, use_real_state, raw = query
    if use_real_state:
        pairs = [("state", pending_state(logged_in, user)), *pairs]
    response = logged_in.get(CALLBACK + "?" + encode_query(pairs) + raw)
    assert response.status_code in (200, 302, 400), response.status_code
    assert response["Cache-Control"] == "no-store"
    assert not CoolSMSAccount.objects.exists()


# --- Arbitrary token-endpoint answers ------------------------------------------------------

KEY = "provider-signing-key-unknown-to-clients"
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
)
json_values = st.recursive(
    json_scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
weird_numbers = st.one_of(
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, 1, 86400, 10**12, 10**20, 2**63, -1]),
)
numeric_strings = st.one_of(
    st.integers(min_value=0, max_value=10**30).map(str),
    st.text(alphabet="0123456789 \t\u0660\u0661\u00b2\u00b3\u2460\uff11-+.e", max_size=25),
)
claims = st.fixed_dictionaries(
    {},
    optional={
        "exp": st.one_of(weird_numbers, st.text(max_size=10)),
        "expireAt": st.one_of(
            st.datetimes(timezones=st.none() | st.timezones()).map(lambda d: d.isoformat()),
            st.text(max_size=30),
            st.sampled_from(["0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-12:00", "Z"]),
        ),
        "scope": st.one_of(st.text(max_size=40), st.lists(st.text(max_size=10), max_size=4)),
        "scopes": json_values,
        "memberId": st.one_of(st.text(max_size=70), json_scalars),
    },
)


@st.composite
def jwt_tokens(draw: st.DrawFn) -> str:
    payload = draw(claims)
    token = jwt.encode(payload, KEY, algorithm="HS256")
    mangle = draw(st.sampled_from(["", "drop-signature", "alg-none", "garbage-payload"]))
    header, body, signature = token.split(".")
    if mangle == "drop-signature":
        return f"{header}.{body}."
    if mangle == "alg-none":
        return f"eyJhbGciOiJub25lIn0.{body}."
    if mangle == "garbage-payload":
        return f"{header}.{draw(st.text(string.ascii_letters + '-_', max_size=20))}.{signature}"
    return token


access_tokens = st.one_of(jwt_tokens(), st.text(min_size=1, max_size=60), json_values)
token_fields = st.fixed_dictionaries(
    {},
    optional={
        "access_token": access_tokens,
        "refresh_token": st.one_of(st.text(max_size=40), json_values),
        "token_type": st.one_of(
            st.sampled_from(["Bearer", "bearer", "BEARER", "mac", ""]), json_values
        ),
        "expires_in": st.one_of(weird_numbers, numeric_strings, json_values),
        "scope": st.one_of(st.text(max_size=40), json_values),
        "errorCode": st.one_of(st.sampled_from(["InvalidGrant", "InternalError"]), json_values),
        "errorMessage": json_values,
        "error": st.one_of(st.sampled_from(["invalid_grant", "invalid_request"]), json_values),
        "error_description": json_values,
    },
)


#: A documented token response with one to three fields made hostile.
near_valid_fields = st.builds(
    lambda base, hostile: {**base, **hostile},
    st.fixed_dictionaries(
        {
            "access_token": jwt_tokens(),
            "refresh_token": st.text(min_size=1, max_size=20),
            "token_type": st.just("Bearer"),
        }
    ),
    token_fields.filter(lambda fields: 1 <= len(fields) <= 3),
)


def dumps(value: Any) -> bytes:
    return json.dumps(value, allow_nan=True).encode("utf-8")


bodies = st.one_of(
    near_valid_fields.map(dumps),
    near_valid_fields.map(dumps),
    token_fields.map(dumps),
    json_values.map(dumps),
    st.binary(max_size=200),
    st.text(max_size=200).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.just(b"<html><body><h1>502 Bad Gateway</h1></body></html>"),
    st.just(b""),
    st.integers(1, 3).map(lambda n: b"[" * (10_000 * n) + b"]" * (10_000 * n)),
    st.integers(-2, 2).map(
        lambda n: b'{"access_token": "' + b"A" * (oauth.MAX_RESPONSE_BYTES + n) + b'"}'
    ),
)
statuses = st.one_of(
    st.sampled_from([200, 200, 200, 201, 204, 302, 400, 401, 403, 404, 429, 500, 502, 503]),
    st.integers(min_value=200, max_value=599),
)
content_types = st.sampled_from(
    ["application/json", "application/json; charset=utf-8", "text/html", "text/plain", ""]
)


@st.composite
def token_answers(draw: st.DrawFn) -> tuple[int, str, bytes]:
    return draw(statuses), draw(content_types), draw(bodies)


def answer_with(mock: responses.RequestsMock, answer: tuple[int, str, bytes]) -> None:
    status, content_type, body = answer
    headers = {"Content-Type": content_type} if content_type else {}
    mock.replace(
        responses.POST,
        TOKEN_URL,
        body=body,
        status=status,
        headers=headers,
        content_type=None,
    )


def json_access_token(body: bytes) -> Any:
    try:
        return json.loads(body).get("access_token")
    except (ValueError, AttributeError, RecursionError, UnicodeDecodeError):
        return None


def restore(account: CoolSMSAccount) -> None:
    """Put the good tokens back before each example."""
    CoolSMSAccount.objects.filter(pk=account.pk).update(
        access_token=GOOD_ACCESS,
        refresh_token=GOOD_REFRESH,
        status=CoolSMSAccount.ACTIVE,
        expires_at=clock.now() + timedelta(hours=1),
    )


@EXAMPLES
@given(answer=token_answers())
def test_sc19_any_token_answer_to_the_code_exchange_gives_tokens_or_a_token_error(
    answer: tuple[int, str, bytes], token_endpoint: responses.RequestsMock
) -> None:
    answer_with(token_endpoint, answer)
    with requests.Session() as http:
        try:
            tokens = oauth.exchange_code(
                oauth_config(),
                http,
                code="code-from-callback",
                redirect_uri="https://testserver/coolsms/callback/",
                now=clock.now(),
            )
        except TokenError:
            return
    status, _, body = answer
    assert 200 <= status < 300
    assert tokens.access_token == json_access_token(body)
    assert tokens.token_type == "Bearer"
    assert tokens.expires_at <= clock.now() + oauth.MAX_LIFETIME + timedelta(seconds=5)


@EXAMPLES
@given(answer=token_answers())
def test_sc19_any_token_answer_to_the_callback_redirects_and_keeps_or_replaces_whole(
    answer: tuple[int, str, bytes],
    logged_in: Client,
    user: AbstractBaseUser,
    good_account: CoolSMSAccount,
    token_endpoint: responses.RequestsMock,
) -> None:
    restore(good_account)
    answer_with(token_endpoint, answer)
    query = encode_query([("state", pending_state(logged_in, user)), ("code", "c0de")])
    response = logged_in.get(CALLBACK + "?" + query)
    assert response.status_code == 302
    access, refresh_token = stored_tokens(good_account)
    if access == GOOD_ACCESS:
        assert refresh_token == GOOD_REFRESH, "a refused answer changed nothing"
    else:
        assert access == json_access_token(answer[2])


@EXAMPLES
@given(answer=token_answers())
def test_sc25_any_token_answer_to_a_refresh_never_overwrites_good_tokens_with_junk(
    answer: tuple[int, str, bytes],
    good_account: CoolSMSAccount,
    token_endpoint: responses.RequestsMock,
) -> None:
    restore(good_account)
    answer_with(token_endpoint, answer)
    try:
        token = refresh.refresh_account(good_account.pk, force=True, sleep=lambda _: None)
    except (TokenError, ReconnectRequired):
        assert stored_tokens(good_account) == (GOOD_ACCESS, GOOD_REFRESH)
        return
    body = json.loads(answer[2])
    assert 200 <= answer[0] < 300
    assert token == body["access_token"]
    assert stored_tokens(good_account) == (token, body.get("refresh_token") or GOOD_REFRESH)


# --- The answers the properties above found, kept as plain regression tests ----------------


@pytest.mark.parametrize(
    "fields",
    [
        {"expires_in": 86_400_000_000_000},
        {"expires_in": 10**30},
        {"expires_in": "99999999999999999999"},
        {"access_token": jwt.encode({"expireAt": "0001-01-01T00:00+00:01"}, KEY)},
        {"access_token": jwt.encode({"expireAt": "9999-12-31T23:59:59-12:00"}, KEY)},
        {"access_token": jwt.encode({"exp": -62_135_596_800}, KEY)},
    ],
    ids=["huge-int", "huger-int", "huge-string", "year-1", "year-10000-in-utc", "exp-year-1"],
)
def test_sc26_extreme_expiries_are_clamped_and_stored(
    fields: dict[str, Any], good_account: CoolSMSAccount, token_endpoint: responses.RequestsMock
) -> None:
    body = {"access_token": "opaque", "token_type": "Bearer", **fields}
    answer_with(token_endpoint, (200, "application/json", dumps(body)))
    refresh.refresh_account(good_account.pk, force=True)
    expires_at = CoolSMSAccount.objects.get(pk=good_account.pk).expires_at
    now = clock.now()
    assert now - oauth.MAX_LIFETIME - timedelta(seconds=5) <= expires_at
    assert expires_at <= now + oauth.MAX_LIFETIME


@pytest.mark.parametrize("expires_in", ["²", "①", "１２", "-5", "3600.0"])
def test_sc19_non_ascii_or_signed_expires_in_strings_are_a_token_error(expires_in: str) -> None:
    body = dumps({"access_token": "opaque", "token_type": "Bearer", "expires_in": expires_in})
    with pytest.raises(TokenError):
        oauth.parse_token_response(body, requested_scopes=(), now=clock.now(), fallback_lifetime=60)
