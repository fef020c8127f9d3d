"""CSV batch intake: rows per second for a 100,000-row file, beside PostgreSQL COPY of the
same rows in the same run (the raw limit of getting those rows into the database).

    python benchmarks/batch_intake.py [--rows 100000]

Uses an embedded PostgreSQL in a temporary directory, or HUB_BENCH_DATABASE_URL (a server where
it may create a database). Prints the figures and the ratio; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import uuid
from contextlib import ExitStack
from pathlib import Path

import asyncpg
from bench_db import demo_database  # benchmarks/, beside this script

from connectors.csv_batch import RENT_ARREARS, parse_batch
from hub.demo.data import demo_pc6_codes
from hub.intake.batches import process_batch, receive_batch, row_reference
from hub.platform.db import embedded_postgres
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


async def run(server: str, rows: int) -> None:
    name, pool, partner, _ = await demo_database(
        server, "Benchmark corporation", PartnerKind.HOUSING
    )
    try:
        data = make_file(rows)

        started = time.perf_counter()
        parsed = parse_batch(data, RENT_ARREARS, row_reference)
        parse_seconds = time.perf_counter() - started
        if parsed.errors:
            raise SystemExit(f"the generated file has errors: {parsed.errors[:3]}")

        started = time.perf_counter()
        received = await receive_batch(
            pool, partner, data, filename="bench.csv", source="upload", profile_name=None
        )
        await process_batch(pool, received.view.id)
        hub_seconds = time.perf_counter() - started

        # The raw limit: COPY the same rows, as parsed, into a table shaped like signals.
        records = [
            (
                uuid.uuid4(),
                row.signal.external_ref,
                row.signal.kind.value,
                row.signal.address.postcode,
                row.signal.address.house_number,
                row.signal.person.name if row.signal.person else None,
                row.signal.arrears.amount_eur if row.signal.arrears else None,
                row.signal.arrears.since if row.signal.arrears else None,
                row.signal.description,
            )
            for row in parsed.rows
        ]
        async with pool.acquire() as conn:
            await conn.execute(
                """create table copy_target (id uuid primary key, external_ref text unique,
                   kind text, postcode text, house_number int, person_name text,
                   arrears_amount numeric(12,2), arrears_since date, description text)"""
            )
            started = time.perf_counter()
            async with conn.transaction():
                await conn.copy_records_to_table("copy_target", records=records)
            copy_seconds = time.perf_counter() - started
            stored = await conn.fetchval("select count(*) from signals")
        if stored != rows:
            raise SystemExit(f"stored {stored} signals of {rows} rows")
    finally:
        await pool.close()
        conn2 = await asyncpg.connect(server)
        await conn2.execute(f'drop database "{name}" with (force)')
        await conn2.close()

    print(f"rows: {rows}")
    print(
        f"parse + validate only:        {parse_seconds:7.2f} s  {rows / parse_seconds:9.0f} rows/s"
    )
    print(
        f"hub batch (parse, route, store, events): {hub_seconds:7.2f} s  "
        f"{rows / hub_seconds:9.0f} rows/s"
    )
    print(
        f"PostgreSQL COPY of the same rows:        {copy_seconds:7.2f} s  "
        f"{rows / copy_seconds:9.0f} rows/s"
    )
    print(f"ratio hub / COPY: {copy_seconds / hub_seconds:.2f}  (target of issue 8: >= 0.5)")


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
