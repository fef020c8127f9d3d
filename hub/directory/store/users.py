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
    u.id, u.email, u.role, u.password_hash, u.failed_logins, u.locked_until,
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
    return User(row["id"], row["email"], row["role"], partner, team)


async def add_user(
    conn: Connection,
    email: str,
    password_hash: str,
    role: str,
    partner: Partner | None,
    team_id: int | None = None,
) -> User:
    try:
        row = required(
            await conn.fetchrow(
                "insert into users (email, password_hash, role, partner_id, team_id) "
                "values ($1, $2, $3, $4, $5) returning id",
                email,
                password_hash,
                role,
                partner.id if partner else None,
                team_id,
            )
        )
    except asyncpg.UniqueViolationError as error:
        raise Conflict(f"a user with e-mail {email} exists already") from error
    found = await user_by_id(conn, row["id"])
    if found is None:
        raise RuntimeError("a user just added could not be read back")
    return found


async def user_by_id(conn: Connection, user_id: UUID) -> User | None:
    row = await conn.fetchrow(f"select {_USER} from {_FROM} where u.id = $1", user_id)  # noqa: S608 - constant columns
    return _user(row) if row else None


async def user_by_email(conn: Connection, email: str) -> User | None:
    row = await conn.fetchrow(
        f"select {_USER} from {_FROM} where lower(u.email) = lower($1)",  # noqa: S608 - constant columns
        email,
    )
    return _user(row) if row else None


async def credentials_by_email(conn: Connection, email: str) -> Credentials | None:
    row = await conn.fetchrow(
        f"select {_USER} from {_FROM} where lower(u.email) = lower($1)",  # noqa: S608 - constant columns
        email,
    )
    if row is None:
        return None
    return Credentials(_user(row), row["password_hash"], row["failed_logins"], row["locked_until"])


async def record_failed_login(conn: Connection, user_id: UUID, lock_after: int) -> None:
    """Count a failure; from `lock_after` failures on, lock for a minute per further failure."""
    await conn.execute(
        """
        update users set failed_logins = failed_logins + 1,
            locked_until = case when failed_logins + 1 >= $2
                then now() + make_interval(mins => failed_logins + 2 - $2) end
        where id = $1
        """,
        user_id,
        lock_after,
    )


async def record_login(conn: Connection, user_id: UUID, password_hash: str | None) -> None:
    await conn.execute(
        "update users set failed_logins = 0, locked_until = null, "
        "password_hash = coalesce($2, password_hash) where id = $1",
        user_id,
        password_hash,
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


async def session_user(conn: Connection, token_sha256: bytes) -> tuple[User, str] | None:
    row = await conn.fetchrow(
        f"select {_USER}, s.csrf_token from {_FROM} join sessions s on s.user_id = u.id "  # noqa: S608 - constant columns
        "where s.token_sha256 = $1 and s.expires_at > now()",
        token_sha256,
    )
    return (_user(row), row["csrf_token"]) if row else None


async def end_session(conn: Connection, token_sha256: bytes) -> None:
    await conn.execute("delete from sessions where token_sha256 = $1", token_sha256)


async def set_password_hash(conn: Connection, email: str, password_hash: str) -> bool:
    """A new password hash (and the end of any lockout); False if there is no such user."""
    status = await conn.execute(
        "update users set password_hash = $2, failed_logins = 0, locked_until = null "
        "where lower(email) = lower($1)",
        email,
        password_hash,
    )
    return updated_count(status) > 0


async def team_colleagues(conn: Connection, team_id: int) -> list[str]:
    """E-mail addresses of the team's members and leads."""
    rows = await conn.fetch(
        "select email from users where team_id = $1 and role in ('member', 'lead') order by email",
        team_id,
    )
    return [row["email"] for row in rows]
