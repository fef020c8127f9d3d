"""The partner survey: what partners are asked, and its results as managers see them.

Partners rate statements about each team they worked with on a five-point agree scale (or
"don't know", which is not counted). Results are aggregates per team and statement: no answer of
one partner is ever shown. A count of 1 to 4 reads "<5", a total that would tell such a count
beside its parts reads "ca. N", and a share that would tell one is left out (null).
"""

from __future__ import annotations

from datetime import date
from enum import IntEnum, StrEnum
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field

from schemas.metrics import Count
from schemas.signals import PartnerKind


class Theme(StrEnum):
    """What a statement is about: the seven themes the municipality has asked partners about."""

    VISIBILITY = "visibility"  # the team is visible in the district
    REACHABILITY = "reachability"
    TAILORED_SUPPORT = "tailored_support"  # support fits the resident
    EXPERTISE = "expertise"
    AGREEMENTS_POSSIBLE = "agreements_possible"  # feedback agreements can be made
    AGREEMENTS_KEPT = "agreements_kept"  # and they are kept
    CLARITY = "clarity"  # it is clear what the team is for


class Score(IntEnum):
    """The five-point agree scale; "don't know" is no score (null)."""

    STRONGLY_DISAGREE = 1
    DISAGREE = 2
    NEUTRAL = 3
    AGREE = 4
    STRONGLY_AGREE = 5


AGREEING = frozenset({Score.AGREE, Score.STRONGLY_AGREE})
DISAGREEING = frozenset({Score.DISAGREE, Score.STRONGLY_DISAGREE})

# A total beside its parts: exact, "<5", or to the nearest ten ("ca. 20") where exact it would
# tell a masked part.
Total = Annotated[
    int | str, Field(description='A count; 1 to 4 read "<5", "ca. N" where exact it would tell one')
]
Share = Annotated[
    float | None,
    Field(description="A share from 0 to 1; null where it would tell a count of 1 to 4"),
]


class Frozen(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SurveySummary(Frozen):
    id: UUID
    team: str | None = Field(description="The one team it asks about; null: every team")
    opened_on: date
    closes_on: date = Field(description="The last day answers are taken (Dutch time)")
    covers_from: date = Field(description="The period partners judge and the hub measures")
    covers_to: date
    open: bool
    statements: int
    invited: Count = Field(description="Partner organisations invited")
    answered: Count = Field(description="Of those, partners that answered")
    response_rate: Share


class SurveyList(Frozen):
    surveys: list[SurveySummary] = Field(description="Newest first")


class EarlierShare(Frozen):
    survey: UUID
    closes_on: date
    answers: Total
    agree_share: Share


class StatementResult(Frozen):
    """One statement for one team (or all teams together): how partners rated it."""

    statement: int = Field(description="The statement's id: the same across surveys")
    theme: Theme | None
    text: str = Field(description="The statement as partners read it in this survey")
    answers: Total = Field(description="Partners that rated it ('don't know' not counted)")
    agree: Count
    neutral: Count
    disagree: Count
    dont_know: Count
    agree_share: Share
    neutral_share: Share
    disagree_share: Share
    earlier: list[EarlierShare] = Field(
        description="The same statement in earlier surveys of the same team, oldest first"
    )


class TeamResult(Frozen):
    code: str
    name: str
    invited: Count = Field(description="Partners invited to rate this team")
    answered: Count = Field(description="Partners that answered for this team")
    response_rate: Share
    statements: list[StatementResult]
    comments: list[str] | None = Field(
        description="Partners' comments on the team, in no particular order; null where fewer "
        "than five partners answered for it"
    )


class Finding(StrEnum):
    RATED_LOWER = "rated_lower"  # partners rate feedback lower than it was delivered
    RATED_HIGHER = "rated_higher"  # higher than delivered


class VerdictRow(Frozen):
    """'Agreements are kept' as partners rate it, beside the share of feedback deadlines the hub
    measured as met on time in the same period, for one team or one kind of partner."""

    team: str | None
    team_name: str | None
    partner_kind: PartnerKind | None
    answers: Total = Field(description="Partners' ratings of the statement")
    rated_kept: Share = Field(description="Share of them agreeing that agreements are kept")
    due: Total = Field(description="Feedback deadlines in the period (not counting receipt)")
    on_time: Count
    measured_on_time: Share
    gap_points: int | None = Field(
        description="rated_kept minus measured_on_time, in percentage points; null where "
        "either is not shown"
    )
    finding: Finding | None = Field(
        description="A gap of at least the threshold (20 points, at least 5 ratings and 5 "
        "deadlines): also a weak link of the network"
    )


class SurveyResults(Frozen):
    survey: SurveySummary
    all_teams: list[StatementResult] = Field(
        description="Every statement over every team together (a partner counts once per team)"
    )
    teams: list[TeamResult]
    verdict_by_team: list[VerdictRow]
    verdict_by_partner_kind: list[VerdictRow]
