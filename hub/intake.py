"""Intake: a partner's signal is checked, routed and stored in one transaction.

The caller answers the partner only after `submit_signal` returns, that is after the commit:
what was acknowledged is never lost. Every channel (API, FHIR, CSV, web form) ends here.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

import asyncpg

from hub.errors import Conflict, InvalidFields
from hub.routing import choose_rule
from hub.store import Connection
from hub.store import routing as routing_store
from hub.store import signals as signal_store
from hub.store import teams as team_store
from hub.store.partners import Partner
from schemas.signals import SignalIn, SignalReceipt, SignalStatus, TeamRef, kinds_for

LOCAL_TIME = ZoneInfo("Europe/Amsterdam")


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
        id=row["id"], status=SignalStatus(row["status"]), team=team, received_at=row["received_at"]
    )


def check_kind(partner: Partner, signal: SignalIn) -> None:
    allowed = kinds_for(partner.kind)
    if signal.kind not in allowed:
        names = ", ".join(sorted(kind.value for kind in allowed))
        message = f"a {partner.kind.value} partner can signal: {names}"
        raise InvalidFields(message, errors=[{"loc": ["kind"], "msg": message}])


async def _existing(
    conn: Connection, partner: Partner, signal: SignalIn, digest: bytes
) -> Submitted | None:
    row = await signal_store.signal_by_ref(conn, partner.id, signal.external_ref)
    if row is None:
        return None
    if row["payload_sha256"] != digest:
        raise Conflict(
            f"reference {signal.external_ref!r} was used before for a different signal",
            errors=[{"loc": ["external_ref"], "msg": "already used for a different signal"}],
        )
    return Submitted(receipt_from_row(row), created=False)


async def submit_signal(
    pool: asyncpg.Pool, partner: Partner, signal: SignalIn, *, received_at: datetime | None = None
) -> Submitted:
    """Route and store a signal, idempotent on (partner, external_ref).

    The same payload again returns the first receipt; the same reference with another payload
    raises Conflict. `received_at` is for loading history; normally the database's clock is used.
    """
    check_kind(partner, signal)
    digest = payload_digest(signal)
    async with pool.acquire() as conn, conn.transaction():
        existing = await _existing(conn, partner, signal, digest)
        if existing is not None:
            return existing
        now = received_at or await conn.fetchval("select now()")
        address = signal.address
        rule = choose_rule(
            await routing_store.candidate_rules(conn, address.postcode),
            address.postcode,
            address.house_number,
            now.astimezone(LOCAL_TIME).date(),
        )
        team = await team_store.team_by_code(conn, rule.team_code) if rule else None
        household_id = await signal_store.upsert_household(conn, address)
        signal_id = await signal_store.insert_signal(
            conn,
            partner_id=partner.id,
            signal=signal,
            payload_sha256=digest,
            household_id=household_id,
            team_id=team.id if team else None,
            routed_by=rule.describe() if rule else None,
            received_at=now,
        )
        if signal_id is None:
            # A concurrent request with the same reference committed first.
            raced = await _existing(conn, partner, signal, digest)
            if raced is None:
                raise RuntimeError("signal reference conflicted but no signal was found")
            return raced
        actor = f"partner:{partner.id}"
        await signal_store.append_event(
            conn, signal_id, "received", actor, {"kind": signal.kind.value}, now
        )
        await signal_store.append_event(
            conn,
            signal_id,
            "routed" if team else "unrouted",
            "hub",
            {"team": team.code, "rule": rule.describe()} if team and rule else {},
            now,
        )
    receipt = SignalReceipt(
        id=signal_id,
        status=SignalStatus.ROUTED if team else SignalStatus.UNROUTED,
        team=TeamRef(code=team.code, name=team.name) if team else None,
        received_at=now,
    )
    return Submitted(receipt, created=True)
