"""Managers' figures as the API answers them: aggregates of cases, never a resident or a named
person. A count of 1 to 4 reads "<5", and a figure that would tell such a count is left out."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, Field

# A count as a manager may see it: 0, or 5 and more; 1 to 4 as "<5".
Count = Annotated[int | Literal["<5"], Field(description='A count; 1 to 4 read "<5"')]


class WeekInflow(BaseModel):
    week: str = Field(description="ISO week, e.g. 2026-W14", examples=["2026-W14"])
    starts_on: date = Field(description="The Monday it starts")
    new_cases: Count


class TeamLoad(BaseModel):
    """One team's open work against what it can carry."""

    code: str
    name: str
    municipality: str
    open_cases: Count = Field(description="Cases not closed, returned or declined")
    capacity: int | None = Field(
        description="Open cases the team can carry, as an administrator set it; null: not set"
    )
    load: float | None = Field(
        description="open_cases / capacity; null without a capacity or beside a masked count"
    )
    over_capacity: bool | None = Field(
        description="More open cases than the capacity; null where load is null"
    )
    new_cases_per_week: list[WeekInflow] = Field(description="Cases opened per week, oldest first")
    first_contacts: Count = Field(
        description="Cases whose first contact attempt fell in the last `contact_weeks` weeks"
    )
    median_working_days_to_first_contact: float | None = Field(
        description="Over those cases, from the case's first signal to its first contact "
        "attempt; null for fewer than 5 cases"
    )
    overdue_obligations: Count = Field(
        description="Feedback promised for the team's signals, past its day and not given"
    )
    workers: int = Field(description="Active members and leads of the team")
    open_per_worker: float | None = Field(
        description="Open cases its workers direct, on average; null without workers or "
        "beside a masked count"
    )
    most_open_one_worker: Count | None = Field(
        description="The most open cases one worker directs (no names); null for fewer than "
        "2 workers"
    )
    unassigned_open_cases: Count = Field(description="Open cases without a director")


class TeamLoadReport(BaseModel):
    """Every team's load: above capacity first, then by load, highest first."""

    as_of: date
    municipality: str | None
    weeks: int = Field(description="Weeks of new cases per team, the current one included")
    contact_weeks: int = Field(description="Weeks over which first contacts are measured")
    teams: list[TeamLoad]
