"""The case status machine: which action may move a case where, and who may take it. Pure.

new --take/assign--> accepted --contact attempt--> contacting (not reached) or reached
  --close(outcome)--> closed.  Any open case can be returned (misrouted: its signals go to the
coordinator queue) or declined, each with a reason.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import assert_never

from hub.errors import Conflict, Forbidden
from schemas.cases import (
    OPEN_STATUSES,
    Assign,
    CaseStatus,
    Close,
    ContactAttempt,
    Decline,
    Return,
    Role,
    Take,
)
from schemas.signals import SignalStatus

Action = Take | Assign | ContactAttempt | Close | Return | Decline


@dataclass(frozen=True)
class Actor:
    role: Role
    is_director: bool


@dataclass(frozen=True)
class Transition:
    status: CaseStatus
    takes_direction: bool  # the actor becomes the director (take)


# What a case's status means for each of its signals, as partners and Tasks see it.
SIGNAL_STATUS_OF_CASE = {
    CaseStatus.NEW: SignalStatus.ROUTED,
    CaseStatus.ACCEPTED: SignalStatus.ACCEPTED,
    CaseStatus.CONTACTING: SignalStatus.IN_CONTACT,
    CaseStatus.REACHED: SignalStatus.IN_CONTACT,
    CaseStatus.CLOSED: SignalStatus.CLOSED,
    CaseStatus.RETURNED: SignalStatus.RETURNED,
    CaseStatus.DECLINED: SignalStatus.DECLINED,
}

_WORKING = frozenset({CaseStatus.ACCEPTED, CaseStatus.CONTACTING, CaseStatus.REACHED})


def _refuse(action: str, status: CaseStatus) -> Conflict:
    return Conflict(f"a case that is {status.value} cannot be given '{action}'")


def transition(status: CaseStatus, action: Action, actor: Actor) -> Transition:
    """The case's next status, or Conflict (409) / Forbidden (403)."""
    if actor.role not in (Role.MEMBER, Role.LEAD):
        raise Forbidden("only the team's members and leads work on cases")
    if status not in OPEN_STATUSES:
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
            if status not in _WORKING:
                raise _refuse("contact_attempt", status)
            _check_director(actor)
            if reached or status is CaseStatus.REACHED:
                return Transition(CaseStatus.REACHED, takes_direction=False)
            return Transition(CaseStatus.CONTACTING, takes_direction=False)
        case Close():
            if status not in _WORKING:
                raise _refuse("close", status)
            _check_director(actor)
            return Transition(CaseStatus.CLOSED, takes_direction=False)
        case Return():
            return Transition(CaseStatus.RETURNED, takes_direction=False)
        case Decline():
            return Transition(CaseStatus.DECLINED, takes_direction=False)
        case _:
            assert_never(action)


def _check_director(actor: Actor) -> None:
    if not actor.is_director and actor.role is not Role.LEAD:
        raise Forbidden("only the case's director or the team lead can do this")
