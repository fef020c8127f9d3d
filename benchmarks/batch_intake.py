"""CSV batch intake: rows per second for a 100,000-row file, beside PostgreSQL COPY of every row
the batch wrote, into the hub's own tables, in the same run (issue 19's reference).

    python benchmarks/batch_intake.py [--rows 100000]

The hub's database is copied (`create database ... template`) before the batch; after it, every
row the batch added (signals, households, cases, events, feedback deadlines, the batch itself,
mail to the teams: whatever table grew) is read out with `COPY ... TO` (binary) and written into
the copy with `COPY ... FROM`, table by table in the order of their foreign keys, in one
transaction, with the real indexes, constraints and triggers: the raw limit of getting exactly
those rows into those tables. While the hub works, a probe on its event loop measures how late
a 5 ms sleep wakes up: the longest stall is how long any other request would have waited. The
batch runs as the hub runs it: on the work loop, a thread with its own loop and connections.

Uses an embedded PostgreSQL in a temporary directory, or HUB_BENCH_DATABASE_URL (a server where
it may create databases). Prints the figures and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import os
import tempfile
import time
from collections.abc import Awaitable
from contextlib import ExitStack
from pathlib import Path

import asyncpg
from bench_db import demo_database  # benchmarks/, beside this script

from connectors.csv_batch import RENT_ARREARS, parse_batch
from hub.demo.data import demo_pc6_codes
from hub.intake.batches import process_batch, receive_batch, row_reference
from hub.platform.db import create_pool, embedded_postgres, with_database
from hub.platform.heap import freeze_long_lived
from hub.platform.workloop import WorkLoop
from schemas.signals import PartnerKind

HEADER = "Referentie;Postcode;Huisnummer;Toevoeging;Naam huurder;Achterstand;Achterstand sinds"


def make_file(rows: int) -> bytes:
    codes = demo_pc6_codes()
    lines = [HEADER]
    for n in range(rows):
        pc6 = codes[n % len(codes)]
        lines.append(
            f"HV-{n};{pc6};{n // len(codes) + 1};;J. Jansen;{n % 5000},{n % 100:02d};"
            f"01-{n % 12 + 1:02d}-2026"
        )
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


async def count_rows(conn: asyncpg.Connection, table: str) -> int:
    """Rows of a table named by pg_class (not by anyone's input)."""
    return int(await conn.fetchval(f'select count(*) from "{table}"'))  # noqa: S608


class LoopProbe:
    """How late the event loop wakes a task that sleeps 5 ms, over and over: the longest delay is
    the longest any other request would have waited for the loop."""

    def __init__(self) -> None:
        self.delays: list[float] = []
        self._task: asyncio.Task[None] | None = None

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            asked = loop.time()
            await asyncio.sleep(0.005)
            self.delays.append(loop.time() - asked - 0.005)

    def __enter__(self) -> LoopProbe:
        self._task = asyncio.get_running_loop().create_task(self._run())
        return self

    def __exit__(self, *exc: object) -> None:
        if self._task is not None:
            self._task.cancel()

    @property
    def longest_ms(self) -> float:
        return 1000 * max(self.delays, default=0.0)

    def over(self, ms: float) -> int:
        return sum(1 for delay in self.delays if delay * 1000 > ms)


async def grown_tables(before: asyncpg.Connection, after: asyncpg.Connection) -> list[str]:
    """The tables with more rows after than before, parents before children (foreign keys)."""
    names = [
        row["relname"]
        for row in await after.fetch(
            "select c.relname from pg_class c join pg_namespace n on n.oid = c.relnamespace "
            "where n.nspname = 'public' and c.relkind = 'r' order by 1"
        )
    ]
    grown = []
    for name in names:
        if await count_rows(after, name) > await count_rows(before, name):
            if await count_rows(before, name):
                raise SystemExit(
                    f"{name} had rows before the batch: the reference needs a new table"
                )
            grown.append(name)
    edges = await after.fetch(
        "select c.relname as child, p.relname as parent from pg_constraint k "
        "join pg_class c on c.oid = k.conrelid join pg_class p on p.oid = k.confrelid "
        "where k.contype = 'f'"
    )
    parents = {name: set() for name in grown}
    for edge in edges:
        if (
            edge["child"] in parents
            and edge["parent"] in parents
            and edge["child"] != edge["parent"]
        ):
            parents[edge["child"]].add(edge["parent"])
    ordered: list[str] = []
    while parents:
        ready = sorted(name for name, needs in parents.items() if not needs - set(ordered))
        if not ready:
            raise SystemExit(f"a cycle of foreign keys among {sorted(parents)}")
        ordered += ready
        for name in ready:
            del parents[name]
    return ordered


async def copy_reference(server: str, hub_db: str, copy_db: str) -> tuple[float, dict[str, int]]:
    """COPY every row the batch added into the copy of the database made before it."""
    source = await asyncpg.connect(with_database(server, hub_db))
    target = await asyncpg.connect(with_database(server, copy_db))
    try:
        tables = await grown_tables(target, source)
        dumps: dict[str, bytes] = {}
        counts: dict[str, int] = {}
        for name in tables:
            buffer = io.BytesIO()
            await source.copy_from_query(
                f'select * from "{name}"',  # noqa: S608 - a name from pg_class
                output=buffer,
                format="binary",
            )
            dumps[name] = buffer.getvalue()
            counts[name] = await count_rows(source, name)
        started = time.perf_counter()
        async with target.transaction():
            for name in tables:
                await target.copy_to_table(name, source=io.BytesIO(dumps[name]), format="binary")
        seconds = time.perf_counter() - started
        for name in tables:
            if await count_rows(target, name) != counts[name]:
                raise SystemExit(f"the reference copied a different number of rows into {name}")
        return seconds, counts
    finally:
        await source.close()
        await target.close()


async def on_thread_clock(work: Awaitable[object]) -> float:
    """The CPU seconds the work loop's thread spent while `work` ran on it (the loop runs
    nothing else): the hub's own share of the batch, beside the database's."""
    started = time.thread_time()
    await work
    return time.thread_time() - started


async def run(server: str, rows: int) -> None:
    name, pool, partner, _ = await demo_database(
        server, "Benchmark corporation", PartnerKind.HOUSING
    )
    await pool.close()
    copy_name = f"{name}_copy"
    admin = await asyncpg.connect(server)
    await admin.execute(f'create database "{copy_name}" template "{name}"')
    pool = await create_pool(with_database(server, name), min_size=1, max_size=4)
    try:
        data = make_file(rows)

        started = time.perf_counter()
        parsed = parse_batch(data, RENT_ARREARS, row_reference)
        parse_seconds = time.perf_counter() - started
        if parsed.errors:
            raise SystemExit(f"the generated file has errors: {parsed.errors[:3]}")
        del parsed

        freeze_long_lived()  # as `hub serve` does once started (hub.platform.heap)
        with LoopProbe() as probe:
            started = time.perf_counter()
            received = await receive_batch(
                pool, partner, data, filename="bench.csv", source="upload", profile_name=None
            )
            # As the hub runs a batch: on its work loop, beside the serving loop.
            work = WorkLoop(with_database(server, name))
            await work.start()
            try:
                busy = await work.run(
                    lambda own: on_thread_clock(process_batch(own, received.view.id))
                )
            finally:
                await work.close()
            hub_seconds = time.perf_counter() - started
        async with pool.acquire() as conn:
            stored = await conn.fetchval("select count(*) from signals")
        if stored != rows:
            raise SystemExit(f"stored {stored} signals of {rows} rows")
        await pool.close()
        copy_seconds, counts = await copy_reference(server, name, copy_name)
    finally:
        await pool.close()
        for database in (name, copy_name):
            await admin.execute(f'drop database if exists "{database}" with (force)')
        await admin.close()

    print(f"rows: {rows}")
    print(
        f"parse + validate only:        {parse_seconds:7.2f} s  {rows / parse_seconds:9.0f} rows/s"
    )
    print(
        f"hub batch (parse, validate, route, seal, store): {hub_seconds:7.2f} s  "
        f"{rows / hub_seconds:9.0f} rows/s"
    )
    print(f"  of which the work loop's thread busy (CPU):    {busy:7.2f} s")
    written = ", ".join(f"{table} {count}" for table, count in counts.items())
    print(f"rows the batch wrote: {sum(counts.values())} ({written})")
    print(
        f"COPY of those rows into the hub's tables:       {copy_seconds:7.2f} s  "
        f"{rows / copy_seconds:9.0f} signals/s"
    )
    print(f"ratio hub / COPY: {copy_seconds / hub_seconds:.2f}  (target of issue 19: >= 0.5)")
    print(
        f"event loop during the batch: longest stall {probe.longest_ms:.0f} ms, "
        f"{probe.over(50)} stalls over 50 ms  (target: none over 50 ms)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    with ExitStack() as stack:
        server = os.environ.get("HUB_BENCH_DATABASE_URL")
        if not server:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory()))
            server = stack.enter_context(embedded_postgres(folder))
        asyncio.run(run(server, args.rows))


if __name__ == "__main__":
    main()
