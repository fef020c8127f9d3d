"""The migrations' bookkeeping table, and creating a database on a server."""

from __future__ import annotations

import asyncpg

from hub.platform.connection import Connection


async def applied_versions(conn: Connection) -> set[int]:
    exists = await conn.fetchval("select to_regclass('schema_migrations') is not null")
    if not exists:
        return set()
    return {row["version"] for row in await conn.fetch("select version from schema_migrations")}


async def ensure_bookkeeping(conn: Connection) -> None:
    await conn.execute(
        """
        create table if not exists schema_migrations (
            version    integer primary key,
            name       text not null,
            applied_at timestamptz not null default now()
        )
        """
    )


async def apply(conn: Connection, version: int, name: str, sql: str) -> None:
    """Run one migration file and record it, in the caller's transaction."""
    await conn.execute(sql)
    await conn.execute(
        "insert into schema_migrations (version, name) values ($1, $2)", version, name
    )


async def ensure_database(server_dsn: str, name: str) -> None:
    """Create database `name` on the server of `server_dsn` if it does not exist."""
    conn = await asyncpg.connect(server_dsn)
    try:
        if not await conn.fetchval("select true from pg_database where datname = $1", name):
            await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()
