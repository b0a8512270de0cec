"""Sandbox users: the CoolSMS members who can log in to the sandbox."""

from __future__ import annotations

from dataclasses import dataclass, field

#: The daily sending quota CoolSMS gives an account unless it asks for more.
DEFAULT_DAILY_QUOTA = 10_000


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
    #: The sender numbers registered (and verified) for the account: the only ``from``.
    sender_numbers: tuple[str, ...] = ()
    #: Kakao channels by ``pfId``, each with its AlimTalk templates (``templateId`` → text).
    kakao_channels: dict[str, dict[str, str]] = field(default_factory=dict)
    #: How many messages the account may send a day (UTC days of the sandbox's clock).
    daily_quota: int = DEFAULT_DAILY_QUOTA


def default_users() -> list[SandboxUser]:
    """Return fresh copies of the users every sandbox knows unless told otherwise."""
    # Two records written out in full, alike by design: each reads as the member it is.
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
            sender_numbers=("029302266", "01000000001"),
            kakao_channels={
                "KA01PF2401SANDBOX0001": {"KA01TP2401WELCOME001": "#{name}님, 가입을 환영합니다."}
            },
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
            sender_numbers=("01000000002",),
            kakao_channels={
                "KA01PF2401SANDBOX0002": {"KA01TP2401NOTICE0001": "#{name}님, 새 공지가 있습니다."}
            },
            daily_quota=100,
        ),
    ]
