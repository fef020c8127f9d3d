"""What a stolen backup would show."""

from __future__ import annotations

from hub.platform.connection import Connection


async def dump(conn: Connection) -> str:
    """Every row of the tables that hold residents' data and secrets, as text, as a stolen backup
    would show them."""
    parts = []
    for table in (
        "households",
        "signals",
        "batches",
        "events",
        "access_log",
        "cases",
        "partner_webhooks",
    ):
        rows = await conn.fetch(f"select t::text as row from {table} t")  # noqa: S608
        parts.extend(row["row"] for row in rows)
    return "\n".join(parts)
