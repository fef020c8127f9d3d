"""Administrators' use cases of the directory: partners and their tokens, teams, personal
tokens; and the look-ups the rest of the hub needs."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from hub.directory.models import Caller, Partner, Team, TokenKind, User
from hub.directory.store import partners as partner_store
from hub.directory.store import teams as team_store
from hub.directory.store import users as user_store
from hub.directory.tokens import caller_for_token, issue_token, revoke_tokens
from hub.platform.db import Database, connected
from hub.platform.errors import InvalidFields, NotFound

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import timedelta
    from uuid import UUID

    import asyncpg

    from schemas.signals import PartnerKind


def clean_name(text: str, field: str = "name") -> str:
    """A name as people and exports will show it: 1 to 200 characters, none of them a control or
    formatting character (they break GraphML and GEXF, and hide what a name really says)."""
    name = text.strip()
    if not 1 <= len(name) <= 200 or any(unicodedata.category(c).startswith("C") for c in name):
        message = f"a {field} is 1 to 200 characters, without control characters"
        raise InvalidFields(message, errors=[{"loc": [field], "msg": message}])
    return name


_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


def clean_email(text: str, field: str = "email") -> str:
    """A mail address as mail will be sent to it: one `@`, a domain with a dot, no spaces or
    control characters, at most 254 characters."""
    email = text.strip()
    if (
        len(email) > 254
        or not _EMAIL.fullmatch(email)
        or any(unicodedata.category(c).startswith("C") for c in email)
    ):
        message = "an e-mail address looks like name@example.nl"
        raise InvalidFields(message, errors=[{"loc": [field], "msg": message}])
    return email


async def create_partner(
    pool: asyncpg.Pool, name: str, kind: PartnerKind, email: str | None = None
) -> tuple[Partner, str]:
    """A new partner (with its contact address, if given) and its first token (the only time
    the token is shown)."""
    name = clean_name(name)
    contact = clean_email(email) if email is not None else None
    async with pool.acquire() as conn, conn.transaction():
        partner = await partner_store.add_partner(conn, name, kind, contact)
        token = await issue_token(conn, TokenKind.PARTNER, partner)
    return partner, token


async def set_partner_email(pool: asyncpg.Pool, name: str, email: str | None) -> Partner:
    """Set (None: remove) the address the partner's mail goes to: the partner survey's
    invitation and reminders."""
    contact = clean_email(email) if email is not None else None
    async with pool.acquire() as conn:
        partner = await partner_store.set_contact_email(conn, name, contact)
    if partner is None:
        raise NotFound(f"no partner named {name!r}")
    return partner


async def partner_contacts(db: Database) -> dict[UUID, str | None]:
    """Every partner's contact address, None where it has none."""
    async with connected(db) as conn:
        return await partner_store.contact_emails(conn)


async def create_admin_token(pool: asyncpg.Pool, lifetime: timedelta | None = None) -> str:
    """An administrator's machine token: it manages deliveries and reads figures, never
    residents' data (that takes a person, so that every read names one)."""
    async with pool.acquire() as conn:
        return await issue_token(conn, TokenKind.ADMIN, lifetime=lifetime)


async def add_team(
    pool: asyncpg.Pool,
    code: str,
    name: str,
    municipality_code: str,
    municipality: str,
    email: str | None = None,
) -> Team:
    name, municipality = clean_name(name), clean_name(municipality, "municipality")
    async with pool.acquire() as conn:
        return await team_store.upsert_team(
            conn, code, name, municipality_code, municipality, email
        )


MAX_CAPACITY = 100_000


async def set_team_capacity(pool: asyncpg.Pool, code: str, capacity: int | None) -> Team:
    """How many open cases the team can carry (1 to 100,000); None clears it."""
    if capacity is not None and not 1 <= capacity <= MAX_CAPACITY:
        message = f"a capacity is a whole number of open cases from 1 to {MAX_CAPACITY}"
        raise InvalidFields(message, errors=[{"loc": ["capacity"], "msg": message}])
    async with pool.acquire() as conn:
        team = await team_store.set_capacity(conn, code, capacity)
    if team is None:
        raise NotFound(f"no team {code}")
    return team


async def list_teams(db: Database) -> list[Team]:
    async with connected(db) as conn:
        return await team_store.list_teams(conn)


async def find_team(pool: asyncpg.Pool, code: str) -> Team | None:
    async with pool.acquire() as conn:
        return await team_store.team_by_code(conn, code)


async def require_team(pool: asyncpg.Pool, code: str) -> Team:
    team = await find_team(pool, code)
    if team is None:
        raise NotFound(f"no team {code}")
    return team


async def user_by_email(db: Database, email: str) -> User | None:
    async with connected(db) as conn:
        return await user_store.user_by_email(conn, email)


async def create_user_token(
    pool: asyncpg.Pool, email: str, lifetime: timedelta | None = None
) -> str:
    async with pool.acquire() as conn:
        user = await user_store.user_by_email(conn, email)
        if user is None:
            raise NotFound(f"no user {email}")
        return await issue_token(conn, TokenKind.USER, user_id=user.id, lifetime=lifetime)


async def require_partner(pool: asyncpg.Pool, name: str) -> Partner:
    async with pool.acquire() as conn:
        partner = await partner_store.partner_by_name(conn, name)
    if partner is None:
        raise NotFound(f"no partner named {name!r}")
    return partner


async def partner_by_id(db: Database, partner_id: UUID) -> Partner | None:
    async with connected(db) as conn:
        return await partner_store.partner_by_id(conn, partner_id)


async def partner_names(pool: asyncpg.Pool, partner_ids: Sequence[UUID]) -> dict[UUID, str]:
    async with pool.acquire() as conn:
        return await partner_store.partner_names(conn, list(partner_ids))


async def list_partners(db: Database) -> list[Partner]:
    """Every partner, by kind and then name."""
    async with connected(db) as conn:
        return await partner_store.list_partners(conn)


async def new_partner_token(
    pool: asyncpg.Pool, name: str, lifetime: timedelta | None = None
) -> str:
    partner = await require_partner(pool, name)
    async with pool.acquire() as conn:
        return await issue_token(conn, TokenKind.PARTNER, partner, lifetime=lifetime)


async def revoke_partner(pool: asyncpg.Pool, name: str) -> tuple[int, int]:
    """Revoke every API token of a partner and end every web session of its people; returns
    how many of each."""
    partner = await require_partner(pool, name)
    async with pool.acquire() as conn, conn.transaction():
        return (
            await revoke_tokens(conn, partner),
            await user_store.end_sessions_of(conn, partner_id=partner.id),
        )


async def identify_token(pool: asyncpg.Pool, token: str) -> tuple[Caller, User | None] | None:
    """Who a bearer token belongs to, and the person behind a personal token; None for a token
    that is unknown, revoked, or whose person is gone."""
    caller = await caller_for_token(pool, token)
    if caller is None:
        return None
    if caller.user_id is None:
        return caller, None
    async with pool.acquire() as conn:
        user = await user_store.user_by_id(conn, caller.user_id)
    return (caller, user) if user is not None else None


async def reissue_tokens(
    pool: asyncpg.Pool, partners: Sequence[tuple[str, PartnerKind]]
) -> tuple[list[tuple[Partner, str]], str]:
    """These partners (created where missing), each with a fresh token, and a fresh admin
    token; every earlier token of theirs, and every earlier admin token, is revoked."""
    issued = []
    async with pool.acquire() as conn, conn.transaction():
        for name, kind in partners:
            partner = await partner_store.partner_by_name(
                conn, name
            ) or await partner_store.add_partner(conn, name, kind)
            await revoke_tokens(conn, partner)
            issued.append((partner, await issue_token(conn, TokenKind.PARTNER, partner)))
        await revoke_tokens(conn, None)
        admin = await issue_token(conn, TokenKind.ADMIN)
    return issued, admin


async def token_works(pool: asyncpg.Pool, token: str) -> bool:
    return await caller_for_token(pool, token) is not None
