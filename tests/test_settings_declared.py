"""Each ``COOLSMS_OAUTH`` key is declared once, in ``conf.SETTINGS``; check ids in checks.py."""

from __future__ import annotations

import ast
import dataclasses
import re
import types
import typing
from pathlib import Path
from typing import Any

from coolsms_oauth_django import checks, conf
from coolsms_oauth_django.conf import SETTINGS, AppSettings, app_settings

PACKAGE = Path(conf.__file__).resolve().parent
CHECK_ID = re.compile(r"coolsms_oauth\.[EW]\d{3}")


def test_defaults_come_from_the_declarations() -> None:
    assert {setting.name: setting.default for setting in SETTINGS} == conf.DEFAULTS
    assert len({setting.name for setting in SETTINGS}) == len(SETTINGS)


def test_app_settings_has_one_field_per_declared_setting_of_its_type(settings: Any) -> None:
    settings.COOLSMS_OAUTH = {"CLIENT_ID": "i", "CLIENT_SECRET": "s"}
    assert [field.name for field in dataclasses.fields(AppSettings)] == [
        setting.attribute for setting in SETTINGS
    ]
    config = app_settings()
    hints = typing.get_type_hints(AppSettings)
    for setting in SETTINGS:
        value = getattr(config, setting.attribute)
        hint = hints[setting.attribute]
        origin = typing.get_origin(hint)
        if origin in (typing.Union, types.UnionType):
            kinds = tuple(typing.get_origin(kind) or kind for kind in typing.get_args(hint))
        else:
            kinds = (origin or hint,)
        assert isinstance(value, kinds), (setting.name, value)


def test_a_literal_default_in_the_settings_table_is_the_declared_default() -> None:
    literal = re.compile(r"`([^`]+)`")
    compared = 0
    for setting in SETTINGS:
        match = literal.fullmatch(setting.shown_default)
        if match is None:
            continue  # described in words ("derived from `SECRET_KEY`")
        try:
            shown = ast.literal_eval(match.group(1))
        except (ValueError, SyntaxError):
            shown = match.group(1)  # a bare URL or path
        assert shown == setting.default, setting.name
        compared += 1
    assert compared >= 15


def test_every_system_check_id_lives_in_checks_py() -> None:
    elsewhere = {
        str(path.relative_to(PACKAGE)): CHECK_ID.findall(path.read_text(encoding="utf-8"))
        for path in PACKAGE.rglob("*.py")
        if path.name != "checks.py"
    }
    assert {name: found for name, found in elsewhere.items() if found} == {}
    declared = {value for name, value in vars(checks).items() if re.fullmatch(r"[EW]\d{3}", name)}
    assert declared == set(CHECK_ID.findall(Path(checks.__file__).read_text(encoding="utf-8")))
