"""Plain SQL, one module per aggregate. Every function takes the connection of its caller's
transaction; database errors are translated into the hub's own errors here."""

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
