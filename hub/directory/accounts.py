"""People's accounts: argon2 password hashes, login with lockout, server-side sessions."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from hub.directory.models import Partner, Session, User
from hub.directory.store import users as user_store
from hub.platform.db import transaction_time

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from hub.platform.connection import Connection

SESSION_LIFETIME = timedelta(hours=8)
LOCK_AFTER_FAILURES = 5
_hasher = PasswordHasher()
# Verified against when the e-mail is unknown, so both answers take as long.
_UNKNOWN_USER_HASH = _hasher.hash(secrets.token_urlsafe(16))


def new_password() -> str:
    return secrets.token_urlsafe(12)


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


async def create_user(
    pool: asyncpg.Pool,
    email: str,
    password: str,
    role: str,
    partner: Partner | None,
    team_id: int | None = None,
) -> User:
    async with pool.acquire() as conn:
        return await user_store.add_user(
            conn, email, _hasher.hash(password), role, partner, team_id
        )


async def set_password(pool: asyncpg.Pool, email: str, password: str) -> bool:
    """Give an existing user a new password (and end their lockout); False if no such user."""
    async with pool.acquire() as conn:
        return await user_store.set_password_hash(conn, email, _hasher.hash(password))


async def login(pool: asyncpg.Pool, email: str, password: str) -> Session | None:
    """A new session for right credentials; None otherwise (also while locked out)."""
    async with pool.acquire() as conn, conn.transaction():
        found = await user_store.credentials_by_email(conn, email.strip())
        if found is None:
            _verify(_UNKNOWN_USER_HASH, password)
            return None
        now = await transaction_time(conn)
        locked = found.locked_until is not None and found.locked_until > now
        if locked or not _verify(found.password_hash, password):
            if not locked:
                await user_store.record_failed_login(conn, found.user.id, LOCK_AFTER_FAILURES)
            return None
        rehash = _hasher.hash(password) if _hasher.check_needs_rehash(found.password_hash) else None
        await user_store.record_login(conn, found.user.id, rehash)
        return await _new_session(conn, found.user, now)


async def login_signed_on(pool: asyncpg.Pool, email: str) -> Session | None:
    """A new session for a person the municipality's sign-on vouched for; None for an e-mail
    address without an account here (sign-on proves who, the hub decides what)."""
    async with pool.acquire() as conn, conn.transaction():
        user = await user_store.user_by_email(conn, email.strip())
        if user is None:
            return None
        now = await transaction_time(conn)
        return await _new_session(conn, user, now)


async def _new_session(conn: Connection, user: User, now: datetime) -> Session:
    """Always a fresh token: a session id known before login is worth nothing after."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await user_store.add_session(conn, _digest(token), user.id, csrf, now + SESSION_LIFETIME)
    return Session(token, csrf, user)


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


async def session_for(pool: asyncpg.Pool, token: str) -> Session | None:
    async with pool.acquire() as conn:
        found = await user_store.session_user(conn, _digest(token))
    return Session(token, found[1], found[0]) if found else None


async def logout(pool: asyncpg.Pool, token: str) -> None:
    async with pool.acquire() as conn:
        await user_store.end_session(conn, _digest(token))


async def user_by_id(pool: asyncpg.Pool, user_id: UUID) -> User | None:
    async with pool.acquire() as conn:
        return await user_store.user_by_id(conn, user_id)


async def colleagues(pool: asyncpg.Pool, team_id: int) -> list[str]:
    """The e-mail addresses of a team's members and leads."""
    async with pool.acquire() as conn:
        return await user_store.team_colleagues(conn, team_id)
