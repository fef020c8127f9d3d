"""Reading signals back: a partner its own, an administrator a team's (each read of personal
data logged)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import asyncpg

from hub.directory.models import Partner
from hub.directory.service import find_team
from hub.feedback.obligations import promised_feedback
from hub.intake.service import receipt_from_row
from hub.intake.store import signals as signal_store
from hub.platform.errors import InvalidFields, NotFound
from hub.privacy.audit import log_access
from schemas.address import Address
from schemas.signals import (
    PartnerKind,
    PartnerSignalView,
    Person,
    PromisedFeedback,
    ResidentInformed,
    SignalKind,
    TeamSignalPage,
    TeamSignalView,
    Urgency,
)


def _partner_view(
    row: asyncpg.Record, feedback: list[PromisedFeedback] | None = None
) -> PartnerSignalView:
    return PartnerSignalView(
        **receipt_from_row(row).model_dump(),
        external_ref=row["external_ref"],
        kind=SignalKind(row["kind"]),
        urgency=Urgency(row["urgency"]),
        status_at=row["status_at"],
        feedback=feedback,
    )


async def partner_signal(
    pool: asyncpg.Pool, partner: Partner, signal_id: UUID
) -> PartnerSignalView:
    async with pool.acquire() as conn:
        row = await signal_store.partner_signal(conn, partner.id, signal_id)
        if row is None:
            raise NotFound("no such signal")
        return _partner_view(row, await promised_feedback(conn, signal_id))


async def partner_signals(
    pool: asyncpg.Pool,
    partner: Partner,
    limit: int = 50,
    *,
    cursor: str | None = None,
    ref: str | None = None,
) -> tuple[list[PartnerSignalView], str | None]:
    """A page of the partner's own signals, newest first (with `ref`: those whose reference
    starts with it), and the cursor of the next page (None on the last)."""
    before = decode_cursor(cursor) if cursor else None
    async with pool.acquire() as conn:
        rows = await signal_store.partner_signals(conn, partner.id, limit + 1, before, ref)
    more = len(rows) > limit
    rows = rows[:limit]
    following = encode_cursor(rows[-1]["received_at"], rows[-1]["id"]) if more else None
    return [_partner_view(row) for row in rows], following


def encode_cursor(received_at: datetime, signal_id: UUID) -> str:
    raw = f"{received_at.isoformat()}|{signal_id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        moment = datetime.fromisoformat(stamp)
        if moment.tzinfo is None:
            raise ValueError("naive timestamp")
        return moment.astimezone(UTC), UUID(ident)  # a moment PostgreSQL can hold, or refused
    except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError):
        message = "not a cursor this API gave out"
        raise InvalidFields(message, errors=[{"loc": ["cursor"], "msg": message}]) from None


def _team_view(row: Mapping[str, Any]) -> TeamSignalView:
    person = None
    if row["person_name"] is not None or row["person_birth_date"] is not None:
        person = Person(name=row["person_name"], birth_date=row["person_birth_date"])
    return TeamSignalView(
        id=row["id"],
        partner=row["partner_name"],
        partner_kind=PartnerKind(row["partner_kind"]),
        kind=SignalKind(row["kind"]),
        urgency=Urgency(row["urgency"]),
        address=Address(
            postcode=row["postcode"],
            house_number=row["house_number"],
            house_letter=row["house_letter"] or None,
            addition=row["addition"] or None,
        ),
        person=person,
        resident_informed=ResidentInformed(
            informed=row["resident_informed"], reason=row["not_informed_reason"]
        ),
        description=row["description"],
        received_at=row["received_at"],
    )


async def team_inbox(
    pool: asyncpg.Pool, actor: str, team_code: str, *, limit: int, cursor: str | None
) -> TeamSignalPage:
    """The team's routed signals, newest first; the read is recorded in the access log."""
    before = decode_cursor(cursor) if cursor else None
    team = await find_team(pool, team_code)
    if team is None:
        raise NotFound(f"no team {team_code}")
    async with pool.acquire() as conn, conn.transaction():
        rows = await signal_store.team_signals(conn, team.id, limit + 1, before)
        page = rows[:limit]
        if page:
            await log_access(
                conn,
                actor,
                "list_team_signals",
                f"team inbox {team.code}",
                [(f"signal:{row['id']}", row["household_id"]) for row in page],
                "administration",
            )
    last = page[-1] if page and len(rows) > limit else None
    return TeamSignalPage(
        items=[_team_view(row) for row in page],
        next_cursor=encode_cursor(last["received_at"], last["id"]) if last else None,
    )
