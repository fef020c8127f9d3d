"""Partners, teams and people, as the rest of the hub sees them."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from uuid import UUID

from schemas.signals import PartnerKind


class TokenKind(StrEnum):
    """Whose an API token is: a partner's system, a person's own, or an administrator's."""

    PARTNER = "partner"
    USER = "user"
    ADMIN = "admin"


@dataclass(frozen=True)
class Partner:
    id: UUID
    name: str
    kind: PartnerKind


@dataclass(frozen=True)
class Team:
    id: int
    code: str
    name: str
    municipality_code: str
    municipality: str


@dataclass(frozen=True)
class UserTeam:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class User:
    id: UUID
    email: str
    role: str  # a `schemas.cases.Role` value
    partner: Partner | None
    team: UserTeam | None = None
    name: str | None = None

    @property
    def shown_as(self) -> str:
        """How pages name this person: their name, else their e-mail address."""
        return self.name or self.email


@dataclass(frozen=True)
class Caller:
    """Who presented a token: a partner, a person (personal token), or an administrator."""

    token_id: UUID
    kind: TokenKind
    partner: Partner | None
    user_id: UUID | None = None

    @property
    def actor(self) -> str:
        """How the caller appears in events and the access log: no names, only ids."""
        if self.partner:
            return f"partner:{self.partner.id}"
        if self.user_id:
            return f"user:{self.user_id}"
        return f"admin-token:{self.token_id}"


@dataclass(frozen=True)
class Credentials:
    user: User
    password_hash: str
    known_addresses: list[bytes]  # keyed digests of the addresses it last logged in from
    totp_secret: bytes | None  # sealed; a second factor is set up


@dataclass(frozen=True)
class Session:
    token: str
    csrf_token: str
    user: User
