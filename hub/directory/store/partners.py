"""Partners and API tokens (partner and admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from hub.directory.models import Caller, Partner, TokenKind
from hub.platform.connection import Connection, required, updated_count
from hub.platform.errors import Conflict
from schemas.signals import PartnerKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID


async def add_partner(
    conn: Connection, name: str, kind: PartnerKind, contact_email: str | None = None
) -> Partner:
    try:
        row = required(
            await conn.fetchrow(
                "insert into partners (name, kind, contact_email) values ($1, $2, $3) "
                "returning id, name, kind",
                name,
                kind.value,
                contact_email,
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


async def add_token(
    conn: Connection,
    digest: bytes,
    kind: TokenKind,
    partner: Partner | None,
    user_id: UUID | None,
    expires_at: datetime | None,
) -> UUID:
    """Store a token by its digest only; returns its id."""
    token_id: UUID = await conn.fetchval(
        "insert into api_tokens (token_sha256, role, partner_id, user_id, expires_at) "
        "values ($1, $2, $3, $4, $5) returning id",
        digest,
        kind.value,
        partner.id if partner else None,
        user_id,
        expires_at,
    )
    return token_id


async def tokens(conn: Connection) -> list[asyncpg.Record]:
    """Every token (never the token itself): whose, since when, last used, until when."""
    return await conn.fetch(
        """
        select t.id, t.role, p.name as partner, u.email as user_email, t.created_at,
               t.last_used_at, t.expires_at, t.revoked_at
        from api_tokens t left join partners p on p.id = t.partner_id
        left join users u on u.id = t.user_id
        order by t.created_at, t.id
        """
    )


async def revoke_token(conn: Connection, token_id: UUID) -> bool:
    status = await conn.execute(
        "update api_tokens set revoked_at = now() where id = $1 and revoked_at is null", token_id
    )
    return updated_count(status) > 0


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
    return updated_count(status)


async def caller_for_token(conn: Connection, digest: bytes) -> Caller | None:
    """The live token's caller, or None; notes when the token was last used (to the minute)."""
    row = await conn.fetchrow(
        """
        select t.id, t.role, t.user_id,
               t.last_used_at > now() - interval '1 minute' as recently_used,
               p.id as partner_id, p.name, p.kind
        from api_tokens t left join partners p on p.id = t.partner_id
        left join users u on u.id = t.user_id
        where t.token_sha256 = $1 and t.revoked_at is null
          and (t.expires_at is null or t.expires_at > now())
          and (t.user_id is null or u.disabled_at is null)
        """,
        digest,
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
    return Caller(row["id"], TokenKind(row["role"]), partner, row["user_id"])


async def partner_names(conn: Connection, partner_ids: list[UUID]) -> dict[UUID, str]:
    rows = await conn.fetch("select id, name from partners where id = any($1::uuid[])", partner_ids)
    return {row["id"]: row["name"] for row in rows}


async def list_partners(conn: Connection) -> list[Partner]:
    rows = await conn.fetch("select id, name, kind from partners order by kind, lower(name)")
    return [Partner(row["id"], row["name"], PartnerKind(row["kind"])) for row in rows]


async def set_contact_email(conn: Connection, name: str, email: str | None) -> Partner | None:
    """The partner's contact address set (None: removed); None when there is no such partner."""
    row = await conn.fetchrow(
        "update partners set contact_email = $2 where name = $1 returning id, name, kind",
        name,
        email,
    )
    return Partner(row["id"], row["name"], PartnerKind(row["kind"])) if row else None


async def contact_emails(conn: Connection) -> dict[UUID, str | None]:
    """Every partner's contact address (None where it has none)."""
    rows = await conn.fetch("select id, contact_email from partners")
    return {row["id"]: row["contact_email"] for row in rows}
