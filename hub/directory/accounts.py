"""People's accounts: passwords (argon2, off the event loop), login with a throttle instead of a
lock, an optional second factor (TOTP), and server-side sessions that end when left idle."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import pyotp

from hub.directory import throttle
from hub.directory.models import Partner, Session, User
from hub.directory.passwords import hash_password, needs_rehash, password_problem, verify_password
from hub.directory.store import users as user_store
from hub.platform.db import transaction_time
from hub.platform.errors import InvalidFields, NotFound
from hub.privacy.crypto import keyring

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from hub.platform.connection import Connection

SESSION_LIFETIME = timedelta(hours=8)
SESSION_IDLE = timedelta(minutes=30)
KNOWN_ADDRESSES = 5  # how many addresses an account remembers it logged in from
TOTP_PLACE = "users.totp_secret"
TOTP_ISSUER = "Signaalhub"


def _digest(token: str) -> bytes:
    return hashlib.sha256(token.encode()).digest()


def _checked(password: str, email: str) -> str:
    problem = password_problem(password, email)
    if problem:
        raise InvalidFields(problem, errors=[{"loc": ["password"], "msg": problem}])
    return password


async def create_user(
    pool: asyncpg.Pool,
    email: str,
    password: str,
    role: str,
    partner: Partner | None,
    team_id: int | None = None,
    name: str | None = None,
) -> User:
    hashed = await hash_password(_checked(password, email))
    async with pool.acquire() as conn:
        return await user_store.add_user(
            conn, email, hashed, role, partner, team_id, _checked_name(name)
        )


def _checked_name(name: str | None) -> str | None:
    """A person's name as pages show it: 1-100 characters, no control characters."""
    if name is None:
        return None
    name = " ".join(name.split())
    if not name or len(name) > 100 or any(ord(c) < 32 or 127 <= ord(c) < 160 for c in name):
        message = "a name has 1 to 100 characters and no control characters"
        raise InvalidFields(message, errors=[{"loc": ["name"], "msg": message}])
    return name


async def set_name(pool: asyncpg.Pool, email: str, name: str | None) -> None:
    async with pool.acquire() as conn:
        if not await user_store.set_name(conn, email, _checked_name(name)):
            raise NotFound(f"no user with e-mail {email}")


async def set_password(pool: asyncpg.Pool, email: str, password: str) -> bool:
    """Give a user a new password, ending every session of theirs; False if no such user."""
    hashed = await hash_password(_checked(password, email))
    async with pool.acquire() as conn, conn.transaction():
        user_id = await user_store.set_password_hash(conn, email, hashed)
        if user_id is not None:
            await user_store.end_sessions_of(conn, user_id=user_id)
    return user_id is not None


async def set_enabled(pool: asyncpg.Pool, email: str, enabled: bool) -> None:
    """Enable or disable a user; disabling ends their sessions (their personal tokens stop
    working with them)."""
    async with pool.acquire() as conn, conn.transaction():
        user_id = await user_store.set_disabled(conn, email, not enabled)
        if user_id is None:
            raise NotFound(f"no user {email}")
        if not enabled:
            await user_store.end_sessions_of(conn, user_id=user_id)


async def set_second_factor(pool: asyncpg.Pool, email: str, on: bool) -> str | None:
    """Set up a TOTP second factor (returns the provisioning URI to show once, as text or a QR
    code), or remove it (None)."""
    secret = pyotp.random_base32() if on else None
    async with pool.acquire() as conn:
        user = await user_store.user_by_email(conn, email)
        if user is None:
            raise NotFound(f"no user {email}")
        sealed = keyring().seal(secret, TOTP_PLACE, user.id) if secret else None
        await user_store.set_totp_secret(conn, user.id, sealed)
    if secret is None:
        return None
    return pyotp.TOTP(secret).provisioning_uri(name=email, issuer_name=TOTP_ISSUER)


async def users(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    async with pool.acquire() as conn:
        return await user_store.all_users(conn)


@dataclass(frozen=True)
class Throttled:
    """Too many failed attempts from here: try again after `retry_after` seconds."""

    retry_after: int


def _second_factor_holds(user_id: UUID, sealed: bytes | None, code: str) -> bool:
    if sealed is None:
        return True
    secret = keyring().unseal(sealed, TOTP_PLACE, user_id)
    return bool(code) and pyotp.TOTP(secret).verify(code.replace(" ", ""), valid_window=1)


async def login(
    pool: asyncpg.Pool,
    email: str,
    password: str,
    address: str,
    code: str = "",
    *,
    gate: throttle.Gate | None = None,
) -> Session | Throttled | None:
    """A new session for right credentials (and the right code, where a second factor is set
    up); Throttled while this address must wait; None otherwise. An unknown or disabled account
    costs the same work and time as a known one with a wrong password. A web server passes its
    `gate`, so that guessers wait in memory rather than on the database."""
    email = email.strip()
    if gate is None:
        return await _login(pool, email, password, address, code)
    if wait := gate.retry_after(email, address):
        return Throttled(wait)
    async with gate.slots:
        result = await _login(pool, email, password, address, code)
    if isinstance(result, Throttled):
        gate.remember(email, address, result.retry_after)
    return result


async def _login(
    pool: asyncpg.Pool, email: str, password: str, address: str, code: str
) -> Session | Throttled | None:
    async with pool.acquire() as conn, conn.transaction():
        now = await transaction_time(conn)
        found = await user_store.credentials_by_email(conn, email)
        here = throttle.address_key(address)
        known = found is not None and here in found.known_addresses
        attempt = await throttle.begin(conn, email, address, known, now)
    if attempt.throttled:
        return Throttled(attempt.retry_after)
    right = await verify_password(found.password_hash if found else None, password)
    if (
        found is None
        or not right
        or not _second_factor_holds(found.user.id, found.totp_secret, code)
    ):
        return None
    rehash = await hash_password(password) if needs_rehash(found.password_hash) else None
    async with pool.acquire() as conn, conn.transaction():
        await throttle.succeeded(conn, attempt)
        await user_store.record_login(conn, found.user.id, rehash, here, KNOWN_ADDRESSES)
        return await _new_session(conn, found.user, await transaction_time(conn))


async def login_signed_on(pool: asyncpg.Pool, email: str) -> Session | None:
    """A new session for a person the municipality's sign-on vouched for; None for an e-mail
    address without an (enabled) account here (sign-on proves who, the hub decides what)."""
    async with pool.acquire() as conn, conn.transaction():
        user = await user_store.user_by_email(conn, email.strip())
        if user is None:
            return None
        return await _new_session(conn, user, await transaction_time(conn))


async def _new_session(conn: Connection, user: User, now: datetime) -> Session:
    """Always a fresh token: a session id known before login is worth nothing after."""
    token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    await user_store.add_session(conn, _digest(token), user.id, csrf, now + SESSION_LIFETIME)
    return Session(token, csrf, user)


async def session_for(
    pool: asyncpg.Pool, token: str, idle: timedelta = SESSION_IDLE
) -> Session | None:
    """The session of a cookie's token, if it has not expired nor been left idle for `idle`."""
    async with pool.acquire() as conn:
        now = await transaction_time(conn)
        found = await user_store.session_user(conn, _digest(token), now - idle)
    return Session(token, found[1], found[0]) if found else None


async def logout(pool: asyncpg.Pool, token: str) -> None:
    async with pool.acquire() as conn:
        await user_store.end_session(conn, _digest(token))


async def user_by_id(pool: asyncpg.Pool, user_id: UUID) -> User | None:
    async with pool.acquire() as conn:
        return await user_store.user_by_id(conn, user_id)


async def colleagues(pool: asyncpg.Pool, team_id: int) -> list[tuple[str, str]]:
    """A team's members and leads: (e-mail address, how pages name them)."""
    async with pool.acquire() as conn:
        return await user_store.team_colleagues(conn, team_id)
