"""Intake: partners' signals are checked, routed and stored in one transaction.

Callers answer the partner only after the transaction commits: what was acknowledged is never
lost. Every channel (API, FHIR, CSV batch, web form) ends here; one signal is a batch of one.
"""

from __future__ import annotations

import hashlib
import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from uuid import UUID

from hub.errors import Conflict, InvalidFields
from hub.feedback import on_signals_stored
from hub.mail import mail_for_new_signals
from hub.metrics import record_intake
from hub.routing import choose_rule
from hub.store import cases as case_store
from hub.store import routing as routing_store
from hub.store import signals as signal_store
from hub.store import teams as team_store
from hub.workdays import LOCAL_TIME
from schemas.signals import SignalIn, SignalReceipt, SignalStatus, TeamRef, kinds_for

if TYPE_CHECKING:
    from collections.abc import Sequence

    import asyncpg

    from hub.config import Settings
    from hub.store import Connection
    from hub.store.partners import Partner
    from schemas.routing import RoutingRule


@dataclass(frozen=True)
class IntakePolicy:
    """What intake decides by configuration."""

    repeat_window: timedelta = timedelta(days=90)
    stacking_window: timedelta = timedelta(days=90)
    public_url: str = "http://127.0.0.1:8080"


DEFAULT_POLICY = IntakePolicy()


def policy_of(settings: Settings) -> IntakePolicy:
    return IntakePolicy(
        repeat_window=timedelta(days=settings.repeat_window_days),
        stacking_window=timedelta(days=settings.stacking_window_days),
        public_url=settings.public_url or f"http://{settings.host}:{settings.port}",
    )


@dataclass(frozen=True)
class Submitted:
    receipt: SignalReceipt
    created: bool


def payload_digest(signal: SignalIn) -> bytes:
    """What makes a resubmission 'the same': the validated, normalised content."""
    return hashlib.sha256(signal.model_dump_json().encode()).digest()


def receipt_from_row(row: asyncpg.Record) -> SignalReceipt:
    team = TeamRef(code=row["team_code"], name=row["team_name"]) if row["team_code"] else None
    return SignalReceipt(
        id=row["id"],
        status=SignalStatus(row["status"]),
        team=team,
        received_at=row["received_at"],
        repeat_of=row["repeat_of"],
    )


def kind_error(partner: Partner, signal: SignalIn) -> str | None:
    allowed = kinds_for(partner.kind)
    if signal.kind in allowed:
        return None
    return f"a {partner.kind.value} partner can signal: " + ", ".join(
        sorted(kind.value for kind in allowed)
    )


def reference_conflict(reference: str) -> Conflict:
    return Conflict(
        f"reference {reference!r} was used before for a different signal",
        errors=[{"loc": ["external_ref"], "msg": "already used for a different signal"}],
    )


async def route_all(
    conn: Connection, signals: Sequence[SignalIn], now: datetime
) -> list[RoutingRule | None]:
    """The rule for each signal's address, consulting only the rules of the postcodes present."""
    postcodes = {s.address.postcode for s in signals} | {s.address.postcode[:4] for s in signals}
    by_postcode: dict[str, list[RoutingRule]] = defaultdict(list)
    for rule in await routing_store.candidate_rules(conn, sorted(postcodes)):
        by_postcode[rule.postcode].append(rule)
    day = now.astimezone(LOCAL_TIME).date()
    chosen = []
    for signal in signals:
        postcode = signal.address.postcode
        candidates = by_postcode.get(postcode, []) + by_postcode.get(postcode[:4], [])
        chosen.append(choose_rule(candidates, postcode, signal.address.house_number, day))
    return chosen


def _is_repeat(signal: SignalIn, earlier_amount: object) -> bool:
    """A repeat, unless the arrears grew since the earlier signal."""
    if signal.arrears is None or earlier_amount is None:
        return True
    return signal.arrears.amount_eur <= earlier_amount  # type: ignore[operator]


async def store_signals(
    conn: Connection,
    partner: Partner,
    signals: Sequence[SignalIn],
    *,
    received_at: datetime | None = None,
    batch_id: UUID | None = None,
    policy: IntakePolicy = DEFAULT_POLICY,
) -> list[Submitted | Conflict]:
    """Route and store signals of one partner in the caller's transaction, in bulk.

    Idempotent on (partner, external_ref): a signal sent before with the same content gives its
    first receipt; with other content, a Conflict in its place. Kinds must be checked before.
    """
    now: datetime = received_at or await conn.fetchval("select now()")
    digests = [payload_digest(signal) for signal in signals]
    first_digest: dict[str, bytes] = {}
    for signal, digest in zip(signals, digests, strict=True):
        first_digest.setdefault(signal.external_ref, digest)
    known = {
        row["external_ref"]
        for row in await signal_store.signals_by_refs(
            conn, partner.id, [s.external_ref for s in signals]
        )
    }
    fresh: dict[str, SignalIn] = {}
    for signal in signals:
        if signal.external_ref not in known:
            fresh.setdefault(signal.external_ref, signal)  # a twin within the call: first wins
    new = list(fresh.values())

    rules = await route_all(conn, new, now)
    teams = {team.code: team for team in await team_store.list_teams(conn)}
    households, new_households = await signal_store.upsert_households(
        conn, [s.address for s in new]
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
    cases = await case_store.open_cases_for(conn, wanted, now)
    rows = []
    for signal, rule, household, team_id in zip(new, rules, household_of, team_of, strict=True):
        previous = earlier.get((household, signal.kind.value))
        case = cases[household, team_id] if team_id is not None else None
        rows.append(
            signal_store.NewSignal(
                signal=signal,
                payload_sha256=first_digest[signal.external_ref],
                household_id=household,
                team_id=team_id,
                routed_by=rule.describe() if rule else None,
                repeat_of=previous[0] if previous and _is_repeat(signal, previous[1]) else None,
                case_id=case.id if case else None,
                status=case.signal_status if case else SignalStatus.UNROUTED.value,
            )
        )
    inserted = await signal_store.insert_signals(conn, partner.id, rows, now, batch_id)
    if len(inserted) < len(rows):  # a concurrent twin committed first: its case is not ours
        await case_store.drop_empty_cases(conn, [case.id for case in cases.values() if case.opened])
    team_by_id = {team.id: team for team in teams.values()}
    actor = f"partner:{partner.id}"
    events = []
    for row in rows:
        signal_id = inserted.get(row.signal.external_ref)
        if signal_id is None:
            continue
        outcome = "repeat" if row.repeat_of else "routed" if row.team_id else "unrouted"
        detail: dict[str, Any] = (
            {"rule": row.routed_by, "team": team_by_id[row.team_id].code} if row.team_id else {}
        )
        if row.repeat_of:
            detail["repeat_of"] = str(row.repeat_of)
        events.append((signal_id, "received", actor, {"kind": row.signal.kind.value}))
        events.append((signal_id, outcome, "hub", detail))
    await signal_store.append_events(conn, events, now)
    # A case opened now holds only this partner's signals: nothing to stack, urgency is set.
    await case_store.refresh_cases(
        conn,
        sorted({case.id for case in cases.values() if not case.opened}),
        policy.stacking_window,
    )
    await on_signals_stored(
        conn,
        [
            (inserted[r.signal.external_ref], partner.id, partner.kind.value, r.team_id)
            for r in rows
            if r.signal.external_ref in inserted
        ],
        now,
    )
    stored_cases = {r.case_id for r in rows if r.signal.external_ref in inserted}
    await mail_for_new_signals(
        conn,
        opened=sorted(c.id for c in cases.values() if c.opened and c.id in stored_cases),
        joined=sorted(
            c.id for c in cases.values() if not c.opened and c.director_id and c.id in stored_cases
        ),
        public_url=policy.public_url,
    )

    receipts: dict[str, tuple[SignalReceipt, bytes]] = {}
    for row in rows:
        signal_id = inserted.get(row.signal.external_ref)
        if signal_id is not None:
            team = team_by_id[row.team_id] if row.team_id else None
            receipt = SignalReceipt(
                id=signal_id,
                status=SignalStatus(row.status),
                team=TeamRef(code=team.code, name=team.name) if team else None,
                received_at=now,
                repeat_of=row.repeat_of,
            )
            receipts[row.signal.external_ref] = (receipt, row.payload_sha256)
    missing = [s.external_ref for s in signals if s.external_ref not in receipts]
    if missing:  # sent before, or a concurrent twin's
        for record in await signal_store.signals_by_refs(conn, partner.id, missing):
            receipts[record["external_ref"]] = (
                receipt_from_row(record),
                bytes(record["payload_sha256"]),
            )
    results: list[Submitted | Conflict] = []
    announced: set[str] = set()
    for signal, digest in zip(signals, digests, strict=True):
        receipt, stored_digest = receipts[signal.external_ref]
        if stored_digest != digest:
            results.append(reference_conflict(signal.external_ref))
            continue
        created = signal.external_ref in inserted and signal.external_ref not in announced
        announced.add(signal.external_ref)
        results.append(Submitted(receipt, created=created))
    return results


async def submit_signal(
    pool: asyncpg.Pool,
    partner: Partner,
    signal: SignalIn,
    *,
    received_at: datetime | None = None,
    policy: IntakePolicy = DEFAULT_POLICY,
    channel: str = "api",
) -> Submitted:
    """Route and store one signal; raises InvalidFields for a kind not the partner's and
    Conflict for a reference used before for other content."""
    started = time.monotonic()
    problem = kind_error(partner, signal)
    if problem:
        raise InvalidFields(problem, errors=[{"loc": ["kind"], "msg": problem}])
    async with pool.acquire() as conn, conn.transaction():
        (result,) = await store_signals(
            conn, partner, [signal], received_at=received_at, policy=policy
        )
    if isinstance(result, Conflict):
        raise result
    record_intake(channel, partner.kind.value, [result], time.monotonic() - started)
    return result
