"""What the hub wrote to its outbox."""

from __future__ import annotations

from typing import Any

import asyncpg


async def queued_mail(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every mail in the outbox, oldest first: recipient, subject, body, attempts, delivered."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            "select recipient, payload->>'subject' as subject, payload->>'body' as body, "
            "attempts, delivered_at, last_error from outbox where channel = 'mail' order by id"
        )
    return [dict(row) for row in rows]
