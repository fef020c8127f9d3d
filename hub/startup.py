"""Opening the hub's database, the same for the service and every command: a pool, the
migrations applied, and the keys that belong to this database in use."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from hub.platform.db import create_pool
from hub.platform.schema import migrate
from hub.privacy.keys import prepare_keys

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.config import Settings


@asynccontextmanager
async def hub_database(
    settings: Settings, dsn: str, *, min_size: int = 1, max_size: int = 2
) -> AsyncIterator[asyncpg.Pool]:
    """A pool on a migrated database with the hub's keys in use; closed on leaving."""
    pool = await create_pool(dsn, min_size=min_size, max_size=max_size)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        await prepare_keys(pool, settings)
        yield pool
    finally:
        await pool.close()
