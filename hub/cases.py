"""Casework: a team's inbox, a case and the actions on it, and the coordinator's queue.

Every read of a case's personal data is written to the access log; every action is an event.
A user sees only their own team's cases: another team's answers as if it did not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from hub.casework import SIGNAL_STATUS_OF_CASE, Action, Actor, transition
from hub.errors import Forbidden, InvalidFields, NotFound
from hub.feedback import on_case_step
from hub.intake import DEFAULT_POLICY, IntakePolicy
from hub.mail import mail_for_new_signals
from hub.store import audit
from hub.store import cases as case_store
from hub.store import signals as signal_store
from hub.store import teams as team_store
from hub.store.users import user_by_email
from hub.workdays import LOCAL_TIME
from schemas.address import Address, display_postcode
from schemas.cases import (
    Assign,
    CaseSignal,
    CaseStatus,
    CaseSummary,
    CaseView,
    Close,
    ContactAttempt,
    Decline,
    Outcome,
    Return,
    Role,
    TimelineEntry,
)
from schemas.signals import (
    PartnerKind,
    ResidentInformed,
    SignalKind,
    SignalStatus,
    TeamRef,
    Urgency,
)

if TYPE_CHECKING:
    from collections.abc import Mapping
    from uuid import UUID

    import asyncpg

    from hub.store.users import User

TEAM_ROLES = (Role.MEMBER.value, Role.LEAD.value)


def on_behalf_of(user: User) -> str:
    """For the access log: the team (or role) a person reads for."""
    return f"team:{user.team.code}" if user.team else f"role:{user.role}"


def _team_of(user: User) -> int:
    """The team whose cases this user may see; others see no cases at all."""
    if user.role not in TEAM_ROLES or user.team is None:
        raise NotFound("no such case")
    return user.team.id


def _summary(row: Mapping[str, Any]) -> CaseSummary:
    return CaseSummary(
        id=row["id"],
        status=CaseStatus(row["status"]),
        team=TeamRef(code=row["team_code"], name=row["team_name"]),
        director=row["director"],
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
        feedback_due=row["feedback_due"],
        feedback_overdue=row["feedback_due"] is not None
        and row["feedback_due"] < datetime.now(LOCAL_TIME).date(),
        opened_at=row["opened_at"],
        updated_at=row["updated_at"],
        closed_at=row["closed_at"],
    )


async def inbox(
    pool: asyncpg.Pool, user: User, tab: str
) -> tuple[list[CaseSummary], dict[str, int]]:
    if tab not in case_store.TABS:
        message = f"tab is one of {', '.join(case_store.TABS)}"
        raise InvalidFields(message, errors=[{"loc": ["tab"], "msg": message}])
    team_id = _team_of(user)
    async with pool.acquire() as conn, conn.transaction():
        rows = await case_store.team_cases(conn, team_id, tab, user.id)
        counts = await case_store.tab_counts(conn, team_id, user.id)
        if rows:
            await audit.log_access(
                conn,
                f"user:{user.id}",
                "list_cases",
                f"inbox {tab}",
                [(f"case:{row['id']}", row["household_id"]) for row in rows],
                on_behalf_of(user),
            )
    return [_summary(row) for row in rows], counts


async def counts(pool: asyncpg.Pool, user: User) -> dict[str, int]:
    team_id = _team_of(user)
    async with pool.acquire() as conn:
        return await case_store.tab_counts(conn, team_id, user.id)


async def case_view(pool: asyncpg.Pool, user: User, case_id: UUID) -> CaseView:
    team_id = _team_of(user)
    async with pool.acquire() as conn, conn.transaction():
        row = await case_store.team_case(conn, case_id, team_id)
        if row is None:
            raise NotFound("no such case")
        signals = await case_store.case_signals(conn, case_id)
        timeline = await case_store.case_timeline(conn, case_id)
        await audit.log_access(
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
            )
            for s in signals
        ],
        timeline=[
            TimelineEntry(
                at=t["occurred_at"],
                kind=t["kind"],
                actor=t["email"] or ("hub" if t["actor"] == "hub" else "partner"),
                detail=signal_store.open_event_data(t["data"] or {}),
            )
            for t in timeline
        ],
    )


async def act(pool: asyncpg.Pool, user: User, case_id: UUID, action: Action) -> CaseView:
    """Apply an action in one transaction: the case, its signals and an event move together."""
    team_id = _team_of(user)
    async with pool.acquire() as conn, conn.transaction():
        row = await case_store.team_case(conn, case_id, team_id, for_update=True)
        if row is None:
            raise NotFound("no such case")
        actor = Actor(Role(user.role), is_director=row["director_id"] == user.id)
        step = transition(CaseStatus(row["status"]), action, actor)
        director = user.id if step.takes_direction else row["director_id"]
        detail: dict[str, Any] = {}
        if isinstance(action, Assign):
            colleague = await user_by_email(conn, action.user)
            if colleague is None or colleague.team is None or colleague.team.id != team_id:
                message = "no colleague in this team with that e-mail address"
                raise InvalidFields(message, errors=[{"loc": ["action", "user"], "msg": message}])
            director = colleague.id
            detail["director"] = colleague.email
        if isinstance(action, ContactAttempt):
            detail["reached"] = action.reached
        if isinstance(action, Close):
            detail["outcome"] = action.outcome.value
        if isinstance(action, Return | Decline):
            detail["reason_sealed"] = signal_store.sealed_note(action.reason)
        closing = step.status not in (
            CaseStatus.NEW,
            CaseStatus.ACCEPTED,
            CaseStatus.CONTACTING,
            CaseStatus.REACHED,
        )
        await case_store.update_case(
            conn,
            case_id,
            status=step.status.value,
            director_id=director,
            outcome=action.outcome.value if isinstance(action, Close) else None,
            closing=closing,
        )
        signal_ids = await case_store.set_signals_of_case(
            conn,
            case_id,
            SIGNAL_STATUS_OF_CASE[step.status].value,
            to_queue=isinstance(action, Return),
            reason=action.reason if isinstance(action, Return) else None,
        )
        await case_store.append_case_event(conn, case_id, action.action, f"user:{user.id}", detail)
        now = await conn.fetchval("select now()")
        if isinstance(action, ContactAttempt) and action.reached:
            await on_case_step(conn, signal_ids, "first_contact", None, now)
        elif isinstance(action, Close):
            await on_case_step(conn, signal_ids, "outcome", action.outcome.value, now)
        elif isinstance(action, Decline):
            await on_case_step(conn, signal_ids, "outcome", "declined", now)
    return await case_view(pool, user, case_id)


@dataclass(frozen=True)
class QueuedSignal:
    id: UUID
    status: SignalStatus
    kind: SignalKind
    urgency: Urgency
    partner: str
    received_at: Any
    address: str
    explanation: str


async def coordinator_queue(pool: asyncpg.Pool, user: User) -> list[QueuedSignal]:
    if user.role != Role.COORDINATOR.value:
        raise NotFound("no such page")
    async with pool.acquire() as conn, conn.transaction():
        rows = await case_store.queue(conn)
        if rows:
            await audit.log_access(
                conn,
                f"user:{user.id}",
                "list_queue",
                "coordinator queue",
                [(f"signal:{row['id']}", row["household_id"]) for row in rows],
                on_behalf_of(user),
            )
    queued = []
    for row in rows:
        postcode = display_postcode(row["postcode"])
        if row["status"] == SignalStatus.RETURNED.value:
            explanation = f"Teruggestuurd door {row['returned_by'] or 'een wijkteam'}: " + (
                row["returned_reason"] or "geen reden gegeven"
            )
        else:
            explanation = f"Geen routeringsregel voor postcode {postcode} op de datum van ontvangst"
        queued.append(
            QueuedSignal(
                id=row["id"],
                status=SignalStatus(row["status"]),
                kind=SignalKind(row["kind"]),
                urgency=Urgency(row["urgency"]),
                partner=row["partner"],
                received_at=row["received_at"],
                address=f"{postcode} {row['house_number']}{row['house_letter']}"
                + (f"-{row['addition']}" if row["addition"] else ""),
                explanation=explanation,
            )
        )
    return queued


async def send_to_team(
    pool: asyncpg.Pool,
    user: User,
    signal_id: UUID,
    team_code: str,
    policy: IntakePolicy = DEFAULT_POLICY,
) -> None:
    """The coordinator routes a queued signal by hand; it joins that team's case."""
    if user.role != Role.COORDINATOR.value:
        raise Forbidden("only the coordinator routes signals by hand")
    async with pool.acquire() as conn, conn.transaction():
        team = await team_store.team_by_code(conn, team_code)
        if team is None:
            message = f"no team {team_code}"
            raise InvalidFields(message, errors=[{"loc": ["team"], "msg": message}])
        if await case_store.queued_signal(conn, signal_id) is None:
            raise NotFound("no such signal in the queue")
        await case_store.send_to_team(conn, signal_id, team.id, f"by hand -> {team.code}")
        await signal_store.append_events(
            conn, [(signal_id, "routed_by_hand", f"user:{user.id}", {"team": team.code})]
        )
        case = await case_store.attach_signal(conn, signal_id, policy.stacking_window)
        await mail_for_new_signals(
            conn,
            opened=[case.id] if case and case.opened else [],
            joined=[case.id] if case and not case.opened and case.director_id else [],
            public_url=policy.public_url,
        )
