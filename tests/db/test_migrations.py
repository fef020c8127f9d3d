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


async def test_a_history_from_before_0034_gains_first_contacts_and_deadline_owners(
    empty_dsn: str,
) -> None:
    """Migrations 0034 and 0035 on a database that already holds a case with contact attempts
    and deadlines met in time, late and not: the case's first attempt and each deadline's
    partner, team and "met in time" are filled in; afterwards the triggers keep them."""
    from datetime import UTC, date, datetime

    from hub.platform.store import schema as bookkeeping

    at = datetime(2026, 11, 2, 9, tzinfo=UTC)  # a Monday
    conn = await asyncpg.connect(empty_dsn)
    try:
        await bookkeeping.ensure_bookkeeping(conn)
        for migration in migrations():
            if migration.version < 34:
                async with conn.transaction():
                    await bookkeeping.apply(conn, migration.version, migration.name, migration.sql)
        teams = [
            await conn.fetchval(
                "insert into teams (code, name, municipality_code, municipality) "
                "values ($1, $1, 'GM0392', 'Haarlem') returning id",
                code,
            )
            for code in ("EEN", "TWEE")
        ]
        partner = await conn.fetchval(
            "insert into partners (name, kind) values ('Huisarts', 'gp') returning id"
        )
        household = await conn.fetchval("insert into households default values returning id")
        case = await conn.fetchval(
            "insert into cases (household_id, team_id, opened_at) values ($1, $2, $3) returning id",
            household,
            teams[0],
            at,
        )
        signal = await conn.fetchval(
            "insert into signals (partner_id, external_ref, payload_digest, kind, urgency, "
            "household_id, resident_informed, status, team_id, case_id, received_at) "
            "values ($1, 'R-1', '\\x00', 'care_concern', 'normal', $2, true, 'in_contact', $3, "
            "$4, $5) returning id",
            partner,
            household,
            teams[0],
            case,
            at,
        )
        for day in (4, 3):  # the later attempt written first
            await conn.execute(
                "insert into events (case_id, kind, actor, occurred_at) "
                "values ($1, 'contact_attempt', 'user:x', $2)",
                case,
                at.replace(day=day),
            )
        agreement = await conn.fetchval(
            "insert into feedback_agreements (step, working_days) values ('first_contact', 5) "
            "returning id"
        )
        for step, due, met in (
            ("first_contact", date(2026, 11, 9), at.replace(day=3)),  # in time
            ("outcome", date(2026, 11, 4), at.replace(day=6)),  # late
            ("received", date(2026, 11, 2), None),  # not met
        ):
            await conn.execute(
                "insert into obligations (signal_id, step, agreement_id, due_on, met_at) "
                "values ($1, $2, $3, $4, $5)",
                signal,
                step,
                agreement,
                due,
                met,
            )

        assert [m.version for m in await migrate(conn)] == [
            m.version for m in migrations() if m.version >= 34
        ]

        assert await conn.fetchval(
            "select first_contact_at from cases where id = $1", case
        ) == at.replace(day=3)
        rows = await conn.fetch(
            "select step, partner_id, team_id, met_in_time from obligations order by step"
        )
        assert [tuple(row) for row in rows] == [
            ("first_contact", partner, teams[0], True),
            ("outcome", partner, teams[0], False),
            ("received", partner, teams[0], None),
        ]
        # Afterwards: an earlier attempt moves the first contact, a later one does not; a
        # signal moved to another team takes its deadlines along.
        for day in (2, 5):
            await conn.execute(
                "insert into events (case_id, kind, actor, occurred_at) "
                "values ($1, 'contact_attempt', 'user:x', $2)",
                case,
                at.replace(day=day, hour=12),
            )
        assert await conn.fetchval(
            "select first_contact_at from cases where id = $1", case
        ) == at.replace(day=2, hour=12)
        await conn.execute("update signals set team_id = $2 where id = $1", signal, teams[1])
        assert {row["team_id"] for row in await conn.fetch("select team_id from obligations")} == {
            teams[1]
        }
    finally:
        await conn.close()
