"""API tokens: random 256-bit secrets, shown once and stored as SHA-256 digests only."""

from __future__ import annotations

import hashlib
import secrets
from typing import TYPE_CHECKING

from hub.directory.models import Caller, Partner, TokenKind
from hub.directory.store import partners as store
from hub.platform.db import Database, connected

if TYPE_CHECKING:
    from uuid import UUID

    from hub.platform.connection import Connection

TOKEN_PREFIX = "shub_"  # noqa: S105 - a prefix, not a secret


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def issue_token(
    conn: Connection, kind: TokenKind, partner: Partner | None = None, user_id: UUID | None = None
) -> str:
    """A new token in the caller's transaction; returned once, to be shown once."""
    token = new_token()
    await store.add_token(conn, token_digest(token), kind, partner, user_id)
    return token


async def revoke_tokens(conn: Connection, partner: Partner | None) -> int:
    """Revoke every live token of a partner (or every admin token for None)."""
    return await store.revoke_tokens(conn, partner)


async def caller_for_token(db: Database, token: str) -> Caller | None:
    """The live token's caller, or None."""
    async with connected(db) as conn:
        return await store.caller_for_token(conn, token_digest(token))
