"""The access log: who read personal data, when, and why. Append-only, enforced by a trigger."""

from __future__ import annotations

from hub.store import Connection


async def log_access(conn: Connection, actor: str, action: str, subject: str, purpose: str) -> None:
    await conn.execute(
        "insert into access_log (actor, action, subject, purpose) values ($1, $2, $3, $4)",
        actor,
        action,
        subject,
        purpose,
    )
