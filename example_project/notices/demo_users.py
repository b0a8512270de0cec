"""The demo's logins, created by ``manage.py create_demo_users``. DEMO ONLY."""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoUser:
    username: str
    password: str
    is_superuser: bool = False


DEMO_USERS = (
    DemoUser("demo", "demo-password-1234"),
    DemoUser("admin", "admin-password-1234", is_superuser=True),
)
