"""Who is calling: the four roles and the principal a credential proves."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    """What a caller may do (the policy table, :mod:`.policy`, says which endpoints)."""

    ADMIN = "admin"
    DISPATCHER = "dispatcher"
    DRIVER = "driver"
    ANALYST = "analyst"


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: its role, the vehicle a driver is bound to, and who it is
    (the API key's name or the token's subject)."""

    role: Role
    vehicle_id: str | None
    subject: str


def parse_role(text: str) -> Role:
    """The role named ``text``; ValueError naming the roles otherwise."""
    try:
        return Role(text)
    except ValueError:
        msg = f"unknown role {text!r}: expected one of {', '.join(Role)}"
        raise ValueError(msg) from None
