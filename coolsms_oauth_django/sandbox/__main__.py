"""Run the sandbox: ``python -m coolsms_oauth_django.sandbox --help``."""

from __future__ import annotations

import sys

from coolsms_oauth_django.sandbox.cli import main

if __name__ == "__main__":
    sys.exit(main())
