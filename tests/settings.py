"""Django settings for the test suite.

``COOLSMS_TEST_DATABASE=postgres`` (or ``mysql``) runs the suite against the local
server instead of SQLite.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

SECRET_KEY = "tests-secret-key-not-for-production"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Asia/Seoul"
LANGUAGE_CODE = "en"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
ROOT_URLCONF = "tests.urls"
# pytest-django's live_server serves static files under it.
STATIC_URL = "/static/"
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "coolsms_oauth_django",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    }
]

_database = os.environ.get("COOLSMS_TEST_DATABASE", "sqlite")
# One test database per checkout, so that runs from two checkouts on one machine (a second
# clone, a worktree) do not drop each other's database.
_checkout = hashlib.sha256(str(Path(__file__).resolve().parent.parent).encode()).hexdigest()
TEST_DATABASE_NAME = f"test_coolsms_oauth_{_checkout[:8]}"
if _database == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": "postgres",
            "USER": os.environ.get("PGUSER", "postgres"),
            "HOST": "127.0.0.1",
            "PORT": "5432",
            "TEST": {"NAME": TEST_DATABASE_NAME},
        }
    }
elif _database == "mysql":
    # PyMySQL (pure Python) stands in for mysqlclient, which needs client headers to build.
    import pymysql

    pymysql.version_info = (2, 2, 1, "final", 0)  # the mysqlclient version Django asks for
    pymysql.install_as_MySQLdb()
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": "test",
            "USER": "root",
            "PASSWORD": "",
            "HOST": "127.0.0.1",
            "PORT": "3306",
            "TEST": {"NAME": TEST_DATABASE_NAME, "CHARSET": "utf8mb4"},
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

COOLSMS_OAUTH = {
    "CLIENT_ID": "test-client-id",
    "CLIENT_SECRET": "test-client-secret-value",
    "SCOPES": ["users:read", "cash:read", "message:write"],
    "ENCRYPTION_KEYS": ["6dS6IdHVsELaB1OkiLC0jHC3jxfbYlyFsUHwJ1rfB5E="],
    "REDIRECT_URI": "https://testserver/coolsms/callback/",
}
