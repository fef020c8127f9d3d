"""API tokens: random 256-bit secrets, shown once and stored as SHA-256 digests only."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from hub.directory.models import Caller, Partner, TokenKind
from hub.directory.store import partners as store
from hub.platform.db import Database, connected

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from hub.platform.connection import Connection

TOKEN_PREFIX = "shub_"  # noqa: S105 - a prefix, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


# How long a token works unless it is asked otherwise: a partner's system is set up once a year,
# a person's own token is theirs for a quarter, an administrator's for a week of work.
LIFETIME = {
    TokenKind.PARTNER: timedelta(days=365),
    TokenKind.USER: timedelta(days=90),
    TokenKind.ADMIN: timedelta(days=7),
}


async def issue_token(
    conn: Connection,
    kind: TokenKind,
    partner: Partner | None = None,
    user_id: UUID | None = None,
    *,
    lifetime: timedelta | None = None,
) -> str:
    """A new token in the caller's transaction, working for `lifetime` (the kind's default);
    returned once, to be shown once."""
    token = new_token()
    expires = datetime.now(UTC) + (lifetime or LIFETIME[kind])
    await store.add_token(conn, token_digest(token), kind, partner, user_id, expires)
    return token


async def revoke_tokens(conn: Connection, partner: Partner | None) -> int:
    """Revoke every live token of a partner (or every admin token for None)."""
    return await store.revoke_tokens(conn, partner)


async def list_tokens(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await store.tokens(conn)


async def revoke_token(pool: asyncpg.Pool, token_id: UUID) -> bool:
    async with pool.acquire() as conn:
        return await store.revoke_token(conn, token_id)


async def caller_for_token(db: Database, token: str) -> Caller | None:
    """The live token's caller, or None."""
    async with connected(db) as conn:
        return await store.caller_for_token(conn, token_digest(token))
