"""Every item of the security checklist has at least one test named after its number.

The checklist lives in ``shared/SECURITY-CHECKLIST.md`` beside the repository (CI lays a copy
of ``shared/`` next to its fresh clone). Each numbered item must be shown by a test whose name
starts with ``test_scNN_`` somewhere under ``tests/``, so that ``pytest -k scNN`` finds it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parent
REPO = TESTS.parent
CHECKLIST = REPO.parent / "shared" / "SECURITY-CHECKLIST.md"

#: The item numbers of the checklist, used when ``shared/`` is not beside the repository
#: (an sdist or a clone on its own). Keep in step with the checklist when it grows.
FALLBACK_ITEMS = tuple(range(1, 30))

ITEM = re.compile(r"^(\d+)\.\s", re.MULTILINE)
TEST_NAME = re.compile(r"^test_sc(\d+)_\w+")


def checklist_items() -> tuple[int, ...]:
    """Return the item numbers of the checklist (the fallback list when it is not there)."""
    if not CHECKLIST.is_file():
        return FALLBACK_ITEMS
    return tuple(sorted({int(number) for number in ITEM.findall(CHECKLIST.read_text("utf-8"))}))


def functions_named(pattern: re.Pattern[str]) -> dict[int, list[str]]:
    """Return the test functions under ``tests/`` whose names match ``pattern``, by number."""
    found: dict[int, list[str]] = {}
    for path in sorted(TESTS.rglob("test_*.py")):
        tree = ast.parse(path.read_text("utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                match = pattern.match(node.name)
                if match:
                    where = f"{path.relative_to(REPO)}::{node.name}"
                    found.setdefault(int(match.group(1)), []).append(where)
    return found


def sc_tests() -> dict[int, list[str]]:
    """Return the ``test_scNN_...`` functions under ``tests/``, by item number."""
    return functions_named(TEST_NAME)


def test_the_checklist_lists_items_one_to_twenty_nine_at_least() -> None:
    items = checklist_items()
    assert items[: len(FALLBACK_ITEMS)] == FALLBACK_ITEMS, items


@pytest.mark.parametrize("item", checklist_items())
def test_every_checklist_item_has_a_test_named_after_its_number(item: int) -> None:
    assert sc_tests().get(item), (
        f"SECURITY-CHECKLIST.md item {item} has no test named test_sc{item:02d}_... in tests/"
    )


def test_no_test_names_an_item_the_checklist_does_not_have() -> None:
    unknown = set(sc_tests()) - set(checklist_items())
    assert not unknown, f"tests name checklist items that do not exist: {sorted(unknown)}"


README = REPO / "README.md"
HARDENING_ROW = re.compile(r"^\| H(\d+) \|", re.MULTILINE)
HARDENING_TEST = re.compile(r"^test_h(\d+)_\w+")


def hardening_items() -> tuple[int, ...]:
    """Return the numbers of the README security table's ``H`` lines."""
    return tuple(sorted({int(n) for n in HARDENING_ROW.findall(README.read_text("utf-8"))}))


def test_every_line_of_the_readme_security_table_has_a_test() -> None:
    missing = [n for n in hardening_items() if n not in functions_named(HARDENING_TEST)]
    assert not missing, f"README security lines without a test_hNN_ test: {missing}"
