"""Opening the hub's database, the same for the service and every command: which server and
role, a pool, the migrations applied (as the schema's owner), and the keys that belong to this
database in use.

Two roles keep the audit trail out of the hub's own reach (`hub.platform.store.roles`): an owner
runs the migrations (`HUB_MIGRATION_URL`) and grants the role the hub serves as (`DATABASE_URL`)
what it may do. The embedded server sets this up by itself. With `DATABASE_URL` alone, the hub
migrates and serves as that one role, as a small installation may choose.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import TYPE_CHECKING

import asyncpg

from hub.platform import roles
from hub.platform.db import create_pool, embedded_postgres, with_database, with_user
from hub.platform.schema import migrate
from hub.privacy.keys import prepare_keys

if TYPE_CHECKING:
    from hub.platform.config import Settings
    from hub.platform.schema import Migration

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "hub"
EMBEDDED_APP_ROLE = "signal_hub_app"


@contextmanager
def database(settings: Settings) -> Iterator[str]:
    """The DSN the hub serves with: `DATABASE_URL`, or else the embedded server's `hub`
    database as the role `signal_hub_app`, migrated by the server's owner role.

    Call it outside a running event loop (the CLI does, before serving).
    """
    if settings.database_url is not None:
        yield settings.database_url.get_secret_value()
        return
    with embedded_postgres(settings.data_dir) as server_dsn:
        owner_dsn = with_database(server_dsn, EMBEDDED_DATABASE)
        asyncio.run(_prepare_embedded(server_dsn, owner_dsn))
        yield with_user(owner_dsn, EMBEDDED_APP_ROLE)


async def _prepare_embedded(server_dsn: str, owner_dsn: str) -> None:
    await roles.ensure_database(server_dsn, EMBEDDED_DATABASE)
    conn = await asyncpg.connect(owner_dsn)
    try:
        await roles.ensure_role(conn, EMBEDDED_APP_ROLE)
        await _migrate_and_grant(conn, EMBEDDED_APP_ROLE)
    finally:
        await conn.close()


async def _migrate_and_grant(conn: asyncpg.Connection, app_role: str) -> list[Migration]:
    applied = await migrate(conn)
    if app_role != await roles.current_role(conn):
        await roles.grant(conn, app_role)
    return applied


async def migrate_database(settings: Settings, dsn: str) -> list[Migration]:
    """Apply pending migrations: as the owner (`HUB_MIGRATION_URL`), then grant the role of
    `dsn` its rights; without an owner, as the role of `dsn`."""
    conn = await asyncpg.connect(dsn)
    try:
        if settings.migration_url is None:
            return await migrate(conn)
        app_role = await roles.current_role(conn)
    finally:
        await conn.close()
    owner = await asyncpg.connect(settings.migration_url.get_secret_value())
    try:
        return await _migrate_and_grant(owner, app_role)
    finally:
        await owner.close()


@asynccontextmanager
async def hub_database(
    settings: Settings, dsn: str, *, min_size: int = 1, max_size: int = 2
) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a migrated database with the hub's keys in use; closed on leaving."""
    await migrate_database(settings, dsn)
    pool = await create_pool(dsn, min_size=min_size, max_size=max_size)
    try:
        await prepare_keys(pool, settings)
        yield pool
    finally:
        await pool.close()
