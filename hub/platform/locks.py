"""Advisory locks as context managers: what they guard runs once at a time across every hub
process on the database, and the lock is released whatever happens inside."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from hub.platform.connection import Connection
from hub.platform.store import locks as store


@asynccontextmanager
async def advisory_lock(conn: Connection, key: int) -> AsyncIterator[None]:
    """Wait for the lock, hold it inside the block (on this connection's session)."""
    await store.lock(conn, key)
    try:
        yield
    finally:
        await store.unlock(conn, key)


@asynccontextmanager
async def try_advisory_lock(conn: Connection, key: int) -> AsyncIterator[bool]:
    """Take the lock if it is free; the block learns whether it got it."""
    taken = await store.try_lock(conn, key)
    try:
        yield taken
    finally:
        if taken:
            await store.unlock(conn, key)


async def lock_for_transaction(conn: Connection, key: int) -> None:
    """Hold the lock until the caller's transaction ends."""
    await store.lock_for_transaction(conn, key)
