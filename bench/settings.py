"""Django settings for the benchmarks: PostgreSQL on 127.0.0.1:5432, database ``coolsms_bench``.

``COOLSMS_BENCH_DB`` names another database; it is created when missing.
"""

from __future__ import annotations

import os

SECRET_KEY = "bench-secret-key-not-for-production"
DEBUG = False
USE_TZ = True
TIME_ZONE = "Asia/Seoul"
LANGUAGE_CODE = "en"
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
ROOT_URLCONF = "bench.urls"
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
    "coolsms_oauth_django.middleware.CoolSMSMiddleware",
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

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": os.environ.get("COOLSMS_BENCH_DB", "coolsms_bench"),
        "USER": os.environ.get("PGUSER", "postgres"),
        "HOST": "127.0.0.1",
        "PORT": "5432",
    }
}

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

# The benchmarks point this at their sandbox with override_settings.
COOLSMS_OAUTH = {
    "CLIENT_ID": "bench-client-id",
    "CLIENT_SECRET": "bench-client-secret",
    "ENCRYPTION_KEYS": ["jY3fXhB0bq5cCw0l7mWvQ0jv0r6Jz4pRj2m0t9w1b8M="],
}
