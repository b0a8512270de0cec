"""What the tests share besides fixtures, one module per subject.

Fixtures live in the ``conftest.py`` files; everything a test imports lives here (or, for
the sandbox's and the browser's own tests, in ``tests/sandbox/helpers.py`` and
``tests/browser/helpers.py``).
"""
