"""CSV batches and partners' column profiles."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.platform.connection import Connection
from hub.privacy.sealed import open_batch

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

_VIEW = """
    id, partner_id, status, filename, profile, received_at, processed_at, rows_total,
    rows_accepted, rows_repeat, rows_known, rows_refused, report, problems_total,
    problems_by_column
"""


async def add_batch(
    conn: Connection,
    partner_id: UUID,
    batch_id: UUID,
    *,
    source: str,
    filename: str | None,
    file_sha256: bytes,
    profile: str,
    sealed: bytes | bytearray,
) -> tuple[UUID, bool]:
    """Store a received file, sealed bound to `batch_id`; (id, False) when the partner sent
    this very file before."""
    row = await conn.fetchrow(
        """
        insert into batches (id, partner_id, source, filename, file_sha256, profile, content,
                             content_sealed)
        values ($7, $1, $2, $3, $4, $5, $6, true)
        on conflict (partner_id, file_sha256) do nothing
        returning id
        """,
        partner_id,
        source,
        filename,
        file_sha256,
        profile,
        sealed,
        batch_id,
    )
    if row is not None:
        return row["id"], True
    existing: UUID = await conn.fetchval(
        "select id from batches where partner_id = $1 and file_sha256 = $2", partner_id, file_sha256
    )
    return existing, False


async def pending_partner(conn: Connection, batch_id: UUID) -> UUID | None:
    """The partner of a pending batch (its file left where it is); None if it is done."""
    partner_id: UUID | None = await conn.fetchval(
        "select partner_id from batches where id = $1 and status = 'pending'", batch_id
    )
    return partner_id


async def pending_batch(conn: Connection, batch_id: UUID) -> dict[str, Any] | None:
    """A pending batch with its file opened and how far processing got; None if it is done."""
    row = await conn.fetchrow(
        "select id, partner_id, profile, content, rows_done from batches "
        "where id = $1 and status = 'pending'",
        batch_id,
    )
    if row is None:
        return None
    return {**row, "content": open_batch(row["content"], row["id"])}


async def pending_batches(conn: Connection, limit: int) -> list[asyncpg.Record]:
    """Pending batches, oldest first: (id, partner_id)."""
    return await conn.fetch(
        "select id, partner_id from batches where status = 'pending' order by received_at limit $1",
        limit,
    )


async def record_chunk(
    conn: Connection,
    batch_id: UUID,
    *,
    after_line: int,
    last_line: int,
    counts: dict[str, int],
    problems: list[dict[str, Any]],
    problems_found: int,
    by_column: dict[str, int],
    keep: int,
) -> bool:
    """Add a chunk's counts and problems (of which the report keeps the first `keep` in all)
    and how far the batch got, in the chunk's transaction; False (nothing written) unless the
    batch got as far as `after_line`, where the chunk starts: progress only ever moves on from
    where the chunk's run left it."""
    status = await conn.execute(
        """
        update batches set
            rows_done = $2,
            rows_total = coalesce(rows_total, 0) + $3,
            rows_accepted = coalesce(rows_accepted, 0) + $4,
            rows_repeat = coalesce(rows_repeat, 0) + $5,
            rows_known = coalesce(rows_known, 0) + $6,
            rows_refused = coalesce(rows_refused, 0) + $7,
            report = report || coalesce((
                select jsonb_agg(kept.p order by kept.n) from (
                    select e.p, e.n from jsonb_array_elements($8::jsonb) with ordinality e (p, n)
                    order by e.n limit greatest($11 - jsonb_array_length(report), 0)
                ) kept), '[]'::jsonb),
            problems_total = problems_total + $9,
            problems_by_column = (
                select coalesce(jsonb_object_agg(key, total), '{}'::jsonb) from (
                    select key, sum(value::int) as total from (
                        select key, value from jsonb_each_text(problems_by_column)
                        union all select key, value from jsonb_each_text($10::jsonb)
                    ) both_ group by key
                ) summed)
        where id = $1 and rows_done = $12
        """,
        batch_id,
        last_line,
        counts["total"],
        counts["accepted"],
        counts["repeat"],
        counts["known"],
        counts["refused"],
        problems,
        problems_found,
        by_column,
        keep,
        after_line,
    )
    return bool(status == "UPDATE 1")


async def finish(conn: Connection, batch_id: UUID, *, failure: str | None = None) -> None:
    """Done (or failed, with its reason), and the file's content dropped: what is kept is in
    the signals."""
    await conn.execute(
        """
        update batches
        set status = case when $2::text is null then 'done' else 'failed' end,
            content = null, processed_at = now(),
            report = case when $2::text is null then report
                          else jsonb_build_array(jsonb_build_object(
                              'line', 1, 'column', null, 'reason', $2::text)) end,
            problems_total = case when $2::text is null then problems_total else 1 end
        where id = $1
        """,
        batch_id,
        failure,
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
