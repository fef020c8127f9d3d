"""Casework: a team's inbox, a case and the actions on it, and the coordinator's queue.

Every read of a case's personal data is written to the access log; every action is an event.
A user sees only their own team's cases: another team's answers as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import asyncpg

from hub.cases import store
from hub.cases.notices import tell_about_new_signals, tell_about_withdrawal
from hub.cases.workflow import (
    ON_ARRIVAL,
    PROGRESS,
    REOPEN_DAYS,
    SETTLED_SIGNAL,
    Actor,
    allowed_actions,
    is_open,
    told_by,
    transition,
)
from hub.directory.service import find_team, user_by_email
from hub.feedback.agreements import calendar
from hub.feedback.obligations import on_case_step, on_given_back
from hub.platform.clock import local_day, today
from hub.platform.db import transaction_time
from hub.platform.errors import Conflict, Forbidden, InvalidFields, NotFound
from hub.privacy.audit import log_access
from hub.privacy.retention import forget_now
from hub.privacy.sealed import event_row, open_event_data, seal_note, seal_returned_note
from schemas.address import Address
from schemas.cases import (
    AddNote,
    Assign,
    CaseAction,
    CaseFilter,
    CaseSignal,
    CaseStatus,
    CaseSummary,
    CaseView,
    Close,
    ContactAttempt,
    Decline,
    EarlierCase,
    Outcome,
    Reopen,
    Return,
    Role,
    TimelineEntry,
)
from schemas.early_debt import EarlyDebtResult
from schemas.signals import (
    Arrears,
    PartnerKind,
    ResidentInformed,
    SignalKind,
    SignalStatus,
    TeamRef,
    Urgency,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence, Set
    from uuid import UUID

    from hub.cases.store import OpenCase
    from hub.directory.models import User
    from hub.platform.connection import Connection

TEAM_ROLES = (Role.MEMBER.value, Role.LEAD.value)
COORDINATOR_DAYS = 2  # working days a signal may wait in the coordinator's queue
MAX_WORK_QUEUES = 20  # a person's saved queues: each is counted on every inbox page


class TooMany(Conflict):
    """A person's limit of something is reached."""


TABS = store.TABS


def on_behalf_of(user: User) -> str:
    """For the access log: the team (or role) a person reads for."""
    return f"team:{user.team.code}" if user.team else f"role:{user.role}"


def _team_of(user: User) -> int:
    """The team whose cases this user may see; others see no cases at all."""
    if user.role not in TEAM_ROLES or user.team is None:
        raise NotFound("no such case")
    return user.team.id


def actor_of(user: User, director_id: UUID | None) -> Actor:
    return Actor(Role(user.role), is_director=director_id == user.id)


def actions_for(user: User, case: CaseView) -> frozenset[str]:
    """What `user` may do with `case` now (a page offers just these)."""
    allowed = _allowed(user, case)
    too_late = case.closed_at is None or case.closed_at < datetime.now(UTC) - timedelta(
        days=REOPEN_DAYS
    )
    return allowed - {"reopen"} if too_late else allowed


def _allowed(user: User, case: CaseView) -> frozenset[str]:
    """What `user` may do with `case` now (the page shows only those)."""
    director = case.director == user.email
    return allowed_actions(case.status, Actor(Role(user.role), is_director=director))


def _summary(row: Mapping[str, Any]) -> CaseSummary:
    return CaseSummary(
        id=row["id"],
        status=CaseStatus(row["status"]),
        team=TeamRef(code=row["team_code"], name=row["team_name"]),
        director=row["director"],
        director_name=row["director_name"],
        stacked=row["stacked"],
        urgency=Urgency(row["urgency"]),
        outcome=Outcome(row["outcome"]) if row["outcome"] else None,
        household=Address(
            postcode=row["postcode"],
            house_number=row["house_number"],
            house_letter=row["house_letter"] or None,
            addition=row["addition"] or None,
        ),
        signal_count=row["signal_count"],
        kinds=sorted(row["kinds"] or []),
        partners=sorted(row["partners"] or []),
        feedback_due=row["feedback_due"],
        feedback_step=row["feedback_step"],
        feedback_overdue=row["feedback_due"] is not None and row["feedback_due"] < today(),
        opened_at=row["opened_at"],
        updated_at=row["updated_at"],
        closed_at=row["closed_at"],
    )


def _check_tab(tab: str) -> None:
    if tab not in TABS:
        message = f"tab is one of {', '.join(TABS)}"
        raise InvalidFields(message, errors=[{"loc": ["tab"], "msg": message}])


async def inbox(
    pool: asyncpg.Pool, user: User, tab: str, found: CaseFilter | None = None
) -> tuple[list[CaseSummary], dict[str, int]]:
    """A tab of the team's inbox (with `found`: the cases that match it) and the tabs' counts."""
    _check_tab(tab)
    team_id = _team_of(user)
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.team_cases(conn, team_id, tab, user.id, found=found)
        counts = await store.tab_counts(conn, team_id, user.id)
        if rows:
            await log_access(
                conn,
                f"user:{user.id}",
                "list_cases",
                f"inbox {tab}",
                [(f"case:{row['id']}", row["household_id"]) for row in rows],
                on_behalf_of(user),
            )
    return [_summary(row) for row in rows], counts


@dataclass(frozen=True)
class WorkQueue:
    """A person's saved tab and filter, with how many cases it holds now."""

    id: UUID
    name: str
    tab: str
    found: CaseFilter
    count: int


async def work_queues(pool: asyncpg.Pool, user: User) -> list[WorkQueue]:
    team_id = _team_of(user)
    async with pool.acquire() as conn:
        saved = await store.work_queues(conn, user.id)
        queues = []
        for row in saved:
            found = CaseFilter.model_validate(row["filter"])
            count = await store.count_cases(conn, team_id, row["tab"], user.id, found)
            queues.append(WorkQueue(row["id"], row["name"], row["tab"], found, count))
    return queues


async def save_work_queue(
    pool: asyncpg.Pool, user: User, name: str, tab: str, found: CaseFilter
) -> None:
    """Save a tab with its filter under a name of the person's own (1-60 characters)."""
    _check_tab(tab)
    _team_of(user)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 60 or not name.isprintable():
        message = "a name has 1 to 60 characters"
        raise InvalidFields(message, errors=[{"loc": ["name"], "msg": message}])
    async with pool.acquire() as conn:
        if await store.work_queue_count(conn, user.id) >= MAX_WORK_QUEUES:
            raise TooMany(f"at most {MAX_WORK_QUEUES} work queues a person")
        if not await store.add_work_queue(conn, user.id, name, tab, found):
            raise Conflict(f"you have a work queue named {name!r} already")


async def drop_work_queue(pool: asyncpg.Pool, user: User, queue_id: UUID) -> None:
    async with pool.acquire() as conn:
        await store.drop_work_queue(conn, user.id, queue_id)


async def team_partners(pool: asyncpg.Pool, user: User) -> list[tuple[UUID, str]]:
    """The partners that signalled the team (for a filter), by name."""
    async with pool.acquire() as conn:
        return [(row["id"], row["name"]) for row in await store.team_partners(conn, _team_of(user))]


async def counts(pool: asyncpg.Pool, user: User) -> dict[str, int]:
    team_id = _team_of(user)
    async with pool.acquire() as conn:
        return await store.tab_counts(conn, team_id, user.id)


async def case_view(
    pool: asyncpg.Pool, user: User, case_id: UUID, *, earlier_within: timedelta | None = None
) -> CaseView:
    """The team's case with its signals and timeline; with `earlier_within` (the stacking
    window) also the team's earlier cases of the household closed within it."""
    team_id = _team_of(user)
    async with pool.acquire() as conn, conn.transaction():
        row = await store.team_case(conn, case_id, team_id)
        if row is None:
            raise NotFound("no such case")
        signals = await store.case_signals(conn, case_id)
        timeline = await store.case_timeline(conn, case_id)
        earlier = (
            await store.earlier_cases(conn, case_id, row["household_id"], team_id, earlier_within)
            if earlier_within is not None
            else []
        )
        await log_access(
            conn,
            f"user:{user.id}",
            "read_case",
            "casework",
            [(f"case:{case_id}", row["household_id"])],
            on_behalf_of(user),
        )
    return CaseView(
        **_summary(row).model_dump(),
        signals=[
            CaseSignal(
                id=s["id"],
                partner=s["partner"],
                partner_kind=PartnerKind(s["partner_kind"]),
                kind=SignalKind(s["kind"]),
                urgency=Urgency(s["urgency"]),
                status=SignalStatus(s["status"]),
                received_at=s["received_at"],
                description=s["description"],
                person_name=s["person_name"],
                person_birth_date=s["person_birth_date"],
                resident_informed=ResidentInformed(
                    informed=s["resident_informed"], reason=s["not_informed_reason"]
                ),
                repeat_of=s["repeat_of"],
                coding=s["coding"],
                arrears=arrears_of(s),
            )
            for s in signals
        ],
        timeline=[
            TimelineEntry(
                at=t["occurred_at"],
                kind=t["kind"],
                actor=t["email"] or ("hub" if t["actor"] == "hub" else "partner"),
                actor_name=t["name"] or t["partner_name"],
                detail=open_event_data(t["data"] or {}, event_row(t["case_id"], t["signal_id"])),
            )
            for t in timeline
        ],
        earlier=[
            EarlierCase(
                id=e["id"],
                status=CaseStatus(e["status"]),
                outcome=Outcome(e["outcome"]) if e["outcome"] else None,
                opened_at=e["opened_at"],
                closed_at=e["closed_at"],
            )
            for e in earlier
        ],
    )


def arrears_of(signal: Mapping[str, Any]) -> Arrears | None:
    """A signal's arrears as its team reads them (opened from the sealed personal value)."""
    amount = signal.get("arrears_amount")
    if amount is None:
        return None
    early = signal.get("early_debt") or {}
    return Arrears(
        amount_eur=amount,
        since=signal.get("arrears_since"),
        creditor=early.get("creditor"),
        signalled_on=early.get("signalled_on"),
        crisis=bool(early.get("crisis")),
        ends_on=early.get("ends_on"),
        warm_handover=bool(early.get("warm_handover")),
    )


async def act(pool: asyncpg.Pool, user: User, case_id: UUID, action: CaseAction) -> CaseView:
    """Apply an action in one transaction: the case, its signals and an event move together."""
    team_id = _team_of(user)
    async with pool.acquire() as conn, conn.transaction():
        row = await store.team_case(conn, case_id, team_id, for_update=True)
        if row is None:
            raise NotFound("no such case")
        step = transition(CaseStatus(row["status"]), action, actor_of(user, row["director_id"]))
        director = user.id if step.takes_direction else row["director_id"]
        detail: dict[str, Any] = {}
        if isinstance(action, Assign):
            colleague = await user_by_email(conn, action.user)
            if colleague is None or colleague.team is None or colleague.team.id != team_id:
                message = "no colleague in this team with that e-mail address"
                raise InvalidFields(message, errors=[{"loc": ["user"], "msg": message}])
            director = colleague.id
            detail["director"] = colleague.email
            detail["director_name"] = colleague.shown_as
        if isinstance(action, ContactAttempt):
            detail["reached"] = action.reached
            # As the national early-debt model records an attempt (not personal data).
            detail["on"] = (action.on or local_day(await transaction_time(conn))).isoformat()
            if action.how:
                detail["how"] = action.how.value
            if action.part_of_day:
                detail["part_of_day"] = action.part_of_day.value
        if (
            isinstance(action, Close)
            and action.early_debt_result
            and not {"payment_arrears", "rent_arrears"} & set(row["kinds"] or ())
        ):
            message = "early_debt_result is for a case with early-debt (arrears) signals"
            raise InvalidFields(message, errors=[{"loc": ["early_debt_result"], "msg": message}])
        if isinstance(action, Close):
            detail["outcome"] = action.final_outcome.value
            if action.early_debt_result:
                detail["early_debt_result"] = action.early_debt_result.value
        if isinstance(action, Return | Decline):
            detail["reason_sealed"] = seal_note(action.reason, event_row(case_id, None))
        # The team's own line on a step is sealed as a reason is: one kind of free text.
        if isinstance(action, ContactAttempt | Close | AddNote | Reopen) and action.note:
            detail["reason_sealed"] = seal_note(action.note, event_row(case_id, None))
        signal_ids: list[UUID] = []  # the signals the step moved: their partners hear of it
        if isinstance(action, Reopen):
            await _reopen(conn, row, step.status, director)
        elif not isinstance(action, AddNote):  # a note changes nothing about the case
            signal_ids = await _move(conn, case_id, action, step.status, director)
        at = await store.append_case_event(conn, case_id, action.action, f"user:{user.id}", detail)
        if isinstance(action, ContactAttempt) and action.reached:
            await on_case_step(conn, signal_ids, "first_contact", None, at)
        elif isinstance(action, Close):
            await on_case_step(
                conn,
                signal_ids,
                "outcome",
                action.final_outcome.value,
                at,
                early_debt_result=action.early_debt_result,
            )
        elif isinstance(action, Decline):
            # Declined by the team: not taken up, which is all a creditor may hear of it.
            await on_case_step(
                conn,
                signal_ids,
                "outcome",
                Outcome.DECLINED.value,
                at,
                early_debt_result=EarlyDebtResult.NOT_TAKEN_OTHER_REASON,
            )
    return await case_view(pool, user, case_id)


async def _move(
    conn: Connection,
    case_id: UUID,
    action: CaseAction,
    status: CaseStatus,
    director: UUID | None,
) -> list[UUID]:
    """The case takes its next status, and its signals what that tells their partners; the
    signals that moved."""
    await store.update_case(
        conn,
        case_id,
        status=status.value,
        director_id=director,
        outcome=action.final_outcome.value if isinstance(action, Close) else None,
        closing=not is_open(status),
    )
    signal_ids = await store.set_signals_of_case(
        conn,
        case_id,
        told_by(action, status).value,
        settled=[settled.value for settled in SETTLED_SIGNAL],
        progress=[step.value for step in PROGRESS],
        to_queue=isinstance(action, Return),
    )
    if isinstance(action, Return):
        await store.set_returned_notes(
            conn, signal_ids, [seal_returned_note(action.reason, i) for i in signal_ids]
        )
    return signal_ids


async def _reopen(
    conn: Connection, row: Mapping[str, Any], status: CaseStatus, director: UUID | None
) -> None:
    """Open a case the team ended again: within REOPEN_DAYS of that, and while the household
    has no other open case with the team. Its signals keep what their partners were told (a
    step is never taken back); the director, if any, picks it up again."""
    if row["closed_at"] is None or row["closed_at"] < await transaction_time(conn) - timedelta(
        days=REOPEN_DAYS
    ):
        raise Conflict(f"a case can be reopened within {REOPEN_DAYS} days of its end only")
    try:
        await store.update_case(
            conn,
            row["id"],
            status=(status if director else CaseStatus.NEW).value,
            director_id=director,
            outcome=None,
            closing=False,
        )
    except asyncpg.UniqueViolationError:
        raise Conflict("the household has another open case with this team") from None


# --- what intake asks of cases ----------------------------------------------------------------


async def open_cases_for(
    conn: Connection, wanted: Mapping[tuple[UUID, int], bool], at: datetime
) -> dict[tuple[UUID, int], OpenCase]:
    """The open case of each (household, team), created where there is none (urgent if the
    value is True), in the caller's transaction."""
    return await store.open_cases_for(conn, wanted, at)


async def after_intake(
    conn: Connection,
    cases: Sequence[OpenCase],
    stored_in: set[UUID],
    stacking_window: timedelta,
    public_url: str,
    as_opened: Set[UUID] = frozenset(),
) -> None:
    """Once signals are stored: drop cases created for signals a concurrent twin stored first,
    refresh stacking and urgency of the cases signals joined (but those known to be as they
    were opened), and tell teams and directors."""
    await store.drop_empty_cases(conn, [c.id for c in cases if c.created and c.id not in stored_in])
    # A case created now may stack too: another partner may have signalled the household for
    # a case closed since (only cases whose stacking or urgency changes are written).
    await store.refresh_cases(
        conn,
        sorted({c.id for c in cases if c.id in stored_in and c.id not in as_opened}),
        stacking_window,
    )
    await tell_about_new_signals(
        conn,
        created=sorted(c.id for c in cases if c.created and c.id in stored_in),
        joined=sorted(c.id for c in cases if not c.created and c.director_id and c.id in stored_in),
        public_url=public_url,
    )


async def record_intake_events(
    conn: Connection,
    actor: str,
    stored: Sequence[tuple[UUID, str, str, str | None, str | None, UUID | None]],
    occurred_at: datetime,
) -> None:
    """Two events in the history of each stored signal: `received` from `actor` (with the
    signal's kind), then the hub's `routed` (rule and team), `unrouted` or `repeat` (and of
    which signal). `stored` holds (signal_id, kind, outcome, rule, team code, repeat_of)."""
    await store.append_intake_events(conn, actor, stored, occurred_at)


async def on_signal_withdrawn(
    conn: Connection,
    signal_id: UUID,
    case_id: UUID | None,
    actor: str,
    reason: str | None,
    public_url: str,
) -> None:
    """A partner withdrew a signal (already marked so): the case's timeline says so, with the
    reason sealed like a note, and the team (and the case's director) is mailed. The case stays
    as it is, even when none of its signals still stands: the team closes it, having perhaps
    already spoken with the household."""
    detail: dict[str, Any] = {}
    if reason:
        detail["reason_sealed"] = seal_note(reason, event_row(None, signal_id))
    every_signal = case_id is not None and await store.all_signals_withdrawn(conn, case_id)
    if every_signal:
        detail["all_withdrawn"] = True
    await store.append_signal_events(conn, [(signal_id, "withdrawn", actor, detail)])
    # The case row is not written: a team's step locks the case before its signals, and this
    # transaction holds the signal's lock already.
    if case_id is not None:
        await tell_about_withdrawal(conn, case_id, every_signal=every_signal, public_url=public_url)


# --- the coordinator ----------------------------------------------------------------------------


@dataclass(frozen=True)
class QueuedSignal:
    id: UUID
    status: SignalStatus
    kind: SignalKind
    urgency: Urgency
    partner: str
    received_at: datetime
    household: Address
    returned_by: str | None
    returned_reason: str | None
    returned_by_code: str | None = None
    waiting_days: int = 0  # working days since it arrived (or came back)

    @property
    def overdue(self) -> bool:
        """Waiting longer than the two working days a coordinator has for it."""
        return self.waiting_days > COORDINATOR_DAYS


async def coordinator_queue(pool: asyncpg.Pool, user: User) -> list[QueuedSignal]:
    if user.role != Role.COORDINATOR.value:
        raise NotFound("no such page")
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.queue(conn)
        days = await calendar(conn)
        if rows:
            await log_access(
                conn,
                f"user:{user.id}",
                "list_queue",
                "coordinator queue",
                [(f"signal:{row['id']}", row["household_id"]) for row in rows],
                on_behalf_of(user),
            )
    return [
        QueuedSignal(
            id=row["id"],
            status=SignalStatus(row["status"]),
            kind=SignalKind(row["kind"]),
            urgency=Urgency(row["urgency"]),
            partner=row["partner"],
            received_at=row["received_at"],
            household=Address(
                postcode=row["postcode"],
                house_number=row["house_number"],
                house_letter=row["house_letter"] or None,
                addition=row["addition"] or None,
            ),
            returned_by=row["returned_by"] if row["status"] == SignalStatus.RETURNED else None,
            returned_reason=row["returned_reason"],
            returned_by_code=(
                row["returned_by_code"] if row["status"] == SignalStatus.RETURNED else None
            ),
            waiting_days=days.between(local_day(row["waiting_since"]), today()),
        )
        for row in rows
    ]


async def send_back_out_of_area(pool: asyncpg.Pool, user: User, signal_id: UUID) -> None:
    """The coordinator gives a queued signal back to its partner: its address is outside every
    team's area. The partner is told so as the signal's outcome (it counts as feedback given, not
    as a signal lost), and the signal's personal data goes at once: no team will work on it."""
    if user.role != Role.COORDINATOR.value:
        raise Forbidden("only the coordinator gives signals back")
    async with pool.acquire() as conn, conn.transaction():
        row = await store.queued_signal(conn, signal_id)
        if row is None or row["status"] != SignalStatus.UNROUTED:  # a returned one has a rule
            raise NotFound("no such signal without a team's area in the queue")
        await store.set_out_of_area(conn, signal_id)
        await store.append_signal_events(conn, [(signal_id, "out_of_area", f"user:{user.id}", {})])
        at = await transaction_time(conn)
        await on_given_back(conn, [signal_id], Outcome.OUT_OF_AREA.value, at)
        await forget_now(conn, [signal_id], [row["household_id"]], at)


async def send_to_team(
    pool: asyncpg.Pool,
    user: User,
    signal_id: UUID,
    team_code: str,
    *,
    stacking_window: timedelta,
    public_url: str,
) -> None:
    """The coordinator routes a queued signal by hand; it joins that team's open case."""
    if user.role != Role.COORDINATOR.value:
        raise Forbidden("only the coordinator routes signals by hand")
    team = await find_team(pool, team_code)
    if team is None:
        message = f"no team {team_code}"
        raise InvalidFields(message, errors=[{"loc": ["team"], "msg": message}])
    async with pool.acquire() as conn, conn.transaction():
        row = await store.queued_signal(conn, signal_id)
        if row is None:
            raise NotFound("no such signal in the queue")
        key = (row["household_id"], team.id)
        case = (
            await store.open_cases_for(conn, {key: row["urgency"] == "high"}, row["received_at"])
        )[key]
        await store.route_by_hand(
            conn,
            signal_id,
            team.id,
            f"by hand -> {team.code}",
            case.id,
            ON_ARRIVAL.value,
        )
        await store.append_signal_events(
            conn, [(signal_id, "routed_by_hand", f"user:{user.id}", {"team": team.code})]
        )
        await store.refresh_cases(conn, [case.id], stacking_window)
        await tell_about_new_signals(
            conn,
            created=[case.id] if case.created else [],
            joined=[case.id] if not case.created and case.director_id else [],
            public_url=public_url,
        )
