"""The middleware stack of a site that uses ``CoolSMSMiddleware``, for its tests and benchmarks."""

from __future__ import annotations

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "coolsms_oauth_django.middleware.CoolSMSMiddleware",
]
