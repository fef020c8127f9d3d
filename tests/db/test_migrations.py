from __future__ import annotations

import asyncio

import asyncpg
import pytest

from hub.platform.schema import migrate, migrations, pending_migrations


async def test_migrations_apply_to_an_empty_database(empty_dsn: str) -> None:
    conn = await asyncpg.connect(empty_dsn)
    try:
        assert [m.version for m in await pending_migrations(conn)] == [
            m.version for m in migrations()
        ]
        applied = await migrate(conn)
        assert [m.version for m in applied] == [m.version for m in migrations()]
        tables = {
            row["tablename"]
            for row in await conn.fetch(
                "select tablename from pg_tables where schemaname = 'public'"
            )
        }
        assert {
            "teams",
            "partners",
            "api_tokens",
            "routing_rules",
            "households",
            "signals",
            "events",
            "access_log",
            "schema_migrations",
        } <= tables
        assert await migrate(conn) == []
        assert await pending_migrations(conn) == []
    finally:
        await conn.close()


async def test_concurrent_migrations_apply_each_file_once(empty_dsn: str) -> None:
    conns = [await asyncpg.connect(empty_dsn) for _ in range(4)]
    try:
        results = await asyncio.gather(*(migrate(conn) for conn in conns))
        assert sum(len(applied) for applied in results) == len(migrations())
        count = await conns[0].fetchval("select count(*) from schema_migrations")
        assert count == len(migrations())
    finally:
        for conn in conns:
            await conn.close()


@pytest.mark.parametrize("table", ["events", "access_log"])
async def test_logs_are_append_only(pool: asyncpg.Pool, table: str) -> None:
    async with pool.acquire() as conn:
        if table == "events":
            partner = await conn.fetchval(
                "insert into partners (name, kind) values ('p', 'gp') returning id"
            )
            household = await conn.fetchval(
                "insert into households (address_digest) values ('\\x01') returning id"
            )
            signal = await conn.fetchval(
                """insert into signals (partner_id, external_ref, payload_digest, kind, urgency,
                       household_id, resident_informed, status)
                   values ($1, 'r', '\\x00', 'care_concern', 'normal', $2, true, 'unrouted')
                   returning id""",
                partner,
                household,
            )
            await conn.execute(
                "insert into events (signal_id, kind, actor) values ($1, 'received', 'x')", signal
            )
        else:
            await conn.execute(
                "insert into access_log (actor, action, subject, purpose) values ('a','b','c','d')"
            )
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute(f"update {table} set occurred_at = now()")  # noqa: S608
        with pytest.raises(asyncpg.InsufficientPrivilegeError, match="append-only"):
            await conn.execute(f"delete from {table}")  # noqa: S608
        assert await conn.fetchval(f"select count(*) from {table}") == 1  # noqa: S608
