"""Every form and link a page of the app or the example shows has a browser test that presses it.

The inventory is read from the templates (the app's, under ``coolsms_oauth_django/templates``,
and the example's, under ``example_project/**/templates``), from the admin actions of the
app's model and from the sandbox's pages as it serves them. A form is known by its ``id``,
else by the ``id`` of its one submit button (a form with several submit buttons by each
button's ``id``); a link by its ``id`` (by its ``data-press`` when a list repeats it); an
admin action as ``admin-action:NAME``.

A browser test (any ``tests/browser/test_*.py``) names what it presses with
``@pytest.mark.presses("id", ...)`` (literal strings). While it runs, its pages record what the
browser really pressed, and the test fails if a named one was never pressed
(``tests/browser/conftest.py``). So a new form or link needs a browser step: press it, check
where it lands and what it says, and name it in the test's ``presses`` mark.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

from .helpers.page_inventory import Pressable, declared_presses, pressables_of


def test_the_inventory_reads_the_forms_and_links_of_the_templates(
    inventory: list[Pressable],
) -> None:
    keys = {pressable.key for pressable in inventory}
    # One of each: a form known by its id, one by its button, a link, an admin action.
    assert {"language-switcher", "coolsms-continue", "coolsms-connect-link"} <= keys
    assert "admin-action:refresh_selected" in keys
    assert {"approve", "deny", "switch-form"} <= keys  # the sandbox's consent page
    assert not any(pressable.where.startswith("tests/") for pressable in inventory)


def test_every_form_and_link_has_an_id(inventory: list[Pressable]) -> None:
    unnamed = [f"{p.kind} at {p.where}" for p in inventory if p.key is None]
    assert not unnamed, (
        "give each form (or its one submit button) and each link an id, so a browser test "
        f"can name what it presses: {unnamed}"
    )


def test_each_id_names_one_form_or_link(inventory: list[Pressable]) -> None:
    places: dict[str, set[str]] = defaultdict(set)
    for pressable in inventory:
        if pressable.key:
            places[pressable.key].add(pressable.where)
    shared = {key: sorted(where) for key, where in places.items() if len(where) > 1}
    assert not shared, f"an id used by more than one form or link: {shared}"


def test_every_form_and_link_has_a_browser_step(inventory: list[Pressable]) -> None:
    declared = declared_presses()
    missing = [
        f"{p.kind} {p.key!r} ({p.where})" for p in inventory if p.key and p.key not in declared
    ]
    assert not missing, (
        "no browser test presses these; press each in a test under tests/browser/, check "
        f'where it lands and what it says, and add @pytest.mark.presses("..."): {missing}'
    )


def test_every_declared_press_names_a_form_or_link_that_exists(
    inventory: list[Pressable],
) -> None:
    keys = {pressable.key for pressable in inventory}
    stale = {key: tests for key, tests in declared_presses().items() if key not in keys}
    assert not stale, f"these presses name no form, link or admin action: {stale}"


def test_a_form_with_several_buttons_needs_a_step_for_each(tmp_path: Path) -> None:
    template = tmp_path / "decide.html"
    template.write_text(
        '{% load i18n %}<form method="post" id="decide">{% csrf_token %}\n'
        '<button type="submit" id="approve">{% translate "Approve" %}</button>\n'
        '<button id="deny">{% translate "Deny" %}</button>\n'
        '<button type="button" id="help">?</button></form>\n'
        '<form method="post"><input type="submit" id="only"></form>',
        encoding="utf-8",
    )
    assert [(p.kind, p.key) for p in pressables_of(template, tmp_path)] == [
        ("button", "approve"),
        ("button", "deny"),
        ("form", "only"),
    ]
