"""The privacy domain's SQL: the access log (NEN 7513, append-only by trigger), the registry of
encryption keys, re-sealing in chunks, and retention's pseudonymising statements."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from hub.platform.connection import Connection

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    import asyncpg


# --- the access log -------------------------------------------------------------------------


async def log_access(
    conn: Connection,
    actor: str,
    action: str,
    purpose: str,
    reads: Sequence[tuple[str, UUID | None]],
    on_behalf_of: str,
) -> None:
    """One line per (subject, household) read, in the caller's transaction."""
    if not reads:
        return
    await conn.execute(
        """
        insert into access_log (actor, action, subject, purpose, household_id, on_behalf_of)
        select $1, $2, r.subject, $3, r.household, $4
        from unnest($5::text[], $6::uuid[]) as r (subject, household)
        """,
        actor,
        action,
        purpose,
        on_behalf_of,
        [subject for subject, _ in reads],
        [household for _, household in reads],
    )


async def household_by_digest(conn: Connection, digest: bytes) -> UUID | None:
    found: UUID | None = await conn.fetchval(
        "select id from households where address_digest = $1", digest
    )
    return found


async def household_history(conn: Connection, household_id: UUID) -> list[asyncpg.Record]:
    """Every read (access log) and change (events) of the household's data, oldest first."""
    return await conn.fetch(
        """
        with history as (
            select occurred_at, actor, on_behalf_of, action, subject, purpose
            from access_log where household_id = $1
            union all
            select e.occurred_at, e.actor, null, e.kind,
                   coalesce('signal:' || e.signal_id, 'case:' || e.case_id), 'change'
            from events e
            where e.signal_id in (select id from signals where household_id = $1)
               or e.case_id in (select id from cases where household_id = $1)
        )
        select h.*, coalesce(u.email, p.name) as who
        from history h
        left join users u on h.actor = 'user:' || u.id::text
        left join partners p on h.actor = 'partner:' || p.id::text
        order by h.occurred_at, h.actor
        """,
        household_id,
    )


# --- keys -----------------------------------------------------------------------------------


async def upgrade_done(conn: Connection, name: str) -> bool:
    return bool(await conn.fetchval("select true from upgrades where name = $1", name))


async def record_upgrade(conn: Connection, name: str) -> None:
    await conn.execute(
        "insert into upgrades (name) values ($1) on conflict (name) do nothing", name
    )


async def registered_keys(conn: Connection) -> dict[int, bytes]:
    rows = await conn.fetch("select key_id, fingerprint from encryption_keys")
    return {row["key_id"]: bytes(row["fingerprint"]) for row in rows}


async def register_keys(conn: Connection, fingerprints: dict[int, bytes]) -> None:
    await conn.execute(
        """
        insert into encryption_keys (key_id, fingerprint)
        select * from unnest($1::int[], $2::bytea[]) on conflict (key_id) do nothing
        """,
        list(fingerprints),
        list(fingerprints.values()),
    )


async def unregister_keys_except(conn: Connection, kept: Sequence[int]) -> None:
    await conn.execute("delete from encryption_keys where key_id <> all($1::int[])", list(kept))


async def plain_households(conn: Connection, limit: int) -> list[asyncpg.Record]:
    """Households written before addresses were sealed (migration 0008), locked."""
    return await conn.fetch(
        "select id, postcode, house_number, house_letter, addition from households "
        "where address is null and postcode is not null limit $1 for update",
        limit,
    )


async def seal_households(
    conn: Connection, ids: Sequence[UUID], addresses: Sequence[bytes | None], digests: list[bytes]
) -> None:
    await conn.execute(
        """
        update households h set address = u.address, address_digest = u.digest,
            postcode = null, house_number = null, house_letter = '', addition = ''
        from unnest($1::uuid[], $2::bytea[], $3::bytea[]) as u (id, address, digest)
        where h.id = u.id
        """,
        list(ids),
        list(addresses),
        digests,
    )


# Rows an older version left: personal fields in plain columns (before migration 0008), arrears
# and invitations in plain columns, an unkeyed content digest, a whole routing rule (before 0016).
LEFT_BY_OLDER_VERSIONS = """
    description is not null or returned_reason is not null
    or arrears_amount is not null or arrears_since is not null or invitation_dates is not null
    or not payload_keyed
    or (routed_by ~ '^[0-9]{4}' and routed_by !~ '^[0-9]{4} -> [^ ]+$')
"""


async def plain_signals(conn: Connection, limit: int) -> list[asyncpg.Record]:
    """Signals an older version left (`LEFT_BY_OLDER_VERSIONS`), locked."""
    return await conn.fetch(
        f"""
        select id, personal, person_name, person_birth_date, description, not_informed_reason,
               client_ref, returned_reason, arrears_amount, arrears_since, invitation_dates,
               payload_digest, payload_keyed, routed_by
        from signals where {LEFT_BY_OLDER_VERSIONS}
        limit $1 for update
        """,  # noqa: S608 - a constant
        limit,
    )


async def seal_signals(
    conn: Connection,
    ids: Sequence[UUID],
    personal: Sequence[bytes | None],
    notes: Sequence[bytes | None],
    digests: Sequence[bytes],
    rules: Sequence[str | None],
) -> None:
    """Bring signals in line in one update each: sealed data in, plain columns out (the table's
    checks refuse an update of such a row that leaves any plain value behind)."""
    await conn.execute(
        """
        update signals s set personal = u.personal,
            returned_note = coalesce(u.note, s.returned_note), person_name = null,
            person_birth_date = null, description = null, not_informed_reason = null,
            client_ref = null, returned_reason = null, arrears_amount = null,
            arrears_since = null, invitation_dates = null, payload_digest = u.digest,
            payload_keyed = true, routed_by = u.rule
        from unnest($1::uuid[], $2::bytea[], $3::bytea[], $4::bytea[], $5::text[])
             as u (id, personal, note, digest, rule)
        where s.id = u.id
        """,
        list(ids),
        list(personal),
        list(notes),
        list(digests),
        list(rules),
    )


async def event_notes_after(conn: Connection, last_id: int, limit: int) -> list[asyncpg.Record]:
    """Events with a note (plain `reason` or `reason_sealed`), in id order after `last_id`."""
    return await conn.fetch(
        "select id, case_id, signal_id, data from events "
        "where (data ? 'reason' or data ? 'reason_sealed') "
        "and id > $1 order by id limit $2",
        last_id,
        limit,
    )


async def replace_event_data(
    conn: Connection, changed: Sequence[tuple[int, dict[str, Any]]]
) -> None:
    """The one change the events table allows: its notes sealed anew (migration 0010)."""
    await conn.execute(
        "update events e set data = u.data from unnest($1::bigint[], $2::jsonb[]) "
        "as u (id, data) where e.id = u.id",
        [event_id for event_id, _ in changed],
        [data for _, data in changed],
    )


async def sealed_notes(conn: Connection) -> list[str]:
    rows = await conn.fetch(
        "select data->>'reason_sealed' as note from events where data ? 'reason_sealed'"
    )
    return [row["note"] for row in rows]


async def plain_webhook_secrets(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select partner_id, secret from partner_webhooks where secret is not null"
    )


async def seal_webhook_secret(conn: Connection, partner_id: UUID, sealed: bytes) -> None:
    await conn.execute(
        "update partner_webhooks set secret_sealed = $2, secret = null where partner_id = $1",
        partner_id,
        sealed,
    )


async def plain_batches(conn: Connection) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select id, content from batches where content is not null and not content_sealed"
    )


async def seal_batch_content(conn: Connection, batch_id: UUID, sealed: bytes) -> None:
    await conn.execute(
        "update batches set content = $2, content_sealed = true where id = $1", batch_id, sealed
    )


async def blobs_not_under(
    conn: Connection, table: str, column: str, key: str, header: bytes, limit: int
) -> list[asyncpg.Record]:
    """Values of a sealed column (`table`, `column`, `key` from `SEALED_COLUMNS`) not sealed
    under the key whose header is `header`, locked."""
    return await conn.fetch(
        f"select {key} as id, {column} as blob from {table} "  # noqa: S608 - names from SEALED_COLUMNS
        f"where {column} is not null and substring({column} from 1 for {len(header)})"
        " <> $1 limit $2 for update",
        header,
        limit,
    )


async def replace_blobs(
    conn: Connection,
    table: str,
    column: str,
    key: str,
    ids: Sequence[UUID],
    blobs: Sequence[bytes],
) -> None:
    await conn.execute(
        f"update {table} t set {column} = u.blob "  # noqa: S608 - names from SEALED_COLUMNS
        f"from unnest($1::uuid[], $2::bytea[]) as u (id, blob) where t.{key} = u.id",
        list(ids),
        list(blobs),
    )


async def count_not_under(conn: Connection, table: str, column: str, header: bytes) -> int:
    left: int = await conn.fetchval(
        f"select count(*) from {table} where {column} is not null "  # noqa: S608 - names from SEALED_COLUMNS
        f"and substring({column} from 1 for {len(header)}) <> $1",
        header,
    )
    return left


# --- retention ------------------------------------------------------------------------------


async def due_for_retention(
    conn: Connection,
    kinds: Sequence[str],
    kind_days: Sequence[int],
    outcomes: Sequence[str],
    outcome_days: Sequence[int],
    default_days: int,
    no_limit: int,
    as_of: datetime,
) -> list[asyncpg.Record]:
    """Signals of cases closed longer than their period before `as_of`, locked (skipping any
    another run holds)."""
    return await conn.fetch(
        """
        select s.id, s.case_id, s.household_id, s.kind, c.outcome,
               least(coalesce(k.days, $6), coalesce(o.days, $5)) as period
        from signals s
        join cases c on c.id = s.case_id
        left join unnest($1::text[], $2::int[]) as k (kind, days) on k.kind = s.kind
        left join unnest($3::text[], $4::int[]) as o (outcome, days) on o.outcome = c.outcome
        where c.closed_at is not null and s.pseudonymised_at is null
          and c.closed_at + make_interval(
                days => least(coalesce(k.days, $6), coalesce(o.days, $5))) <= $7
        for update of s skip locked
        """,
        list(kinds),
        list(kind_days),
        list(outcomes),
        list(outcome_days),
        default_days,
        no_limit,
        as_of,
    )


async def pseudonymise(
    conn: Connection, signal_ids: Sequence[UUID], case_ids: Sequence[UUID], as_of: datetime
) -> None:
    """Remove the signals' sealed personal data and notes, and the sealed notes of their events
    (and of cases none of whose signals still holds personal data); mark each signal's event."""
    await conn.execute(
        "update signals set personal = null, returned_note = null, pseudonymised_at = $2 "
        "where id = any($1::uuid[])",
        list(signal_ids),
        as_of,
    )
    # The one change the events table allows: its sealed notes removed.
    await conn.execute(
        """
        update events set data = data - 'reason_sealed'
        where data ? 'reason_sealed'
          and (signal_id = any($1::uuid[])
               or case_id in (select c.id from cases c where c.id = any($2::uuid[])
                              and not exists (select 1 from signals s where s.case_id = c.id
                                              and s.pseudonymised_at is null)))
        """,
        list(signal_ids),
        list(case_ids),
    )
    await conn.execute(
        """
        insert into events (signal_id, kind, actor, data, occurred_at)
        select id, 'pseudonymised', 'hub', '{}'::jsonb, $2 from unnest($1::uuid[]) as id
        """,
        list(signal_ids),
        as_of,
    )


async def forget_households(conn: Connection, household_ids: Sequence[UUID]) -> set[UUID]:
    """Remove address and digest of the households no signal and no open case needs any more;
    returns those removed."""
    rows = await conn.fetch(
        """
        update households h set address = null, address_digest = null
        where h.id = any($1::uuid[]) and h.address is not null
          and not exists (select 1 from signals s where s.household_id = h.id
                          and s.pseudonymised_at is null)
          and not exists (select 1 from cases c where c.household_id = h.id
                          and c.closed_at is null)
        returning h.id
        """,
        list(household_ids),
    )
    return {row["id"] for row in rows}


async def record_retention_run(
    conn: Connection, as_of: datetime, rows: Sequence[tuple[str, str | None, int, int, int]]
) -> None:
    """(kind, outcome, period, signals, households) per group: counts, never content."""
    await conn.executemany(
        """
        insert into retention_runs (as_of, kind, outcome, period_days, signals, households)
        values ($1, $2, $3, $4, $5, $6)
        """,
        [(as_of, *row) for row in rows],
    )
