"""Cases: one household, one plan, one director; and the actions a team takes on them."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Final, Literal, Self
from uuid import UUID
from zoneinfo import ZoneInfo

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    RootModel,
    StringConstraints,
    model_validator,
)

from schemas.address import Address
from schemas.early_debt import ContactKind, DayPart, EarlyDebtResult
from schemas.signals import (
    Arrears,
    Coding,
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


# The hub's own outcome for each national end result of an early-debt case ...
OUTCOME_OF_RESULT: Final = {
    EarlyDebtResult.ADVICE_QUICK_FIX: Outcome.HELP_STARTED,
    EarlyDebtResult.NEVER_REACHED: Outcome.NOT_REACHED,
    EarlyDebtResult.NO_REACTION_AFTER_CONTACT: Outcome.NOT_REACHED,
    EarlyDebtResult.KNOWN_TO_DEBT_SERVICE: Outcome.REFERRED_ELSEWHERE,
    EarlyDebtResult.OTHER_TRACK: Outcome.REFERRED_ELSEWHERE,
    EarlyDebtResult.PAID_OR_ARRANGED: Outcome.NO_HELP_NEEDED,
    EarlyDebtResult.DECEASED: Outcome.OTHER,
    EarlyDebtResult.MANAGES_ALONE: Outcome.DECLINED,
    EarlyDebtResult.NOT_TAKEN_OTHER_REASON: Outcome.OTHER,
    EarlyDebtResult.NOT_TAKEN_REPEAT: Outcome.REPEAT_SIGNAL,
    EarlyDebtResult.NOT_TAKEN_UNFOUNDED: Outcome.OTHER,
    EarlyDebtResult.NOT_A_RESIDENT: Outcome.OUT_OF_AREA,
    EarlyDebtResult.FOLLOW_UP: Outcome.HELP_STARTED,
    EarlyDebtResult.FOLLOW_UP_FINANCIAL: Outcome.HELP_STARTED,
    EarlyDebtResult.FOLLOW_UP_NON_FINANCIAL: Outcome.HELP_STARTED,
    EarlyDebtResult.REFERRED_WITHOUT_RESIDENT: Outcome.REFERRED_ELSEWHERE,
}
# ... and the national end result of an early-debt case closed with only the hub's outcome.
RESULT_OF_OUTCOME: Final = {
    Outcome.HELP_STARTED: EarlyDebtResult.FOLLOW_UP,
    Outcome.REFERRED_ELSEWHERE: EarlyDebtResult.FOLLOW_UP,
    Outcome.NO_HELP_NEEDED: EarlyDebtResult.MANAGES_ALONE,
    Outcome.NOT_REACHED: EarlyDebtResult.NEVER_REACHED,
    Outcome.DECLINED: EarlyDebtResult.MANAGES_ALONE,
    Outcome.REPEAT_SIGNAL: EarlyDebtResult.NOT_TAKEN_REPEAT,
    Outcome.OUT_OF_AREA: EarlyDebtResult.NOT_A_RESIDENT,
    Outcome.OTHER: EarlyDebtResult.NOT_TAKEN_OTHER_REASON,
}


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


AMSTERDAM = ZoneInfo("Europe/Amsterdam")


def _not_in_future(value: date) -> date:
    # "Today" where the team works: a server on UTC would refuse the page's own default date
    # in the first hour or two of a Dutch day.
    if value > datetime.now(AMSTERDAM).date() or value < date(2000, 1, 1):
        raise ValueError("a contact attempt happened on a day between 2000-01-01 and today")
    return value


class ContactAttempt(_Action):
    """An attempt to reach the resident, as the national early-debt model records one: how,
    reached or not, on which day and in which part of it (all but `reached` optional)."""

    action: Literal["contact_attempt"]
    reached: bool = Field(strict=True)
    how: ContactKind | None = None
    on: Annotated[date, AfterValidator(_not_in_future)] | None = Field(
        default=None, description="The day of the attempt; today if left out."
    )
    part_of_day: DayPart | None = None
    note: Note | None = None


class Close(_Action):
    """Closing with the hub's outcome, or for an early-debt case with the national end result
    (`early_debt_result`), from which the outcome follows when it is left out."""

    action: Literal["close"]
    outcome: Outcome | None = None
    early_debt_result: EarlyDebtResult | None = None
    note: Note | None = None

    @model_validator(mode="after")
    def _an_outcome(self) -> Self:
        if self.outcome is None:
            if self.early_debt_result is None:
                raise ValueError("give an outcome (or an early_debt_result)")
            self.outcome = OUTCOME_OF_RESULT[self.early_debt_result]
        elif self.early_debt_result and OUTCOME_OF_RESULT[self.early_debt_result] != self.outcome:
            expected = OUTCOME_OF_RESULT[self.early_debt_result].value
            raise ValueError(
                f"the outcome of early_debt_result {self.early_debt_result.value} is {expected}; "
                "leave the outcome out or make it match"
            )
        return self

    @property
    def final_outcome(self) -> Outcome:
        """The outcome, given or following from the national end result."""
        if self.outcome is not None:
            return self.outcome
        # Not reached: the validator sets the outcome where only the end result was given.
        return OUTCOME_OF_RESULT[self.early_debt_result or EarlyDebtResult.NOT_TAKEN_OTHER_REASON]


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
    coding: Coding | None = Field(
        default=None, description="The code the referrer's system gave the concern, as sent."
    )
    arrears: Arrears | None = Field(
        default=None, description="Payment arrears: the amount and, for early debt, its facts."
    )


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
