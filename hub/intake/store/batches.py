"""CSV batches and partners' column profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.platform.connection import Connection
from hub.privacy.sealed import open_batch, seal_batch

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

_VIEW = """
    id, partner_id, status, filename, profile, received_at, processed_at, rows_total,
    rows_accepted, rows_repeat, rows_known, rows_refused, report
"""


async def add_batch(
    conn: Connection,
    partner_id: UUID,
    *,
    source: str,
    filename: str | None,
    file_sha256: bytes,
    profile: str,
    content: bytes,
) -> tuple[UUID, bool]:
    """Store a received file; (id, False) when the partner sent this very file before."""
    row = await conn.fetchrow(
        """
        insert into batches (partner_id, source, filename, file_sha256, profile, content,
                             content_sealed)
        values ($1, $2, $3, $4, $5, $6, true)
        on conflict (partner_id, file_sha256) do nothing
        returning id
        """,
        partner_id,
        source,
        filename,
        file_sha256,
        profile,
        seal_batch(content),
    )
    if row is not None:
        return row["id"], True
    existing: UUID = await conn.fetchval(
        "select id from batches where partner_id = $1 and file_sha256 = $2", partner_id, file_sha256
    )
    return existing, False


async def claim_pending(conn: Connection, batch_id: UUID) -> dict[str, Any] | None:
    """Lock a pending batch for processing (its file opened); None if it is done or another
    worker has it."""
    row = await conn.fetchrow(
        """
        select id, partner_id, profile, content from batches
        where id = $1 and status = 'pending'
        for update skip locked
        """,
        batch_id,
    )
    if row is None:
        return None
    return {**row, "content": open_batch(row["content"])}


async def pending_ids(conn: Connection, limit: int) -> list[UUID]:
    rows = await conn.fetch(
        "select id from batches where status = 'pending' order by received_at limit $1", limit
    )
    return [row["id"] for row in rows]


async def finish(
    conn: Connection,
    batch_id: UUID,
    *,
    status: str,
    counts: dict[str, int] | None,
    report: list[dict[str, Any]],
) -> None:
    """Record the outcome and drop the file's content: what is kept is in the signals."""
    counts = counts or {}
    await conn.execute(
        """
        update batches
        set status = $2, content = null, processed_at = now(), report = $3,
            rows_total = $4, rows_accepted = $5, rows_repeat = $6, rows_known = $7,
            rows_refused = $8
        where id = $1
        """,
        batch_id,
        status,
        report,
        counts.get("total"),
        counts.get("accepted"),
        counts.get("repeat"),
        counts.get("known"),
        counts.get("refused"),
    )


async def batch_of_partner(
    conn: Connection, partner_id: UUID, batch_id: UUID
) -> asyncpg.Record | None:
    return await conn.fetchrow(
        f"select {_VIEW} from batches where id = $1 and partner_id = $2",  # noqa: S608 - constant columns
        batch_id,
        partner_id,
    )


async def custom_profile(conn: Connection, partner_id: UUID) -> dict[str, Any] | None:
    profile: dict[str, Any] | None = await conn.fetchval(
        "select profile from batch_profiles where partner_id = $1", partner_id
    )
    return profile


async def set_custom_profile(conn: Connection, partner_id: UUID, profile: dict[str, Any]) -> None:
    await conn.execute(
        """
        insert into batch_profiles (partner_id, profile) values ($1, $2)
        on conflict (partner_id) do update set profile = excluded.profile, updated_at = now()
        """,
        partner_id,
        profile,
    )
