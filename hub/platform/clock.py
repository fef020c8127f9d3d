"""Local time: the hub's days, deadlines and weeks are those of the Netherlands."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

LOCAL_TIME = ZoneInfo("Europe/Amsterdam")


def local_day(moment: datetime) -> date:
    """The calendar day in the Netherlands at `moment` (an aware datetime)."""
    return moment.astimezone(LOCAL_TIME).date()


def today() -> date:
    return datetime.now(LOCAL_TIME).date()
