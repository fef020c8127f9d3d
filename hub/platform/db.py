"""PostgreSQL: the embedded default (pgserver), connection pools, and which database to use."""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeAlias
from urllib.parse import quote

import asyncpg

from hub.platform.config import redact_dsn
from hub.platform.connection import Connection
from hub.platform.store import transaction_time as _transaction_time

log = logging.getLogger(__name__)


async def _init_connection(conn: Connection) -> None:
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")


# A database that does not answer a new connection within this is down for now: requests get
# a 503 at once instead of waiting (asyncpg's default is a minute).
CONNECT_TIMEOUT_SECONDS = 1.0


async def _keep_as_is(conn: Connection) -> None:
    """No reset query when a connection goes back to the pool: asyncpg's default (unlock all
    advisory locks, CLOSE ALL, UNLISTEN *, RESET ALL) costs a round trip on every release, and
    the hub leaves no such state behind: it never SETs, LISTENs or holds cursors, and every
    session advisory lock it takes is released by `hub.platform.locks` on leaving its block."""


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


# What a service that reads may be given: a pool, or the connection of a caller's transaction.
Database: TypeAlias = "asyncpg.Pool | Connection"


@asynccontextmanager
async def connected(db: Database) -> AsyncIterator[Connection]:
    """A connection of `db`: one lent by the pool, or the caller's own (inside its transaction)."""
    if isinstance(db, asyncpg.Pool):
        async with db.acquire() as conn:
            yield conn
    else:
        yield db


async def transaction_time(conn: Connection) -> datetime:
    """The time of the caller's transaction (`now()`): the same for everything it writes."""
    return await _transaction_time(conn)


def with_user(dsn: str, user: str, password: str | None = None) -> str:
    """The same DSN, connecting as `user` (without a password: for a server that trusts its
    socket, as the embedded one does)."""
    scheme, rest = dsn.split("://", 1)
    netloc, slash, tail = rest.partition("/")
    login = f"{user}:{quote(password, safe='')}" if password else user
    return f"{scheme}://{login}@{netloc.rpartition('@')[2]}{slash}{tail}"


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
