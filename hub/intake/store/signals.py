"""Signals, households and the append-only event log; bulk writes through UNNEST."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from hub.platform.connection import Connection
from hub.platform.randomness import random_uuid
from hub.privacy.crypto import keyring
from hub.privacy.sealed import (
    open_personal,
    personal_value,
    seal_address,
    seal_personal,
    unsealed,
)
from schemas.signals import SignalKind

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from decimal import Decimal
    from uuid import UUID

    import asyncpg

    from schemas.address import Address
    from schemas.signals import SignalIn

HouseholdKey = tuple[str, int, str, str]


@dataclass(frozen=True, slots=True)
class HouseholdIn:
    """A household as intake meets it: the keyed digest it is matched by, and the id and
    sealed address it gets if it is new (sealed bound to that id)."""

    key: HouseholdKey
    digest: bytes
    id: UUID
    address: bytes | None


def household_in(address: Address) -> HouseholdIn:
    """What a household's row needs, made without the database."""
    sealer = keyring()
    key = address.household_key()
    new_id = random_uuid()
    return HouseholdIn(key, sealer.address_digest(key), new_id, seal_address(address, new_id))


async def upsert_households(
    conn: Connection, households: Sequence[HouseholdIn]
) -> tuple[dict[HouseholdKey, UUID], set[UUID]]:
    """The household id of every address, created where new, and the ids created now; matched
    by the keyed address digest, with the address itself sealed."""
    by_digest: dict[bytes, HouseholdIn] = {}
    for household in households:
        by_digest.setdefault(household.digest, household)
    if not by_digest:
        return {}, set()
    chosen = [by_digest[digest] for digest in sorted(by_digest)]  # one lock order for all
    rows = await conn.fetch(
        """
        insert into households (id, address_digest, address)
        select * from unnest($1::uuid[], $2::bytea[], $3::bytea[])
        on conflict (address_digest) do update set address_digest = excluded.address_digest
        returning id, address_digest, xmax = 0 as created
        """,
        [household.id for household in chosen],
        [household.digest for household in chosen],
        [household.address for household in chosen],
    )
    ids = {by_digest[bytes(row["address_digest"])].key: row["id"] for row in rows}
    return ids, {row["id"] for row in rows if row["created"]}


_RECEIPT = """
    s.id, s.status, coalesce(s.status_at, s.received_at) as status_at, s.received_at,
    s.payload_digest, s.external_ref, s.kind, s.urgency, s.repeat_of, t.code as team_code,
    t.name as team_name
"""


async def signals_by_refs(
    conn: Connection, partner_id: UUID, external_refs: Sequence[str]
) -> list[asyncpg.Record]:
    return await conn.fetch(
        f"select {_RECEIPT} from signals s left join teams t on t.id = s.team_id "  # noqa: S608 - constant columns
        "where s.partner_id = $1 and s.external_ref = any($2::text[])",
        partner_id,
        list(external_refs),
    )


async def partner_signal(
    conn: Connection, partner_id: UUID, signal_id: UUID
) -> asyncpg.Record | None:
    """A signal of this partner's; another partner's is as absent as one that never was."""
    return await conn.fetchrow(
        f"select {_RECEIPT} from signals s left join teams t on t.id = s.team_id "  # noqa: S608 - constant columns
        "where s.partner_id = $1 and s.id = $2",
        partner_id,
        signal_id,
    )


async def partner_signals(
    conn: Connection,
    partner_id: UUID,
    limit: int,
    before: tuple[datetime, UUID] | None = None,
    ref: str | None = None,
) -> list[asyncpg.Record]:
    """The partner's own signals, newest first: those before `before` (received_at, id), and
    with `ref` those whose reference starts with it (letters in any case)."""
    return await conn.fetch(
        f"select {_RECEIPT} from signals s left join teams t on t.id = s.team_id "  # noqa: S608 - constant columns
        "where s.partner_id = $1 "
        "and ($3::timestamptz is null or (s.received_at, s.id) < ($3, $4::uuid)) "
        "and ($5::text is null or lower(s.external_ref) like lower($5) || '%' escape '\\') "
        "order by s.received_at desc, s.id desc limit $2",
        partner_id,
        limit,
        before[0] if before else None,
        before[1] if before else None,
        ref.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") if ref else None,
    )


async def latest_signals_for(
    conn: Connection,
    partner_id: UUID,
    household_kinds: Sequence[tuple[UUID, str]],
    since: datetime,
) -> dict[tuple[UUID, str], tuple[UUID, Decimal | None]]:
    """Per (household, kind): the original signal of the partner's latest one since `since`,
    and the arrears amount of that latest one (opened from its sealed personal data)."""
    if not household_kinds:
        return {}
    pairs = sorted(set(household_kinds))
    # The latest one per pair, one index step each (signals_repeat_lookup): a household a list
    # names month after month, or thousands of times in one file, costs no more to look up.
    rows = await conn.fetch(
        """
        select latest.id, wanted.household_id, wanted.kind, latest.original, latest.personal
        from unnest($2::uuid[], $3::text[]) as wanted (household_id, kind)
        cross join lateral (
            select s.id, coalesce(s.repeat_of, s.id) as original, s.personal
            from signals s
            where s.partner_id = $1 and s.household_id = wanted.household_id
              and s.kind = wanted.kind and s.received_at >= $4
            order by s.received_at desc
            limit 1
        ) latest
        """,
        partner_id,
        [household for household, _ in pairs],
        [kind for _, kind in pairs],
        since,
    )
    return {
        (row["household_id"], row["kind"]): (
            row["original"],
            open_personal(row["personal"], row["id"])["arrears_amount"],
        )
        for row in rows
    }


@dataclass(frozen=True)
class NewSignal:
    id: UUID  # made before it is stored, so its personal data is sealed bound to its row
    signal: SignalIn
    payload_digest: bytes
    personal: bytes | None  # sealed, bound to `id`
    household_id: UUID
    team_id: int | None
    routed_by: str | None
    repeat_of: UUID | None
    case_id: UUID | None
    status: str


async def insert_signals(
    conn: Connection,
    partner_id: UUID,
    rows: Sequence[NewSignal],
    received_at: datetime,
    batch_id: UUID | None,
) -> list[NewSignal]:
    """Store signals in one statement; returns the rows stored now (a reference that exists
    already, e.g. a concurrent twin's, is skipped; a second statement then says which)."""
    if not rows:
        return []

    def column(pick: Any) -> list[Any]:
        return [pick(row) for row in rows]

    # The ids are made before: the answer is how many were stored (one value, not a record a
    # row), and only when some were skipped, which.
    stored = await conn.fetchval(
        """
        with stored as (
            insert into signals (id, partner_id, external_ref, payload_digest, kind, urgency,
                                 household_id, personal, resident_informed, status, team_id,
                                 routed_by, repeat_of, batch_id, received_at, case_id)
            select r.id, $1, r.ref, r.digest, r.kind, r.urgency, r.household, r.personal,
                   r.informed, r.status, r.team, r.rule, r.repeat_of, $12, $13, r.case_id
            from unnest($2::text[], $3::bytea[], $4::text[], $5::text[], $6::uuid[],
                        $7::bytea[], $8::bool[], $9::bigint[], $10::text[], $11::uuid[],
                        $14::text[], $15::uuid[], $16::uuid[])
                 as r (ref, digest, kind, urgency, household, personal, informed, team, rule,
                       repeat_of, status, case_id, id)
            on conflict (partner_id, external_ref) do nothing
            returning 1
        )
        select count(*) from stored
        """,
        partner_id,
        column(lambda r: r.signal.external_ref),
        column(lambda r: r.payload_digest),
        column(lambda r: r.signal.kind.value),
        column(lambda r: r.signal.urgency.value),
        column(lambda r: r.household_id),
        column(lambda r: r.personal),
        column(lambda r: r.signal.resident_informed.informed),
        column(lambda r: r.team_id),
        column(lambda r: r.routed_by),
        column(lambda r: r.repeat_of),
        batch_id,
        received_at,
        column(lambda r: r.status),
        column(lambda r: r.case_id),
        column(lambda r: r.id),
    )
    if stored == len(rows):
        return list(rows)
    found = await conn.fetch(
        "select id from signals where id = any($1::uuid[])", [row.id for row in rows]
    )
    ids = {record["id"] for record in found}
    return [row for row in rows if row.id in ids]


def sealed_personal(signal: SignalIn, signal_id: UUID) -> bytes | None:
    """A signal's personal data, sealed bound to its row."""
    return seal_personal(_personal(signal), signal_id)


def _personal(signal: SignalIn) -> dict[str, Any]:
    person = signal.person
    return personal_value(
        person.name if person else None,
        person.birth_date if person else None,
        signal.description,
        signal.resident_informed.reason,
        signal.non_response.client_ref if signal.non_response else None,
        signal.arrears.amount_eur if signal.arrears else None,
        signal.arrears.since if signal.arrears else None,
        signal.non_response.invitations if signal.non_response else (),
        early_debt(signal),
        coding=signal.coding.model_dump() if signal.coding else None,
    )


def early_debt(signal: SignalIn) -> dict[str, Any] | None:
    """An early-debt signal's facts beyond its amount, for the sealed personal value."""
    arrears = signal.arrears
    if arrears is None or signal.kind is not SignalKind.PAYMENT_ARREARS:
        return None
    return {
        "creditor": arrears.creditor.value if arrears.creditor else None,
        "signalled_on": arrears.signalled_on.isoformat() if arrears.signalled_on else None,
        "crisis": arrears.crisis,
        "ends_on": arrears.ends_on.isoformat() if arrears.ends_on else None,
        "warm_handover": arrears.warm_handover,
    }


async def team_signals(
    conn: Connection,
    team_id: int,
    limit: int,
    before: tuple[datetime, UUID] | None,
) -> list[dict[str, Any]]:
    """The team's signals, newest first, keyset-paged: those older than `before`."""
    rows = await conn.fetch(
        """
        select s.id, s.household_id, s.kind, s.urgency, s.personal, s.resident_informed,
               s.received_at, h.address,
               p.name as partner_name, p.kind as partner_kind
        from signals s
        join households h on h.id = s.household_id
        join partners p on p.id = s.partner_id
        where s.team_id = $1
          and ($2::timestamptz is null or (s.received_at, s.id) < ($2, $3::uuid))
        order by s.received_at desc, s.id desc
        limit $4
        """,
        team_id,
        before[0] if before else None,
        before[1] if before else None,
        limit,
    )
    return [unsealed(row) for row in rows]
