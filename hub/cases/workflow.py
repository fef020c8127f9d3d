"""The status vocabulary of a case, written once: which statuses are open, how an action moves a
case, who may take it, and what a partner is told about its signal in each status. Pure.

new --take/assign--> accepted --contact attempt--> contacting (not reached) or reached
  --close(outcome)--> closed.  Any open case can be returned (misrouted: its signals go to the
coordinator queue) or declined, each with a reason. A team lead may reopen a closed or declined
case (within REOPEN_DAYS; the service checks the date); a note changes nothing, in any status.

Pages, the API, the FHIR Task, webhooks and mail all read this module; none keeps a copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, assert_never

from hub.platform.errors import Conflict, Forbidden
from schemas.cases import (
    AddNote,
    Assign,
    CaseAction,
    CaseStatus,
    Close,
    ContactAttempt,
    Decline,
    Outcome,
    Reopen,
    Return,
    Role,
    Take,
)
from schemas.signals import SignalStatus

OPEN: Final = frozenset(
    {CaseStatus.NEW, CaseStatus.ACCEPTED, CaseStatus.CONTACTING, CaseStatus.REACHED}
)
# Ended by the team, and within `REOPEN_DAYS` of that a lead may open it again.
REOPENABLE: Final = frozenset({CaseStatus.CLOSED, CaseStatus.DECLINED})
REOPEN_DAYS: Final = 30
# Open and someone's: the director works on it.
WORKING: Final = frozenset({CaseStatus.ACCEPTED, CaseStatus.CONTACTING, CaseStatus.REACHED})

# What a case's status means for each of its signals, as partners and FHIR Tasks see it.
SIGNAL_STATUS_OF_CASE: Final = {
    CaseStatus.NEW: SignalStatus.ROUTED,
    CaseStatus.ACCEPTED: SignalStatus.ACCEPTED,
    CaseStatus.CONTACTING: SignalStatus.IN_CONTACT,
    CaseStatus.REACHED: SignalStatus.IN_CONTACT,
    CaseStatus.CLOSED: SignalStatus.CLOSED,
    CaseStatus.RETURNED: SignalStatus.RETURNED,
    CaseStatus.DECLINED: SignalStatus.DECLINED,
}
# A signal in one of these no longer follows its case's steps.
SETTLED_SIGNAL: Final = frozenset(
    {
        SignalStatus.UNROUTED,
        SignalStatus.RETURNED,
        SignalStatus.DECLINED,
        SignalStatus.CLOSED,
        SignalStatus.OUT_OF_AREA,
        SignalStatus.WITHDRAWN,
    }
)
# A partner may withdraw its signal while someone may still work on it: waiting for the
# coordinator, or with a team that has not finished with it. Withdrawn, it stays withdrawn.
WITHDRAWABLE: Final = frozenset(
    {
        SignalStatus.ROUTED,
        SignalStatus.UNROUTED,
        SignalStatus.RETURNED,
        SignalStatus.ACCEPTED,
        SignalStatus.IN_CONTACT,
    }
)
# The steps a signal goes through, in order; it never goes back one. What a partner is told
# depends only on what happened since its own signal arrived: a signal that joins a case the
# team is already working on starts at `routed`, as for a household the hub has never seen, so
# no partner learns that another one signalled it (the case's status is the team's business).
PROGRESS: Final = (
    SignalStatus.ROUTED,
    SignalStatus.ACCEPTED,
    SignalStatus.IN_CONTACT,
    SignalStatus.CLOSED,
)
ON_ARRIVAL: Final = SignalStatus.ROUTED
# The FHIR Task.status of a signal (the Gravity Project's SDOH closed-loop referral pattern:
# requested -> accepted -> in-progress -> completed, or rejected; cancelled by its requester).
TASK_STATUS: Final = {
    SignalStatus.ROUTED: "requested",
    SignalStatus.UNROUTED: "requested",
    SignalStatus.RETURNED: "requested",
    SignalStatus.ACCEPTED: "accepted",
    SignalStatus.IN_CONTACT: "in-progress",
    SignalStatus.CLOSED: "completed",
    SignalStatus.DECLINED: "rejected",
    SignalStatus.OUT_OF_AREA: "rejected",
    SignalStatus.WITHDRAWN: "cancelled",
}


def is_open(status: CaseStatus) -> bool:
    return status in OPEN


def told_by(action: CaseAction, status: CaseStatus) -> SignalStatus:
    """What an action that moved the case to `status` tells each of its signals: taking or
    assigning a case says it was picked up, whatever the case's status was."""
    if isinstance(action, Take | Assign):
        return SignalStatus.ACCEPTED
    return SIGNAL_STATUS_OF_CASE[status]


@dataclass(frozen=True)
class Actor:
    role: Role
    is_director: bool


@dataclass(frozen=True)
class Transition:
    status: CaseStatus
    takes_direction: bool  # the actor becomes the director (take)


def _refuse(action: str, status: CaseStatus) -> Conflict:
    return Conflict(f"a case that is {status.value} cannot be given '{action}'")


def transition(status: CaseStatus, action: CaseAction, actor: Actor) -> Transition:
    """The case's next status, or Conflict (409) / Forbidden (403)."""
    if actor.role not in (Role.MEMBER, Role.LEAD):
        raise Forbidden("only the team's members and leads work on cases")
    if isinstance(action, AddNote):
        return Transition(status, takes_direction=False)
    if isinstance(action, Reopen):
        if status not in REOPENABLE:
            raise _refuse("reopen", status)
        if actor.role is not Role.LEAD:
            raise Forbidden("only a team lead reopens a case")
        return Transition(CaseStatus.ACCEPTED, takes_direction=False)
    if status not in OPEN:
        raise _refuse(action.action, status)
    match action:
        case Take():
            if status is not CaseStatus.NEW:
                raise _refuse("take", status)
            return Transition(CaseStatus.ACCEPTED, takes_direction=True)
        case Assign():
            if actor.role is not Role.LEAD:
                raise Forbidden("only a team lead assigns a case to a colleague")
            next_status = CaseStatus.ACCEPTED if status is CaseStatus.NEW else status
            return Transition(next_status, takes_direction=False)
        case ContactAttempt(reached=reached):
            if status not in WORKING:
                raise _refuse("contact_attempt", status)
            _check_director(actor)
            if reached or status is CaseStatus.REACHED:
                return Transition(CaseStatus.REACHED, takes_direction=False)
            return Transition(CaseStatus.CONTACTING, takes_direction=False)
        case Close():
            if status not in WORKING:
                raise _refuse("close", status)
            _check_director(actor)
            return Transition(CaseStatus.CLOSED, takes_direction=False)
        case Return():
            return Transition(CaseStatus.RETURNED, takes_direction=False)
        case Decline():
            return Transition(CaseStatus.DECLINED, takes_direction=False)
        case AddNote() | Reopen():  # answered above, whatever the status
            raise AssertionError("unreachable")
        case _:
            assert_never(action)


def _check_director(actor: Actor) -> None:
    if not actor.is_director and actor.role is not Role.LEAD:
        raise Forbidden("only the case's director or the team lead can do this")


# One action of each kind, to ask the machine what it allows (values do not matter to it).
_EACH_ACTION: Final[tuple[CaseAction, ...]] = (
    Take(action="take"),
    Assign(action="assign", user="colleague@example.invalid"),
    ContactAttempt(action="contact_attempt", reached=True),
    Close(action="close", outcome=Outcome.OTHER),
    Return(action="return", reason="-"),
    Decline(action="decline", reason="-"),
    AddNote(action="note", note="-"),
    Reopen(action="reopen"),
)


def allowed_actions(status: CaseStatus, actor: Actor) -> frozenset[str]:
    """The actions `actor` may take on a case in `status`: what `transition` accepts."""
    allowed = set()
    for action in _EACH_ACTION:
        try:
            transition(status, action, actor)
        except (Conflict, Forbidden):
            continue
        allowed.add(action.action)
    return frozenset(allowed)
