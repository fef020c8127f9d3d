"""Plain SQL lives in store modules only: each domain's `store` module or package, and this
package for the platform's own tables (migrations, advisory locks, job ticks, the outbox).

Every store function takes the connection of its caller's transaction; database errors are
translated into the hub's own errors there. `tests/unit/test_layout.py` fails when a query
appears anywhere else, and import-linter keeps each domain's store its own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from datetime import datetime

    from hub.platform.connection import Connection


async def transaction_time(conn: Connection) -> datetime:
    """The time of the caller's transaction (`now()`): the same for everything it writes."""
    moment: datetime = await conn.fetchval("select now()")
    return moment
