"""Cases: one household, one plan, one director; and the actions a team takes on them."""

from __future__ import annotations

from datetime import date
from enum import StrEnum
from typing import Annotated, Literal
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, RootModel, StringConstraints

from schemas.address import Address
from schemas.signals import (
    PartnerKind,
    ResidentInformed,
    SignalKind,
    SignalStatus,
    TeamRef,
    Urgency,
)


class CaseStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    CONTACTING = "contacting"  # tried, not reached yet
    REACHED = "reached"
    CLOSED = "closed"
    RETURNED = "returned"
    DECLINED = "declined"


class Outcome(StrEnum):
    HELP_STARTED = "help_started"
    REFERRED_ELSEWHERE = "referred_elsewhere"
    NO_HELP_NEEDED = "no_help_needed"
    NOT_REACHED = "not_reached"
    DECLINED = "declined"
    REPEAT_SIGNAL = "repeat_signal"
    OUT_OF_AREA = "out_of_area"
    OTHER = "other"


class Role(StrEnum):
    """What a person in the hub is: a partner's employee, or one of the municipality's."""

    PARTNER = "partner"
    MEMBER = "member"
    LEAD = "lead"
    COORDINATOR = "coordinator"
    MANAGER = "manager"
    ADMIN = "admin"


Reason = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=500)]
# A line of the team's own about a step or the case: sealed like a resident's data, shown in the
# timeline with its author and time, never to partners.
Note = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=1000)]


class _Action(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Take(_Action):
    action: Literal["take"]


class Assign(_Action):
    action: Literal["assign"]
    user: Annotated[
        str,
        StringConstraints(
            strip_whitespace=True, min_length=3, max_length=254, pattern=r"^[^\x00-\x1f\x7f]+$"
        ),
    ]


class ContactAttempt(_Action):
    action: Literal["contact_attempt"]
    reached: bool = Field(strict=True)
    note: Note | None = None


class Close(_Action):
    action: Literal["close"]
    outcome: Outcome
    note: Note | None = None


class AddNote(_Action):
    """A note of the team's on the case, in any status; it changes nothing else."""

    action: Literal["note"]
    note: Note


class Reopen(_Action):
    """A team lead opens a case closed or declined in the last 30 days again."""

    action: Literal["reopen"]
    note: Note | None = None


class Return(_Action):
    action: Literal["return"]
    reason: Reason


class Decline(_Action):
    action: Literal["decline"]
    reason: Reason


CaseAction = Take | Assign | ContactAttempt | Close | Return | Decline | AddNote | Reopen


class CaseActionIn(RootModel[Annotated[CaseAction, Field(discriminator="action")]]):
    """The body of `POST /api/v1/cases/{id}/actions`: one action, named by its `action` field,
    e.g. `{"action": "take"}` or `{"action": "close", "outcome": "help_started"}`."""


class CaseSignal(BaseModel):
    id: UUID
    partner: str
    partner_kind: PartnerKind
    kind: SignalKind
    urgency: Urgency
    status: SignalStatus
    received_at: AwareDatetime
    description: str
    person_name: str | None
    person_birth_date: date | None
    resident_informed: ResidentInformed
    repeat_of: UUID | None


class TimelineEntry(BaseModel):
    at: AwareDatetime
    kind: str
    actor: str
    actor_name: str | None = Field(default=None, description="The staff member's name, if set.")
    detail: dict[str, object]


class CaseFilter(BaseModel):
    """Which cases of a tab to list: all that match every field given."""

    model_config = ConfigDict(extra="forbid")

    status: CaseStatus | None = None
    kind: SignalKind | None = None
    partner: UUID | None = Field(default=None, description="Cases with a signal of this partner.")
    director: Literal["me", "nobody"] | None = None
    overdue: bool = Field(default=False, description="Only cases with a feedback deadline past.")

    @property
    def empty(self) -> bool:
        return self == CaseFilter()


class CaseSummary(BaseModel):
    id: UUID
    status: CaseStatus
    team: TeamRef
    director: str | None
    director_name: str | None = Field(
        default=None, description="The director's name as pages show it, if one is set."
    )
    stacked: bool
    urgency: Urgency
    outcome: Outcome | None
    household: Address
    signal_count: int
    kinds: list[SignalKind] = Field(default_factory=list, description="The kinds of its signals.")
    partners: list[str] = Field(
        default_factory=list, description="The partners whose signals the case holds."
    )
    feedback_due: date | None = Field(
        description="The earliest feedback deadline still open for a partner of this case."
    )
    feedback_step: str | None = Field(
        default=None,
        description="The step of that deadline: received, first_contact or outcome.",
    )
    feedback_overdue: bool
    opened_at: AwareDatetime
    updated_at: AwareDatetime
    closed_at: AwareDatetime | None


class EarlierCase(BaseModel):
    """An earlier case of the same household with the same team, closed within the stacking
    window: the team sees what was tried before."""

    id: UUID
    status: CaseStatus
    outcome: Outcome | None
    opened_at: AwareDatetime
    closed_at: AwareDatetime | None


class CaseView(CaseSummary):
    signals: list[CaseSignal]
    timeline: list[TimelineEntry]
    earlier: list[EarlierCase] = Field(default_factory=list)


class CaseList(BaseModel):
    items: list[CaseSummary]
