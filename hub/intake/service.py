"""Intake: partners' signals are checked, routed and stored in one transaction.

Every channel (API, group commit, web form, FHIR, CSV batch, the demo) comes in through
`store_signals`, which holds every rule of intake: which kinds a partner may send, idempotency
on (partner, external_ref), routing, the household and its open case, repeats, obligations,
events and the mail to teams. Callers answer the partner only after the transaction commits:
what was acknowledged is never lost. One signal is a batch of one.
"""

from __future__ import annotations

import hashlib
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hub.cases.service import after_intake, open_cases_for, record_intake_events
from hub.cases.workflow import ON_ARRIVAL
from hub.directory.service import list_teams
from hub.feedback.obligations import on_signals_stored
from hub.intake.store import signals as signal_store
from hub.platform.clock import local_day
from hub.platform.db import transaction_time
from hub.platform.errors import Conflict, InvalidFields
from hub.platform.metrics import INTAKE_SECONDS, SIGNALS
from hub.platform.randomness import random_uuid
from hub.privacy.sealed import keyed_payload_digest
from hub.routing.service import route_all
from schemas.early_debt import CREDITORS
from schemas.signals import (
    PartnerKind,
    SignalIn,
    SignalKind,
    SignalReceipt,
    SignalStatus,
    TeamRef,
    kinds_for,
)

if TYPE_CHECKING:
    import asyncpg

    from hub.directory.models import Partner
    from hub.platform.config import Settings
    from hub.platform.connection import Connection

DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"


@dataclass(frozen=True)
class IntakePolicy:
    """What intake decides by configuration."""

    repeat_window: timedelta = timedelta(days=90)
    stacking_window: timedelta = timedelta(days=90)


DEFAULT_POLICY = IntakePolicy()


def policy_of(settings: Settings) -> IntakePolicy:
    return IntakePolicy(
        repeat_window=timedelta(days=settings.repeat_window_days),
        stacking_window=timedelta(days=settings.stacking_window_days),
    )


@dataclass(frozen=True)
class Submitted:
    receipt: SignalReceipt
    created: bool


# What a signal that was not stored gets instead of a receipt: a reference used before for
# other content (409), or a kind its partner may not send (422, `loc` ["kind"]).
Refusal = Conflict | InvalidFields


def kind_refusal(partner_kind: PartnerKind, kind: SignalKind) -> str | None:
    """Why a partner of `partner_kind` may not send a signal of `kind`; None if it may."""
    allowed = kinds_for(partner_kind)
    if kind in allowed:
        return None
    return f"a {partner_kind.value} partner can signal: " + ", ".join(
        sorted(k.value for k in allowed)
    )


def early_debt_refusal(partner_kind: PartnerKind, signal: SignalIn) -> tuple[list[str], str] | None:
    """Why an early-debt signal cannot be taken, with the field at fault; None if it can.

    A payment-arrears signal carries its arrears; a collection system names the creditor of
    each signal; a creditor signals only its own arrears."""
    arrears = signal.arrears
    if signal.kind is SignalKind.PAYMENT_ARREARS and arrears is None:
        return ["arrears"], "a payment-arrears signal needs its arrears (at least amount_eur)"
    if signal.kind is SignalKind.PAYMENT_ARREARS and arrears and arrears.amount_eur <= 0:
        return ["arrears", "amount_eur"], "a payment-arrears signal is about arrears above zero"
    if arrears is None:
        return None
    creditor = arrears.creditor
    if creditor is not None and creditor not in CREDITORS:
        return ["arrears", "creditor"], "not a creditor: use one of " + ", ".join(
            sorted(kind.value for kind in CREDITORS)
        )
    if partner_kind is PartnerKind.COLLECTION_SYSTEM:
        if signal.kind is SignalKind.PAYMENT_ARREARS and creditor is None:
            return ["arrears", "creditor"], "name the creditor of each signal (signaalpartner)"
    elif creditor is not None and creditor is not partner_kind:
        return ["arrears", "creditor"], "a creditor signals its own arrears only"
    return None


def creditor_of(partner_kind: PartnerKind, signal: SignalIn) -> PartnerKind | None:
    """The creditor behind an early-debt signal: as named, else its own sender's kind."""
    if signal.arrears is None:
        return None
    if signal.arrears.creditor is not None:
        return signal.arrears.creditor
    return partner_kind if partner_kind in CREDITORS else None


# Fields of SignalIn added after its first release (see payload_digest), and of its arrears
# (the early-debt facts), with the value that means "not given".
ADDED_FIELDS = ("coding",)
ADDED_ARREARS_FIELDS: dict[str, object] = {
    "creditor": None,
    "signalled_on": None,
    "crisis": False,
    "ends_on": None,
    "warm_handover": False,
}


def payload_digest(signal: SignalIn) -> bytes:
    """What makes a resubmission 'the same': the validated, normalised content, hashed with the
    index key (an unkeyed hash of a name and an address can be reversed by trying them all).
    A field added since signals were first stored counts only when set, so that a signal sent
    again after an upgrade is still the same."""
    unset: dict[str, Any] = {name: True for name in ADDED_FIELDS if getattr(signal, name) is None}
    if signal.arrears is not None:
        plain = {
            name
            for name, nothing in ADDED_ARREARS_FIELDS.items()
            if getattr(signal.arrears, name) == nothing
        }
        if plain:
            unset["arrears"] = plain
    content = signal.model_dump_json(exclude=unset or None)
    return keyed_payload_digest(hashlib.sha256(content.encode()).digest())


def receipt_from_row(row: asyncpg.Record) -> SignalReceipt:
    team = TeamRef(code=row["team_code"], name=row["team_name"]) if row["team_code"] else None
    return SignalReceipt(
        id=row["id"],
        status=SignalStatus(row["status"]),
        team=team,
        received_at=row["received_at"],
        repeat_of=row["repeat_of"],
    )


def reference_conflict(reference: str) -> Conflict:
    return Conflict(
        f"reference {reference!r} was used before for a different signal",
        errors=[{"loc": ["external_ref"], "msg": "already used for a different signal"}],
    )


def _is_repeat(signal: SignalIn, earlier_amount: object) -> bool:
    """A repeat, unless the arrears grew since the earlier signal."""
    if signal.arrears is None or earlier_amount is None:
        return True
    return signal.arrears.amount_eur <= earlier_amount  # type: ignore[operator]


@dataclass(frozen=True, slots=True)
class Prepared:
    """What intake makes of a signal without the database: its row's id, its content digest,
    its personal data sealed bound to that id, and its household's digest and sealed address.
    A batch prepares the next chunk's signals while the database stores this chunk's."""

    signal: SignalIn
    id: UUID
    payload_digest: bytes
    personal: bytes | None
    household: signal_store.HouseholdIn


def prepare(signal: SignalIn) -> Prepared:
    signal_id = random_uuid()
    return Prepared(
        signal,
        signal_id,
        payload_digest(signal),
        signal_store.sealed_personal(signal, signal_id),
        signal_store.household_in(signal.address),
    )


async def store_signals(
    conn: Connection,
    partner: Partner,
    signals: Sequence[SignalIn | Prepared],
    *,
    received_at: datetime | None = None,
    batch_id: UUID | None = None,
    policy: IntakePolicy = DEFAULT_POLICY,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> list[Submitted | Refusal]:
    """Route and store signals of one partner in the caller's transaction, in bulk; one result
    per signal, in order.

    Idempotent on (partner, external_ref): a signal sent before with the same content gives its
    first receipt; with other content, a Conflict in its place. A kind the partner may not send
    gives InvalidFields in its place, and nothing is stored for it.
    """
    now = received_at or await transaction_time(conn)
    items = [item if isinstance(item, Prepared) else prepare(item) for item in signals]
    refused: dict[int, InvalidFields] = {}
    for index, signal in enumerate(item.signal for item in items):
        problem = kind_refusal(partner.kind, signal.kind)
        if problem:
            refused[index] = InvalidFields(problem, errors=[{"loc": ["kind"], "msg": problem}])
            continue
        found = early_debt_refusal(partner.kind, signal)
        if found:
            loc, message = found
            refused[index] = InvalidFields(message, errors=[{"loc": loc, "msg": message}])
    taken_items = [item for index, item in enumerate(items) if index not in refused]
    taken = [item.signal for item in taken_items]
    digests = [item.payload_digest for item in taken_items]
    known = {
        row["external_ref"]
        for row in await signal_store.signals_by_refs(
            conn, partner.id, [s.external_ref for s in taken]
        )
    }
    fresh: dict[str, Prepared] = {}
    for item in taken_items:
        if item.signal.external_ref not in known:
            # A twin within the call: the first wins.
            fresh.setdefault(item.signal.external_ref, item)
    new_items = list(fresh.values())
    new = [item.signal for item in new_items]

    rules = await route_all(conn, [s.address for s in new], local_day(now))
    teams = {team.code: team for team in await list_teams(conn)}
    households, new_households = await signal_store.upsert_households(
        conn, [item.household for item in new_items]
    )
    household_of = [households[s.address.household_key()] for s in new]
    team_of = [teams[rule.team_code].id if rule else None for rule in rules]
    # A household seen for the first time has no earlier signal to repeat.
    earlier = await signal_store.latest_signals_for(
        conn,
        partner.id,
        [
            (household, s.kind.value)
            for s, household in zip(new, household_of, strict=True)
            if household not in new_households
        ],
        since=now - policy.repeat_window,
    )
    wanted: dict[tuple[UUID, int], bool] = {}
    for signal, household, team_id in zip(new, household_of, team_of, strict=True):
        if team_id is not None:
            key = (household, team_id)
            wanted[key] = wanted.get(key, False) or signal.urgency.value == "high"
    cases = await open_cases_for(conn, wanted, now)
    rows = []
    for item, rule, household, team_id in zip(new_items, rules, household_of, team_of, strict=True):
        signal = item.signal
        previous = earlier.get((household, signal.kind.value))
        case = cases[household, team_id] if team_id is not None else None
        rows.append(
            signal_store.NewSignal(
                id=item.id,
                signal=signal,
                payload_digest=item.payload_digest,
                personal=item.personal,
                household_id=household,
                team_id=team_id,
                routed_by=rule.area() if rule else None,
                repeat_of=previous[0] if previous and _is_repeat(signal, previous[1]) else None,
                case_id=case.id if case else None,
                # Whatever the case it joins: what a partner is told depends only on what
                # happened since its own signal arrived.
                status=(ON_ARRIVAL if case else SignalStatus.UNROUTED).value,
            )
        )
    stored = await signal_store.insert_signals(conn, partner.id, rows, now, batch_id)
    code_of = {team.id: team.code for team in teams.values()}
    await record_intake_events(
        conn,
        f"partner:{partner.id}",
        [
            (
                row.id,
                row.signal.kind.value,
                "repeat" if row.repeat_of else "routed" if row.team_id else "unrouted",
                row.routed_by,
                code_of[row.team_id] if row.team_id else None,
                row.repeat_of,
            )
            for row in stored
        ],
        now,
    )
    await after_intake(
        conn,
        list(cases.values()),
        {row.case_id for row in stored if row.case_id},
        policy.stacking_window,
        public_url,
        # A case opened now for a household first seen now holds only this call's signals:
        # no other partner's to stack with, and the urgency it was opened with.
        as_opened={
            case.id
            for (household, _), case in cases.items()
            if case.created and household in new_households
        },
    )
    await on_signals_stored(
        conn,
        [(row.id, partner.id, partner.kind.value, row.team_id) for row in stored],
        now,
        # A creditor's announced cut-off or eviction: first contact comes before that day.
        contact_before={
            row.id: row.signal.arrears.ends_on
            for row in stored
            if row.signal.arrears and row.signal.arrears.ends_on
        },
    )

    receipts: dict[str, tuple[SignalReceipt, bytes]] = {}
    team_refs = {team.id: TeamRef(code=team.code, name=team.name) for team in teams.values()}
    for row in stored:
        # From a dict: pydantic-core validates one in half the time `model_construct` takes
        # in Python (a batch makes thousands).
        receipt = SignalReceipt.model_validate(
            {
                "id": row.id,
                "status": row.status,
                "team": team_refs[row.team_id] if row.team_id else None,
                "received_at": now,
                "repeat_of": row.repeat_of,
            }
        )
        receipts[row.signal.external_ref] = (receipt, row.payload_digest)
    stored_now = {row.signal.external_ref for row in stored}
    missing = [s.external_ref for s in taken if s.external_ref not in receipts]
    if missing:  # sent before, or a concurrent twin's
        for record in await signal_store.signals_by_refs(conn, partner.id, missing):
            receipts[record["external_ref"]] = (
                receipt_from_row(record),
                bytes(record["payload_digest"]),
            )
    results: list[Submitted | Refusal] = []
    announced: set[str] = set()
    remaining = iter(zip(taken, digests, strict=True))
    for index in range(len(signals)):
        if index in refused:
            results.append(refused[index])
            continue
        signal, digest = next(remaining)
        receipt, stored_digest = receipts[signal.external_ref]
        if stored_digest != digest:
            results.append(reference_conflict(signal.external_ref))
            continue
        created = signal.external_ref in stored_now and signal.external_ref not in announced
        announced.add(signal.external_ref)
        results.append(Submitted(receipt, created=created))
    return results


def record_intake(
    channel: str,
    partner_kind: PartnerKind,
    results: Sequence[Submitted | Refusal],
    seconds: float | None = None,
) -> None:
    """Count committed signals (call after the commit) and, for one request, its duration."""
    taken = Counter(
        "repeat" if result.receipt.repeat_of else result.receipt.status.value
        for result in results
        if isinstance(result, Submitted) and result.created
    )
    for routing, count in taken.items():
        SIGNALS.labels(channel, partner_kind.value, routing).inc(count)
    if seconds is not None:
        INTAKE_SECONDS.labels(channel, partner_kind.value).observe(seconds)


async def submit_signal(
    pool: asyncpg.Pool,
    partner: Partner,
    signal: SignalIn,
    *,
    received_at: datetime | None = None,
    policy: IntakePolicy = DEFAULT_POLICY,
    public_url: str = DEFAULT_PUBLIC_URL,
    channel: str = "api",
) -> Submitted:
    """Route and store one signal in a transaction of its own; raises its Refusal."""
    started = time.monotonic()
    async with pool.acquire() as conn, conn.transaction():
        (result,) = await store_signals(
            conn, partner, [signal], received_at=received_at, policy=policy, public_url=public_url
        )
    if not isinstance(result, Submitted):
        raise result
    record_intake(channel, partner.kind, [result], time.monotonic() - started)
    return result
