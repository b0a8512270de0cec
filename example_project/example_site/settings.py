"""Settings of the example site.

Everything CoolSMS-related is in the ``COOLSMS_OAUTH`` block near the end. By default the site
talks to the local sandbox provider (``python -m coolsms_oauth_django.sandbox``); set
``COOLSMS_CLIENT_ID``, ``COOLSMS_CLIENT_SECRET`` and ``COOLSMS_BASE_URL`` in the environment to
use your app registered with the real CoolSMS instead.
"""

import os
from pathlib import Path

from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent

# DEMO ONLY: a real site reads its secret key from the environment and never commits it.
SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "demo-only-secret-key-do-not-use-in-production")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "coolsms_oauth_django",
    "notices",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # Picks Korean or English from the language switcher, else from the browser.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # After AuthenticationMiddleware: gives views ``request.coolsms`` and sends the browser
    # to the connect page when a view raises NotConnected or ReconnectRequired.
    "coolsms_oauth_django.middleware.CoolSMSMiddleware",
]

ROOT_URLCONF = "example_site.urls"
WSGI_APPLICATION = "example_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        # The project's templates come first, so templates/coolsms_oauth/base.html gives the
        # app's connect and error pages this site's look.
        "DIRS": [BASE_DIR / "templates"],
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
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": os.environ.get("DEMO_DB_PATH", str(BASE_DIR / "db.sqlite3")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
]
# "Lax" (Django's default) lets the session cookie come back with CoolSMS's redirect. With
# "Strict" the callback first recovers it with one extra same-site hop (the browser tests run
# the site both ways).
SESSION_COOKIE_SAMESITE = os.environ.get("DJANGO_SESSION_COOKIE_SAMESITE", "Lax")

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "dashboard"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("ko", _("Korean"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
TIME_ZONE = "Asia/Seoul"
USE_TZ = True

STATIC_URL = "static/"

# -- CoolSMS ---------------------------------------------------------------------------------

# DEMO ONLY: this Fernet key is public, so tokens stored with it are not secret. A real site
# generates its own key and keeps it out of the code:
#   python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())"
DEMO_ENCRYPTION_KEY = "januNQl3UUbnWJdSUUWomzwBbB0fPI9Dk46E5dpdqfA="

COOLSMS_OAUTH = {
    # The defaults are the local sandbox's client; CoolSMS gives you yours when you register
    # an app, with http://127.0.0.1:8000/coolsms/callback/ as its callback URL.
    "CLIENT_ID": os.environ.get("COOLSMS_CLIENT_ID", "sandbox-client-id"),
    "CLIENT_SECRET": os.environ.get("COOLSMS_CLIENT_SECRET", "sandbox-client-secret"),
    "BASE_URL": os.environ.get("COOLSMS_BASE_URL", "http://127.0.0.1:8765"),
    # What the pages use: the member profile, the cash balance, sending messages, and for
    # the notices the sender numbers and the groups sent.
    "SCOPES": [
        "users:read",
        "cash:read",
        "message:write",
        "message:read",
        "senderid:read",
        # Registering the site's delivery report URL when a user connects.
        "webhook:read",
        "webhook:write",
    ],
    # Comma-separated; the first key encrypts, the others still decrypt (for key rotation).
    "ENCRYPTION_KEYS": os.environ.get("COOLSMS_ENCRYPTION_KEYS", DEMO_ENCRYPTION_KEY).split(","),
    # DEMO ONLY: the secret of the delivery report URLs; a real site keeps its own out of
    # the code, as the encryption keys.
    "REPORT_SECRETS": [
        os.environ.get("COOLSMS_REPORT_SECRET", "demo-only-report-secret-do-not-use-in-production")
    ],
    # Where a finished (or declined) connection lands.
    "CONNECT_REDIRECT_URL": "dashboard",
    # This site's changes to the app (notices/adapter.py): it keeps no phone number.
    "ADAPTER": "notices.adapter.NoticesAdapter",
}
