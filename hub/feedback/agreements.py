"""Feedback agreements: what a team promised a partner to report back, per step, and within
how many working days.

What applies to a signal is chosen per step by the most specific agreement valid on the
signal's day: for this partner > for its kind > for everyone, each for this team before every
team.

An agreement is never rewritten: obligations made from it keep their deadlines. A change ends
the agreement (its last day is yesterday) and adds the changed one from today; ending one makes
yesterday its last day. Both keep it, for the history.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, Final
from uuid import UUID

from hub.directory.service import partner_by_id, require_partner, require_team
from hub.feedback import store
from hub.feedback.workdays import WorkingDays
from hub.platform.clock import local_day
from hub.platform.clock import today as local_today
from hub.platform.errors import Conflict, InvalidFields, NotFound
from hub.platform.locks import lock_for_transaction
from schemas.signals import PartnerKind

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.connection import Connection

# The steps of an agreement, in the order they happen.
STEPS: Final = ("received", "first_contact", "outcome")
MAX_WORKING_DAYS: Final = 365
# Any fixed number: agreements are added, changed and ended one at a time, so that two
# administrators cannot both change one agreement, or add two for the same partners at once.
_AGREEMENTS_LOCK: Final = 0x4146_5350_5241_4B45


class Overlaps(Conflict):
    """An agreement for the same partners, team and step applies already then."""

    def __init__(self, detail: str, agreement_id: int) -> None:
        super().__init__(detail)
        self.agreement_id = agreement_id


@dataclass(frozen=True)
class Terms:
    """What an agreement promises, and to whom: the step, within how many working days of
    receipt (None: at the event itself); one partner, every partner of a kind, or everyone
    (both None); one team (its code) or every team (None)."""

    step: str
    working_days: int | None
    partner_id: UUID | None = None
    partner_kind: PartnerKind | None = None
    team: str | None = None

    def problems(self) -> list[dict[str, Any]]:
        """What makes these terms impossible, as `{loc, msg}` (empty: nothing)."""
        found: list[dict[str, Any]] = []
        if self.partner_id is not None and self.partner_kind is not None:
            found.append(
                {"loc": ["partner"], "msg": "choose one partner or a kind of partner, not both"}
            )
        if self.step not in STEPS:
            found.append({"loc": ["step"], "msg": f"step is one of {', '.join(STEPS)}"})
        if self.working_days is not None and not 0 <= self.working_days <= MAX_WORKING_DAYS:
            message = f"working_days is 0 to {MAX_WORKING_DAYS}, or none: at the event itself"
            found.append({"loc": ["working_days"], "msg": message})
        return found


def has_ended(valid_to: date | None, day: date) -> bool:
    """Whether an agreement whose last day is `valid_to` no longer applies on `day`."""
    return valid_to is not None and valid_to < day


def overlap(
    first: tuple[date | None, date | None], second: tuple[date | None, date | None], day: date
) -> bool:
    """Whether two periods of validity (from, to; inclusive, None: open) share a day from
    `day` on. A period that ends before it starts has no day at all."""
    periods = []
    for valid_from, valid_to in (first, second):
        start = max(valid_from or day, day)
        if valid_to is not None and valid_to < start:
            return False
        periods.append((start, valid_to))
    (start_a, end_a), (start_b, end_b) = periods
    return (end_a is None or start_b <= end_a) and (end_b is None or start_a <= end_b)


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
    partner_id: UUID | None = None,
    partner_kind: PartnerKind | None = None,
    team: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> int:
    """A feedback agreement for a partner (by name or id; or every partner of a kind, or
    everyone) and a team (or every team); `working_days` None means at the event itself.
    Refused (`Overlaps`) where one for the same partners, team and step applies already in
    that time, from today on: change that one instead."""
    if partner is not None:
        partner_id = (await require_partner(pool, partner)).id
    terms = Terms(step, working_days, partner_id, partner_kind, team)
    team_id = await _checked(pool, terms)
    async with pool.acquire() as conn, conn.transaction():
        await lock_for_transaction(conn, _AGREEMENTS_LOCK)
        return await _add(conn, terms, team_id, (valid_from, valid_to), local_today())


async def change_agreement(
    pool: asyncpg.Pool, agreement_id: int, terms: Terms, *, day: date | None = None
) -> int | None:
    """Change an agreement that still applies (or is yet to start), in one transaction: its
    last day becomes yesterday, and the changed one applies from today (`day`; or from the day
    the old one was to start, if later) until the old one's last day. Returns the changed
    one's id; None where the terms are those it has (nothing changes). Obligations already made
    keep their deadlines."""
    day = day or local_today()
    team_id = await _checked(pool, terms)
    async with pool.acquire() as conn, conn.transaction():
        await lock_for_transaction(conn, _AGREEMENTS_LOCK)
        old = await _still_applying(conn, agreement_id, day)
        if _terms_of(old) == terms:
            return None
        period = (max(old["valid_from"] or day, day), old["valid_to"])
        new_id = await _add(conn, terms, team_id, period, day, instead_of=agreement_id)
        await store.end_agreement(conn, agreement_id, day - timedelta(days=1), new_id)
        return new_id


async def end_agreement(pool: asyncpg.Pool, agreement_id: int, *, day: date | None = None) -> None:
    """End an agreement that still applies (or is yet to start): its last day becomes
    yesterday, so from today (`day`) on no new signal gets it. Obligations already made keep
    their deadlines."""
    day = day or local_today()
    async with pool.acquire() as conn, conn.transaction():
        await lock_for_transaction(conn, _AGREEMENTS_LOCK)
        await _still_applying(conn, agreement_id, day)
        await store.end_agreement(conn, agreement_id, day - timedelta(days=1), None)


async def _checked(pool: asyncpg.Pool, terms: Terms) -> int | None:
    """Refuse impossible terms, an unknown partner or team; the team's id (None: every team)."""
    if problems := terms.problems():
        raise InvalidFields("; ".join(p["msg"] for p in problems), errors=problems)
    if terms.partner_id is not None and await partner_by_id(pool, terms.partner_id) is None:
        raise NotFound(f"no partner {terms.partner_id}")
    return (await require_team(pool, terms.team)).id if terms.team else None


async def _add(
    conn: Connection,
    terms: Terms,
    team_id: int | None,
    period: tuple[date | None, date | None],
    day: date,
    instead_of: int | None = None,
) -> int:
    """Add the agreement, in the caller's transaction under the lock, unless another (but
    `instead_of`, the one it replaces) binds the same partners and team for the same step on a
    day of `period` from `day` on."""
    kind = terms.partner_kind.value if terms.partner_kind else None
    for other in await store.agreements_of_scope(conn, terms.partner_id, kind, team_id, terms.step):
        if other["id"] != instead_of and overlap(
            (other["valid_from"], other["valid_to"]), period, day
        ):
            raise Overlaps(
                f"agreement {other['id']} binds the same partners and team for this step "
                "then: change or end that one at /beheer/afspraken",
                other["id"],
            )
    return await store.add_agreement(
        conn,
        step=terms.step,
        working_days=terms.working_days,
        partner_id=terms.partner_id,
        partner_kind=kind,
        team_id=team_id,
        valid_from=period[0],
        valid_to=period[1],
    )


async def _still_applying(conn: Connection, agreement_id: int, day: date) -> dict[str, Any]:
    found = await store.agreement_listed(conn, agreement_id)
    if found is None:
        raise NotFound(f"no agreement {agreement_id}")
    if has_ended(found["valid_to"], day):
        raise Conflict(f"agreement {agreement_id} has ended already")
    return dict(found)


def _terms_of(row: dict[str, Any]) -> Terms:
    kind = row["partner_kind"]
    return Terms(
        row["step"],
        row["working_days"],
        row["partner_id"],
        PartnerKind(kind) if kind else None,
        row["team_code"],
    )


def _listed(row: asyncpg.Record) -> dict[str, Any]:
    found = dict(row)
    found["ended_on"] = local_day(row["ended_at"]) if row["ended_at"] else None
    return found


async def list_agreements(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every agreement, ended ones too: `partner` and `team` names (None: all), `partner_id`,
    `partners_kind` (of that one partner), `partner_kind`, `team_code`, step, terms, dates;
    `ended_at`, `ended_on` (its day in the Netherlands) and `replaced_by` where an
    administrator ended or changed it."""
    async with pool.acquire() as conn:
        return [_listed(row) for row in await store.agreements_listed(conn)]


async def find_agreement(pool: asyncpg.Pool, agreement_id: int) -> dict[str, Any] | None:
    """One agreement as `list_agreements` gives it."""
    async with pool.acquire() as conn:
        found = await store.agreement_listed(conn, agreement_id)
    return _listed(found) if found else None


async def add_non_working_day(pool: asyncpg.Pool, day: date, reason: str) -> None:
    async with pool.acquire() as conn:
        await store.add_non_working_day(conn, day, reason)
