"""Users and their sessions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from hub.directory.models import Credentials, Partner, User, UserTeam
from hub.platform.connection import Connection, required, updated_count
from hub.platform.errors import Conflict
from schemas.signals import PartnerKind

if TYPE_CHECKING:
    from datetime import datetime
    from uuid import UUID


_USER = """
    u.id, u.email, u.name, u.role, u.password_hash, u.known_addresses, u.disabled_at, u.totp_secret,
    p.id as partner_id, p.name as partner_name, p.kind as partner_kind,
    t.id as team_id, t.code as team_code, t.name as team_name
"""
_FROM = """
    users u left join partners p on p.id = u.partner_id left join teams t on t.id = u.team_id
"""


def _user(row: asyncpg.Record) -> User:
    partner = (
        Partner(row["partner_id"], row["partner_name"], PartnerKind(row["partner_kind"]))
        if row["partner_id"]
        else None
    )
    team = UserTeam(row["team_id"], row["team_code"], row["team_name"]) if row["team_id"] else None
    return User(row["id"], row["email"], row["role"], partner, team, row["name"])


async def add_user(
    conn: Connection,
    email: str,
    password_hash: str,
    role: str,
    partner: Partner | None,
    team_id: int | None = None,
    name: str | None = None,
) -> User:
    try:
        row = required(
            await conn.fetchrow(
                "insert into users (email, password_hash, role, partner_id, team_id, name) "
                "values ($1, $2, $3, $4, $5, $6) returning id",
                email,
                password_hash,
                role,
                partner.id if partner else None,
                team_id,
                name,
            )
        )
    except asyncpg.UniqueViolationError as error:
        raise Conflict(f"a user with e-mail {email} exists already") from error
    found = await user_by_id(conn, row["id"])
    if found is None:
        raise RuntimeError("a user just added could not be read back")
    return found


async def user_by_id(conn: Connection, user_id: UUID) -> User | None:
    """An enabled user."""
    row = await conn.fetchrow(
        f"select {_USER} from {_FROM} where u.id = $1 and u.disabled_at is null",  # noqa: S608 - constant columns
        user_id,
    )
    return _user(row) if row else None


async def user_by_email(conn: Connection, email: str) -> User | None:
    """An enabled user."""
    row = await conn.fetchrow(
        f"select {_USER} from {_FROM} "  # noqa: S608 - constant columns
        "where lower(u.email) = lower($1) and u.disabled_at is null",
        email,
    )
    return _user(row) if row else None


async def credentials_by_email(conn: Connection, email: str) -> Credentials | None:
    """An enabled user with what a login checks."""
    row = await conn.fetchrow(
        f"select {_USER} from {_FROM} "  # noqa: S608 - constant columns
        "where lower(u.email) = lower($1) and u.disabled_at is null",
        email,
    )
    if row is None:
        return None
    return Credentials(
        _user(row),
        row["password_hash"],
        [bytes(known) for known in row["known_addresses"]],
        row["totp_secret"],
    )


async def record_login(
    conn: Connection, user_id: UUID, password_hash: str | None, address: bytes, keep: int
) -> None:
    """A login: a rehashed password if there is one, and the address (a keyed digest) among the
    `keep` the account last logged in from."""
    await conn.execute(
        """
        update users set password_hash = coalesce($2, password_hash),
            known_addresses = (array_prepend($3::bytea, array_remove(known_addresses, $3)))[1:$4]
        where id = $1
        """,
        user_id,
        password_hash,
        address,
        keep,
    )


async def add_session(
    conn: Connection, token_sha256: bytes, user_id: UUID, csrf_token: str, expires_at: datetime
) -> None:
    await conn.execute(
        "insert into sessions (token_sha256, user_id, csrf_token, expires_at) "
        "values ($1, $2, $3, $4)",
        token_sha256,
        user_id,
        csrf_token,
        expires_at,
    )


async def session_user(
    conn: Connection, token_sha256: bytes, idle_since: datetime
) -> tuple[User, str] | None:
    """The session's user and CSRF token, if the session is neither expired nor left idle since
    before `idle_since`, and its user is enabled; the session is marked as seen now."""
    row = await conn.fetchrow(
        f"""
        with seen as (
            update sessions set last_seen_at = now()
            where token_sha256 = $1 and expires_at > now() and last_seen_at > $2
            returning user_id, csrf_token
        )
        select {_USER}, seen.csrf_token from {_FROM} join seen on seen.user_id = u.id
        where u.disabled_at is null
        """,  # noqa: S608 - constant columns
        token_sha256,
        idle_since,
    )
    return (_user(row), row["csrf_token"]) if row else None


async def end_session(conn: Connection, token_sha256: bytes) -> None:
    await conn.execute("delete from sessions where token_sha256 = $1", token_sha256)


async def end_sessions_of(
    conn: Connection, *, user_id: UUID | None = None, partner_id: UUID | None = None
) -> int:
    """End every session of a user, or of every user of a partner."""
    status = await conn.execute(
        """
        delete from sessions s using users u
        where s.user_id = u.id and (u.id = $1 or u.partner_id = $2)
        """,
        user_id,
        partner_id,
    )
    return updated_count(status)


async def set_password_hash(conn: Connection, email: str, password_hash: str) -> UUID | None:
    """A new password hash; the user's id, or None if there is no such user."""
    found: UUID | None = await conn.fetchval(
        "update users set password_hash = $2, password_changed_at = now() "
        "where lower(email) = lower($1) returning id",
        email,
        password_hash,
    )
    return found


async def set_disabled(conn: Connection, email: str, disabled: bool) -> UUID | None:
    """Disable (or enable) a user; the user's id, or None if there is no such user."""
    found: UUID | None = await conn.fetchval(
        "update users set disabled_at = case when $2 then coalesce(disabled_at, now()) end "
        "where lower(email) = lower($1) returning id",
        email,
        disabled,
    )
    return found


async def set_totp_secret(conn: Connection, user_id: UUID, sealed: bytes | None) -> None:
    await conn.execute("update users set totp_secret = $2 where id = $1", user_id, sealed)


async def all_users(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        select u.email, u.role, u.disabled_at, u.totp_secret is not null as second_factor,
               p.name as partner, t.code as team
        from users u left join partners p on p.id = u.partner_id
        left join teams t on t.id = u.team_id
        order by u.email
        """
    )


async def team_colleagues(conn: Connection, team_id: int) -> list[tuple[str, str]]:
    """The team's enabled members and leads: (e-mail address, name or else that address), by
    name."""
    rows = await conn.fetch(
        "select email, coalesce(name, email) as shown from users where team_id = $1 "
        "and role in ('member', 'lead') and disabled_at is null "
        "order by lower(coalesce(name, email))",
        team_id,
    )
    return [(row["email"], row["shown"]) for row in rows]


async def set_name(conn: Connection, email: str, name: str | None) -> bool:
    """Name the user (None: no name); False if there is no such user."""
    return (
        updated_count(
            await conn.execute(
                "update users set name = $2 where lower(email) = lower($1)", email, name
            )
        )
        == 1
    )
