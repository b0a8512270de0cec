"""Many processes: connect flows through a real multi-process server.

(The refresh stampede on PostgreSQL and MariaDB is in ``test_stampede.py``.)

* Connect flows in parallel from many users through a real multi-process server (gunicorn
  with several workers on a loopback port, all on the PostgreSQL test database), with the
  sessions in the database and, separately, in Redis through Django's cache session backend:
  every connection is stored, and each user's tokens belong to the CoolSMS member that user
  approved as.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import connection

from coolsms_oauth_django import endpoints, get_coolsms_session
from coolsms_oauth_django.models import CoolSMSAccount
from coolsms_oauth_django.sandbox import Sandbox, SandboxUser

from .helpers.accounts import expire, sandbox_settings
from .helpers.flows import PASSWORD
from .helpers.reliability import SESSION_REDIS_URL, USERS, members
from .helpers.sandbox import read_form

REPO = Path(__file__).resolve().parents[1]
PARALLEL = 8
WORKERS = 3


# --- Parallel connect flows through gunicorn -------------------------------------------------

SERVER_SETTINGS = '''
"""Settings of the gunicorn server the multi-process test starts (written by the test)."""

import json
import os

from tests.settings import *  # noqa: F403

DATABASES["default"]["NAME"] = os.environ["RELIABILITY_DB_NAME"]  # noqa: F405
COOLSMS_OAUTH = json.loads(os.environ["RELIABILITY_COOLSMS_OAUTH"])
SESSION_ENGINE = os.environ["RELIABILITY_SESSION_ENGINE"]
if os.environ.get("RELIABILITY_REDIS_PREFIX"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["RELIABILITY_REDIS_URL"],
            "KEY_PREFIX": os.environ["RELIABILITY_REDIS_PREFIX"],
        }
    }
'''


class Server:
    """A gunicorn server with ``WORKERS`` worker processes on a free loopback port."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        (tmp_path / "reliability_server_settings.py").write_text(SERVER_SETTINGS, "utf-8")
        self.log_path = tmp_path / "gunicorn.log"
        self.log = self.log_path.open("w", encoding="utf-8")
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                str(WORKERS),
                "--bind",
                "127.0.0.1:0",
                "--pythonpath",
                f"{REPO},{tmp_path}",
                "--chdir",
                str(REPO),
                "--graceful-timeout",
                "5",
                "django.core.wsgi:get_wsgi_application()",
            ],
            env={
                **os.environ,
                **env,
                "DJANGO_SETTINGS_MODULE": "reliability_server_settings",
                "PYTHONWARNINGS": "ignore",
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
        self.base_url = self._wait_for_port()

    def _wait_for_port(self) -> str:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            found = re.search(r"Listening at: (http://127\.0\.0\.1:\d+)", self.log_path.read_text())
            if found:
                base_url = found.group(1)
                if self._answers(base_url):
                    return base_url
            if self.process.poll() is not None:
                break
            time.sleep(0.1)
        self.close()
        raise AssertionError("gunicorn did not start:\n" + self.log_path.read_text())

    @staticmethod
    def _answers(base_url: str) -> bool:
        try:
            with requests.get(base_url + "/", timeout=2) as response:
                return response.status_code == 200
        except requests.RequestException:
            return False

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:  # pragma: no cover - only when it hangs
                self.process.kill()
                self.process.wait()
        self.log.close()


def sandbox_form_post(
    browser: requests.Session, sandbox: Sandbox, html: str, form: str, **fields: str
) -> requests.Response:
    action, values = read_form(html, form)
    values.update(fields)
    return browser.post(
        urljoin(sandbox.base_url, action), data=values, allow_redirects=False, timeout=30
    )


def connect_through_the_server(
    base_url: str, sandbox: Sandbox, username: str, member: SandboxUser
) -> str:
    """Log in to the site, connect CoolSMS approving as ``member``; return where it ended."""
    with requests.Session() as browser:
        page = browser.get(base_url + "/admin/login/", timeout=30)
        _, fields = read_form(page.text, "login-form")
        fields.update(username=username, password=PASSWORD, next="/admin/")
        answer = browser.post(
            base_url + "/admin/login/", data=fields, allow_redirects=False, timeout=30
        )
        assert answer.status_code == 302, "site login failed"
        page = browser.get(base_url + "/coolsms/connect/", timeout=30)
        token = browser.cookies.get("csrftoken", domain="127.0.0.1")
        answer = browser.post(
            base_url + "/coolsms/connect/",
            data={"csrfmiddlewaretoken": token, "next": f"/done/{username}/"},
            headers={"Referer": base_url + "/coolsms/connect/"},
            allow_redirects=False,
            timeout=30,
        )
        assert answer.status_code == 302, answer.status_code
        page = browser.get(answer.headers["Location"], timeout=30)
        answer = sandbox_form_post(
            browser, sandbox, page.text, "login-form", login=member.login, password=member.password
        )
        assert answer.status_code == 303, answer.status_code
        page = browser.get(urljoin(sandbox.base_url, answer.headers["Location"]), timeout=30)
        answer = sandbox_form_post(browser, sandbox, page.text, "consent-form", decision="approve")
        assert answer.status_code == 302, answer.status_code
        callback = answer.headers["Location"]
        assert urlsplit(callback).netloc == urlsplit(base_url).netloc
        done = browser.get(callback, allow_redirects=False, timeout=30)
        assert done.status_code == 302, done.status_code
        return str(done.headers["Location"])


def site_users() -> list[AbstractBaseUser]:
    model = get_user_model()
    return [
        model.objects.create_user(username=f"site-user-{number}", password=PASSWORD, is_staff=True)
        for number in range(USERS)
    ]


def redis_keys(prefix: str) -> int:
    import redis

    client = redis.Redis.from_url(SESSION_REDIS_URL)
    try:
        return len(list(client.scan_iter(match=f"{prefix}:*")))
    finally:
        client.close()


def run_parallel_flows(tmp_path: Path, sandbox: Sandbox, env: dict[str, str]) -> None:
    users = site_users()
    server = Server(
        tmp_path,
        {
            "COOLSMS_TEST_DATABASE": "postgres",
            "RELIABILITY_DB_NAME": str(connection.settings_dict["NAME"]),
            "RELIABILITY_COOLSMS_OAUTH": json.dumps(sandbox_settings(sandbox, REDIRECT_URI=None)),
            **env,
        },
    )
    pairs = list(zip(users, members(), strict=True))
    try:
        with ThreadPoolExecutor(PARALLEL) as pool:
            ends = list(
                pool.map(
                    lambda pair: connect_through_the_server(
                        server.base_url, sandbox, pair[0].get_username(), pair[1]
                    ),
                    pairs,
                )
            )
    finally:
        server.close()
    assert ends == [f"/done/{user.get_username()}/" for user in users]
    assert CoolSMSAccount.objects.count() == USERS
    assert sandbox.token_calls()["authorization_code"] == USERS
    for user, member in pairs:
        account = CoolSMSAccount.objects.get(user=user)
        assert account.member_id == member.member_id, "connections crossed between users"
        assert account.name == member.name
        # The stored access token is the member's own, as CoolSMS sees it...
        with requests.get(
            sandbox.base_url + endpoints.MEMBER_PATH,
            headers={"Authorization": f"Bearer {account.access_token}"},
            timeout=10,
        ) as answer:
            assert answer.json()["memberId"] == member.member_id
        # ...and so is the refresh token: a refresh gets a token for the same member.
        expire(account)
        assert get_coolsms_session(user).get_profile()["memberId"] == member.member_id
    assert sandbox.token_calls()["refresh_token"] == USERS


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sc24_parallel_connect_flows_through_gunicorn_with_database_sessions(
    tmp_path: Path, member_sandbox: Sandbox
) -> None:
    run_parallel_flows(
        tmp_path,
        member_sandbox,
        {"RELIABILITY_SESSION_ENGINE": "django.contrib.sessions.backends.db"},
    )
    from django.contrib.sessions.models import Session

    assert Session.objects.count() >= len(members())


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sc24_parallel_connect_flows_through_gunicorn_with_redis_sessions(
    tmp_path: Path, member_sandbox: Sandbox, redis_prefix: str
) -> None:
    run_parallel_flows(
        tmp_path,
        member_sandbox,
        {
            "RELIABILITY_SESSION_ENGINE": "django.contrib.sessions.backends.cache",
            "RELIABILITY_REDIS_URL": SESSION_REDIS_URL,
            "RELIABILITY_REDIS_PREFIX": redis_prefix,
        },
    )
    from django.contrib.sessions.models import Session

    assert not Session.objects.exists(), "the sessions went to Redis, not the database"
    assert redis_keys(redis_prefix) >= len(members())
