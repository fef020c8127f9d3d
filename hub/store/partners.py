"""Partners and API tokens (partner and admin)."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from typing import Literal
from uuid import UUID

import asyncpg

from hub.errors import Conflict
from hub.store import Connection, required
from schemas.signals import PartnerKind

TOKEN_PREFIX = "shub_"  # noqa: S105 - a prefix, not a secret
Role = Literal["partner", "admin", "user"]


@dataclass(frozen=True)
class Partner:
    id: UUID
    name: str
    kind: PartnerKind


@dataclass(frozen=True)
class Caller:
    """Who presented a token: a partner, a person (personal token), or an administrator."""

    token_id: UUID
    role: Role
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


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def add_partner(conn: Connection, name: str, kind: PartnerKind) -> Partner:
    try:
        row = required(
            await conn.fetchrow(
                "insert into partners (name, kind) values ($1, $2) returning id, name, kind",
                name,
                kind.value,
            )
        )
    except asyncpg.UniqueViolationError as error:
        raise Conflict(f"a partner named {name!r} exists already") from error
    return Partner(row["id"], row["name"], PartnerKind(row["kind"]))


async def partner_by_name(conn: Connection, name: str) -> Partner | None:
    row = await conn.fetchrow("select id, name, kind from partners where name = $1", name)
    return Partner(row["id"], row["name"], PartnerKind(row["kind"])) if row else None


async def partner_by_id(conn: Connection, partner_id: UUID) -> Partner | None:
    row = await conn.fetchrow("select id, name, kind from partners where id = $1", partner_id)
    return Partner(row["id"], row["name"], PartnerKind(row["kind"])) if row else None


async def issue_token(
    conn: Connection, role: Role, partner: Partner | None = None, user_id: UUID | None = None
) -> str:
    """Create a token and store only its digest; the token is returned once, to be shown once."""
    token = new_token()
    await conn.execute(
        "insert into api_tokens (token_sha256, role, partner_id, user_id) values ($1, $2, $3, $4)",
        token_digest(token),
        role,
        partner.id if partner else None,
        user_id,
    )
    return token


async def revoke_tokens(conn: Connection, partner: Partner | None) -> int:
    """Revoke every live token of a partner (or every admin token for None)."""
    status = await conn.execute(
        """
        update api_tokens set revoked_at = now()
        where revoked_at is null
          and (partner_id = $1 or ($1::uuid is null and role = 'admin'))
        """,
        partner.id if partner else None,
    )
    return int(status.split()[-1])


async def caller_for_token(conn: Connection, token: str) -> Caller | None:
    """The live token's caller, or None; notes when the token was last used (to the minute)."""
    row = await conn.fetchrow(
        """
        select t.id, t.role, t.user_id,
               t.last_used_at > now() - interval '1 minute' as recently_used,
               p.id as partner_id, p.name, p.kind
        from api_tokens t left join partners p on p.id = t.partner_id
        where t.token_sha256 = $1 and t.revoked_at is null
        """,
        token_digest(token),
    )
    if row is None:
        return None
    if not row["recently_used"]:
        await conn.execute("update api_tokens set last_used_at = now() where id = $1", row["id"])
    partner = (
        Partner(row["partner_id"], row["name"], PartnerKind(row["kind"]))
        if row["partner_id"]
        else None
    )
    return Caller(row["id"], row["role"], partner, row["user_id"])
