"""The version matrix: Python 3.10–3.13 × Django 5.2 LTS, 6.0, 6.1 × SQLite, PostgreSQL.

``make matrix`` runs every session whose interpreter is present (it puts each pyenv version on
``PATH``); ``nox -l`` lists them. ``make test`` stays the single-interpreter fast path.
"""

from __future__ import annotations

import os
import shutil
import sys

import nox

nox.options.error_on_missing_interpreters = False
nox.options.reuse_existing_virtualenvs = True
nox.options.sessions = ["tests", "package"]

DJANGO = {
    "5.2": "django>=5.2,<5.3",
    "6.0": "django>=6.0,<6.1",
    "6.1": "django>=6.1,<6.2",
}
PYTHONS = ["3.10", "3.11", "3.12", "3.13"]
#: Django 6 needs Python 3.12 or newer.
COMBINATIONS = [
    (python, django)
    for python in PYTHONS
    for django in DJANGO
    if django == "5.2" or python >= "3.12"
]
TEST_REQUIREMENTS = [
    "pytest>=8",
    "pytest-django>=4.8",
    "responses>=0.25",
    "hypothesis>=6.100",
    "psycopg[binary]>=3.1",
    "hatchling>=1.21",
    "authlib>=1.3",
    "requests-oauthlib>=2",
    "pyinstrument>=4.6",
    # tests/test_tasks.py runs two Celery workers in the PostgreSQL sessions.
    "celery[redis]>=5.3",
]


@nox.session
@nox.parametrize(("python", "django"), COMBINATIONS)
@nox.parametrize("database", ["sqlite", "postgres"])
def tests(session: nox.Session, django: str, database: str) -> None:
    """Run the suite (browser tests excluded) on one Python × Django × database."""
    session.install("-e", ".", DJANGO[django], *TEST_REQUIREMENTS)
    marker = "postgres" if database == "postgres" else "not postgres and not mysql"
    session.run(
        "python",
        "-m",
        "pytest",
        "-q",
        "-p",
        "no:cacheprovider",
        "-m",
        f"({marker}) and not browser and not slow",
        # Full-size property runs (CI=true) belong to make test; here they run at local size.
        env={"COOLSMS_TEST_DATABASE": database, "CI": "false"},
    )


@nox.session(python=False)
def package(session: nox.Session) -> None:
    """Build the sdist and wheel and check their metadata strictly."""
    shutil.rmtree("dist", ignore_errors=True)
    # Run with the interpreter nox itself runs on (the project's .venv, where build is).
    session.run(sys.executable, "-m", "build", "--no-isolation", "--outdir", "dist", ".")
    session.run(
        sys.executable,
        "-m",
        "twine",
        "check",
        "--strict",
        *sorted(os.path.join("dist", f) for f in os.listdir("dist")),
    )
