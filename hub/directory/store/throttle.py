"""Counters of failed logins, keyed by keyed digests (never an address or an e-mail)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.platform.connection import Connection

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime

    import asyncpg


async def lock_counters(conn: Connection, keys: Sequence[bytes]) -> list[asyncpg.Record]:
    """The counters of `keys` that exist, locked until the caller's transaction ends, so that
    attempts with the same keys are counted one after the other."""
    return await conn.fetch(
        "select key, failures, last_at, blocked_until from login_throttle "
        "where key = any($1::bytea[]) order by key for update",
        list(keys),
    )


async def count_failures(
    conn: Connection,
    keys: Sequence[bytes],
    failures: Sequence[int],
    blocked_until: Sequence[datetime | None],
    now: datetime,
) -> None:
    await conn.execute(
        """
        insert into login_throttle (key, failures, last_at, blocked_until)
        select * from unnest($1::bytea[], $2::int[], $3::timestamptz[], $4::timestamptz[])
        on conflict (key) do update set failures = excluded.failures,
            last_at = excluded.last_at, blocked_until = excluded.blocked_until
        """,
        list(keys),
        list(failures),
        [now] * len(keys),
        list(blocked_until),
    )


async def forgive(conn: Connection, keys: Sequence[bytes]) -> None:
    """Forget the counters of `keys` (a right password from there)."""
    await conn.execute("delete from login_throttle where key = any($1::bytea[])", list(keys))


async def take_back_one(conn: Connection, key: bytes) -> None:
    """Uncount the attempt counted before a password turned out right, and let the next one
    go ahead at once."""
    await conn.execute(
        "update login_throttle set failures = greatest(failures - 1, 0), blocked_until = null "
        "where key = $1",
        key,
    )


async def forget_old(conn: Connection, before: datetime) -> int:
    status = await conn.execute("delete from login_throttle where last_at < $1", before)
    return int(status.split()[-1])
