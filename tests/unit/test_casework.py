from __future__ import annotations

import pytest

from hub.cases.workflow import Actor, transition
from hub.platform.errors import Conflict, Forbidden
from schemas.cases import (
    AddNote,
    Assign,
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

NEW, ACCEPTED, CONTACTING, REACHED = (
    CaseStatus.NEW,
    CaseStatus.ACCEPTED,
    CaseStatus.CONTACTING,
    CaseStatus.REACHED,
)
CLOSED, RETURNED, DECLINED = CaseStatus.CLOSED, CaseStatus.RETURNED, CaseStatus.DECLINED
MEMBER = Actor(Role.MEMBER, is_director=False)
DIRECTOR = Actor(Role.MEMBER, is_director=True)
LEAD = Actor(Role.LEAD, is_director=False)

TAKE = Take(action="take")
ASSIGN = Assign(action="assign", user="collega@example.invalid")
TRIED = ContactAttempt(action="contact_attempt", reached=False)
REACHED_THEM = ContactAttempt(action="contact_attempt", reached=True)
CLOSE = Close(action="close", outcome=Outcome.HELP_STARTED)
RETURN = Return(action="return", reason="Adres hoort bij Bloemendaal")
DECLINE = Decline(action="decline", reason="Geen taak van het wijkteam")
NOTE = AddNote(action="note", note="Gebeld met de huisarts")
REOPEN = Reopen(action="reopen")


@pytest.mark.parametrize(
    ("status", "action", "actor", "expected"),
    [
        (NEW, TAKE, MEMBER, ACCEPTED),
        (NEW, ASSIGN, LEAD, ACCEPTED),
        (ACCEPTED, ASSIGN, LEAD, ACCEPTED),
        (CONTACTING, ASSIGN, LEAD, CONTACTING),
        (ACCEPTED, TRIED, DIRECTOR, CONTACTING),
        (CONTACTING, TRIED, DIRECTOR, CONTACTING),
        (CONTACTING, REACHED_THEM, DIRECTOR, REACHED),
        (ACCEPTED, REACHED_THEM, LEAD, REACHED),
        (REACHED, TRIED, DIRECTOR, REACHED),  # once reached, a missed call does not undo it
        (ACCEPTED, CLOSE, DIRECTOR, CLOSED),
        (CONTACTING, CLOSE, DIRECTOR, CLOSED),
        (REACHED, CLOSE, LEAD, CLOSED),
        (NEW, RETURN, MEMBER, RETURNED),
        (REACHED, RETURN, DIRECTOR, RETURNED),
        (NEW, DECLINE, MEMBER, DECLINED),
        (ACCEPTED, DECLINE, LEAD, DECLINED),
        (NEW, NOTE, MEMBER, NEW),  # a note changes nothing, in any status
        (REACHED, NOTE, MEMBER, REACHED),
        (CLOSED, NOTE, DIRECTOR, CLOSED),
        (CLOSED, REOPEN, LEAD, ACCEPTED),
        (DECLINED, REOPEN, LEAD, ACCEPTED),
    ],
)
def test_allowed_transitions(
    status: CaseStatus, action: object, actor: Actor, expected: CaseStatus
) -> None:
    assert transition(status, action, actor).status is expected  # type: ignore[arg-type]


def test_take_makes_the_actor_director() -> None:
    assert transition(NEW, TAKE, MEMBER).takes_direction
    assert not transition(NEW, ASSIGN, LEAD).takes_direction


@pytest.mark.parametrize(
    ("status", "action", "actor", "error"),
    [
        (ACCEPTED, TAKE, MEMBER, Conflict),  # it has a director already
        (NEW, TRIED, LEAD, Conflict),  # nobody took it yet
        (NEW, CLOSE, LEAD, Conflict),
        (NEW, ASSIGN, MEMBER, Forbidden),  # assigning is the lead's
        (ACCEPTED, TRIED, MEMBER, Forbidden),  # not the director
        (ACCEPTED, CLOSE, MEMBER, Forbidden),
        (CLOSED, TAKE, MEMBER, Conflict),
        (CLOSED, REACHED_THEM, DIRECTOR, Conflict),
        (CLOSED, RETURN, LEAD, Conflict),
        (RETURNED, DECLINE, LEAD, Conflict),
        (DECLINED, CLOSE, LEAD, Conflict),
        (NEW, TAKE, Actor(Role.COORDINATOR, is_director=False), Forbidden),
        (NEW, TAKE, Actor(Role.MANAGER, is_director=False), Forbidden),
        (CLOSED, REOPEN, DIRECTOR, Forbidden),  # reopening is the lead's
        (REACHED, REOPEN, LEAD, Conflict),  # it is open
        (RETURNED, REOPEN, LEAD, Conflict),  # the coordinator has its signals now
        (CLOSED, NOTE, Actor(Role.COORDINATOR, is_director=False), Forbidden),
    ],
)
def test_refused_transitions(
    status: CaseStatus, action: object, actor: Actor, error: type[Exception]
) -> None:
    with pytest.raises(error):
        transition(status, action, actor)  # type: ignore[arg-type]
