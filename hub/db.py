"""PostgreSQL: the embedded default (pgserver), connection pools and numbered SQL migrations."""

from __future__ import annotations

import asyncio
import json
import logging
import re
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import asyncpg

from hub.config import Settings, redact_dsn
from hub.store import Connection

log = logging.getLogger(__name__)

# Any fixed 64-bit number, the same for every hub process: only one may migrate at a time.
MIGRATION_LOCK = 0x5167_6E61_6C48_7562
EMBEDDED_DATABASE = "hub"


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The numbered `.sql` files shipped in `hub/migrations`, in order."""
    found = []
    for entry in resources.files("hub").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found, key=lambda migration: migration.version)


async def applied_versions(conn: Connection) -> set[int]:
    exists = await conn.fetchval("select to_regclass('schema_migrations') is not null")
    if not exists:
        return set()
    return {row["version"] for row in await conn.fetch("select version from schema_migrations")}


async def migrate(conn: Connection) -> list[Migration]:
    """Apply the migrations not yet applied, each in its own transaction; returns those applied.

    A session-level advisory lock makes concurrent callers (several hub instances starting at
    once) wait for each other instead of applying a file twice.
    """
    await conn.execute("select pg_advisory_lock($1)", MIGRATION_LOCK)
    try:
        await conn.execute(
            """
            create table if not exists schema_migrations (
                version    integer primary key,
                name       text not null,
                applied_at timestamptz not null default now()
            )
            """
        )
        done = await applied_versions(conn)
        applied = []
        for migration in migrations():
            if migration.version in done:
                continue
            async with conn.transaction():
                await conn.execute(migration.sql)
                await conn.execute(
                    "insert into schema_migrations (version, name) values ($1, $2)",
                    migration.version,
                    migration.name,
                )
            log.info("applied migration %04d_%s", migration.version, migration.name)
            applied.append(migration)
        return applied
    finally:
        await conn.execute("select pg_advisory_unlock($1)", MIGRATION_LOCK)


async def pending_migrations(conn: Connection) -> list[Migration]:
    done = await applied_versions(conn)
    return [migration for migration in migrations() if migration.version not in done]


async def _init_connection(conn: Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


# A database that does not answer a new connection within this is down for now: requests get
# a 503 at once instead of waiting (asyncpg's default is a minute).
CONNECT_TIMEOUT_SECONDS = 1.0


async def _keep_as_is(conn: Connection) -> None:
    """No reset query when a connection goes back to the pool: asyncpg's default (unlock all
    advisory locks, CLOSE ALL, UNLISTEN *, RESET ALL) costs a round trip on every release, and
    the hub leaves no such state behind: it never SETs, LISTENs or holds cursors, and releases
    its session advisory locks itself in `finally` blocks."""


async def create_pool(dsn: str, *, min_size: int = 2, max_size: int = 10) -> asyncpg.Pool:
    pool = await asyncpg.create_pool(
        dsn,
        min_size=min_size,
        max_size=max_size,
        init=_init_connection,
        reset=_keep_as_is,
        command_timeout=30,
        timeout=CONNECT_TIMEOUT_SECONDS,
    )
    log.info("connected to %s", redact_dsn(dsn))
    return pool


async def ensure_database(server_dsn: str, name: str) -> None:
    """Create database `name` on the server of `server_dsn` if it does not exist."""
    conn = await asyncpg.connect(server_dsn)
    try:
        if not await conn.fetchval("select true from pg_database where datname = $1", name):
            await conn.execute(f'create database "{name}"')
    finally:
        await conn.close()


def with_database(dsn: str, name: str) -> str:
    """The same server DSN, pointing at database `name`."""
    head, sep, query = dsn.partition("?")
    base = head.rsplit("/", 1)[0] if head.count("/") > 2 else head
    return f"{base}/{name}{sep}{query}"


@contextmanager
def embedded_postgres(data_dir: Path) -> Iterator[str]:
    """Run PostgreSQL from the `pgserver` package in `data_dir/pgdata`; yield its server DSN.

    The server is stopped on leaving, unless another process still uses the same data directory.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from pgserver.postgres_server import get_server

    data_dir.mkdir(parents=True, exist_ok=True)
    server = get_server(data_dir.resolve() / "pgdata", cleanup_mode="stop")
    try:
        yield str(server.get_uri())
    finally:
        server.cleanup()


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The DSN the hub uses: `DATABASE_URL`, or else the embedded server's `hub` database.

    Call it outside a running event loop (the CLI does, before serving).
    """
    if settings.database_url is not None:
        yield settings.database_url.get_secret_value()
        return
    with embedded_postgres(settings.data_dir) as server_dsn:
        asyncio.run(ensure_database(server_dsn, EMBEDDED_DATABASE))
        yield with_database(server_dsn, EMBEDDED_DATABASE)
