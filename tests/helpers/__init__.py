"""What the tests share besides fixtures, one module per subject.

Fixtures live in the ``conftest.py`` files; everything a test imports lives here, the sandbox's
and the browser's own tests' helpers too (``sandbox.py`` and ``browser.py``).
"""
