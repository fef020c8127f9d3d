"""PostgreSQL advisory locks (session and transaction level)."""

from __future__ import annotations

from hub.platform.connection import Connection


async def lock(conn: Connection, key: int) -> None:
    await conn.execute("select pg_advisory_lock($1)", key)


async def try_lock(conn: Connection, key: int) -> bool:
    return bool(await conn.fetchval("select pg_try_advisory_lock($1)", key))


async def unlock(conn: Connection, key: int) -> None:
    await conn.execute("select pg_advisory_unlock($1)", key)


async def lock_for_transaction(conn: Connection, key: int) -> None:
    await conn.execute("select pg_advisory_xact_lock($1)", key)
