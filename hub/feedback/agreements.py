"""Feedback agreements: what a team promised a partner to report back, per step, and within
how many working days.

What applies to a signal is chosen per step by the most specific agreement valid on the
signal's day: for this partner > for its kind > for everyone, each for this team before every
team.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from hub.directory.service import require_partner, require_team
from hub.feedback import store
from hub.feedback.workdays import WorkingDays
from hub.platform.errors import InvalidFields

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.connection import Connection
    from schemas.signals import PartnerKind

# The steps of an agreement, in the order they happen.
STEPS: Final = ("received", "first_contact", "outcome")


@dataclass(frozen=True)
class Agreement:
    id: int
    partner_id: UUID | None
    partner_kind: str | None
    team_id: int | None
    step: str
    working_days: int | None
    valid_from: date | None
    valid_to: date | None

    def applies(self, partner_id: UUID, partner_kind: str, team_id: int | None, day: date) -> bool:
        return (
            (self.partner_id is None or self.partner_id == partner_id)
            and (self.partner_kind is None or self.partner_kind == partner_kind)
            and (self.team_id is None or self.team_id == team_id)
            and (self.valid_from is None or self.valid_from <= day)
            and (self.valid_to is None or day <= self.valid_to)
        )

    @property
    def specificity(self) -> int:
        return (4 if self.partner_id else 2 if self.partner_kind else 0) + (
            1 if self.team_id else 0
        )


def agreements_for(
    agreements: Sequence[Agreement],
    partner_id: UUID,
    partner_kind: str,
    team_id: int | None,
    day: date,
) -> dict[str, Agreement]:
    """Per step, the most specific agreement in force for this partner and team on `day`."""
    chosen: dict[str, Agreement] = {}
    for agreement in agreements:
        if not agreement.applies(partner_id, partner_kind, team_id, day):
            continue
        current = chosen.get(agreement.step)
        if current is None or agreement.specificity > current.specificity:
            chosen[agreement.step] = agreement
    return chosen


async def load_agreements(conn: Connection) -> list[Agreement]:
    return [Agreement(**dict(row)) for row in await store.agreements(conn)]


async def calendar(conn: Connection) -> WorkingDays:
    """Working days with the extra non-working days an administrator set."""
    return WorkingDays(await store.non_working_days(conn))


async def add_agreement(
    pool: asyncpg.Pool,
    *,
    step: str,
    working_days: int | None,
    partner: str | None = None,
    partner_kind: PartnerKind | None = None,
    team: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> int:
    """A feedback agreement for a partner (or every partner of a kind, or everyone) and a team
    (or every team); `working_days` None means at the event itself."""
    if step not in STEPS:
        message = f"step is one of {', '.join(STEPS)}"
        raise InvalidFields(message, errors=[{"loc": ["step"], "msg": message}])
    found_partner = await require_partner(pool, partner) if partner else None
    found_team = await require_team(pool, team) if team else None
    async with pool.acquire() as conn:
        return await store.add_agreement(
            conn,
            step=step,
            working_days=working_days,
            partner_id=found_partner.id if found_partner else None,
            partner_kind=partner_kind.value if partner_kind else None,
            team_id=found_team.id if found_team else None,
            valid_from=valid_from,
            valid_to=valid_to,
        )


async def list_agreements(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every agreement: `partner` and `team` names (None: all), `partner_kind`, step, terms."""
    async with pool.acquire() as conn:
        return [dict(row) for row in await store.agreements_listed(conn)]


async def add_non_working_day(pool: asyncpg.Pool, day: date, reason: str) -> None:
    async with pool.acquire() as conn:
        await store.add_non_working_day(conn, day, reason)
