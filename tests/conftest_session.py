"""The former home of ``tests.helpers.accounts``; import from there (this goes away)."""

from .helpers.accounts import make_account, make_user, stored_tokens
from .helpers.coolsms import token_body

__all__ = ["make_account", "make_user", "stored_tokens", "token_body"]
