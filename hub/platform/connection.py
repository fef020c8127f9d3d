"""What every store module shares: the connection type, and small helpers for results."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeAlias

import asyncpg

if TYPE_CHECKING:
    from asyncpg.pool import PoolConnectionProxy

# A connection of its own or one lent by a pool: store functions take either.
Connection: TypeAlias = "asyncpg.Connection[asyncpg.Record] | PoolConnectionProxy[asyncpg.Record]"


def required(row: asyncpg.Record | None) -> asyncpg.Record:
    """The row of an `insert ... returning` or a lookup that cannot miss."""
    if row is None:
        raise RuntimeError("the database returned no row where one was certain")
    return row


def updated_count(status: str) -> int:
    """How many rows an UPDATE or DELETE touched, from its command status (`UPDATE 3`)."""
    return int(status.split()[-1])
