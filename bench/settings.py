"""Django settings for the benchmarks: PostgreSQL on 127.0.0.1:5432, database ``coolsms_bench``.

``COOLSMS_BENCH_DB`` names another database; it is created when missing.
"""

from __future__ import annotations

import os

from tests.settings import *  # noqa: F403  (the test suite's site, with the changes below)
from tests.settings import MIDDLEWARE

SECRET_KEY = "bench-secret-key-not-for-production"
ROOT_URLCONF = "bench.urls"
MIDDLEWARE = [*MIDDLEWARE, "coolsms_oauth_django.middleware.CoolSMSMiddleware"]

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
