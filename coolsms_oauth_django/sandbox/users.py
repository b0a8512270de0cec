"""Sandbox users: the CoolSMS members who can log in to the sandbox."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class SandboxUser:
    """A CoolSMS member known to the sandbox, with the login that the login page accepts."""

    member_id: str
    login: str
    password: str
    name: str
    phone_number: str
    email: str
    account_id: str
    balance: float = 10000.0
    point: float = 0.0


def default_users() -> list[SandboxUser]:
    """Return fresh copies of the users every sandbox knows unless told otherwise."""
    return [
        SandboxUser(
            member_id="MEM0SANDBOX0001",
            login="demo@sandbox.coolsms.test",
            password="sandbox1234",
            name="김쿨문",
            phone_number="01000000001",
            email="demo@sandbox.coolsms.test",
            account_id="ACC0SANDBOX0001",
            balance=10000.0,
            point=500.0,
        ),
        SandboxUser(
            member_id="MEM0SANDBOX0002",
            login="second@sandbox.coolsms.test",
            password="sandbox5678",
            name="이문자",
            phone_number="01000000002",
            email="second@sandbox.coolsms.test",
            account_id="ACC0SANDBOX0002",
            balance=100.0,
            point=0.0,
        ),
    ]
