"""Run the sandbox: ``python -m coolsms_oauth_django.sandbox --help``."""

from __future__ import annotations

import sys

from .cli import main

if __name__ == "__main__":
    sys.exit(main())
