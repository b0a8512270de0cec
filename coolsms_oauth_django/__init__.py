"""Connect Django users' CoolSMS accounts through OAuth2 and call CoolSMS on their behalf."""

from __future__ import annotations

__version__ = "0.1.0"
