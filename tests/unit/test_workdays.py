from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.feedback.workdays import WorkingDays, general_holidays

# The general holidays of the Algemene termijnenwet, by hand from the calendar.
EXPECTED = {
    2024: ["01-01", "03-29", "04-01", "04-27", "05-05", "05-09", "05-20", "12-25", "12-26"],
    2025: ["01-01", "04-18", "04-21", "04-26", "05-05", "05-29", "06-09", "12-25", "12-26"],
    2026: ["01-01", "04-03", "04-06", "04-27", "05-05", "05-14", "05-25", "12-25", "12-26"],
    2027: ["01-01", "03-26", "03-29", "04-27", "05-05", "05-06", "05-17", "12-25", "12-26"],
    2028: ["01-01", "04-14", "04-17", "04-27", "05-05", "05-25", "06-05", "12-25", "12-26"],
    2031: ["01-01", "04-11", "04-14", "04-26", "05-05", "05-22", "06-02", "12-25", "12-26"],
}


@pytest.mark.parametrize("year", sorted(EXPECTED))
def test_general_holidays_per_year(year: int) -> None:
    expected = {date.fromisoformat(f"{year}-{day}") for day in EXPECTED[year]}
    weekdays_only = {day for day in general_holidays(year) if day.weekday() < 5}
    assert weekdays_only == {day for day in expected if day.weekday() < 5}
    assert expected <= general_holidays(year)


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-11-20", 0, "2026-11-20"),  # a Friday, at once
        ("2026-11-20", 1, "2026-11-23"),  # over the weekend
        ("2026-11-21", 1, "2026-11-23"),  # received on a Saturday
        ("2026-11-16", 5, "2026-11-23"),
        ("2026-12-23", 2, "2026-12-28"),  # Christmas and Boxing Day (a Saturday)
        ("2026-12-24", 1, "2026-12-28"),
        ("2026-04-02", 1, "2026-04-07"),  # Good Friday and Easter Monday
        ("2026-04-24", 3, "2026-04-30"),  # King's Day, Monday 27 April
        ("2026-05-04", 1, "2026-05-06"),  # Liberation Day, every year
        ("2026-05-13", 1, "2026-05-15"),  # Ascension Day
        ("2026-05-22", 1, "2026-05-26"),  # Whit Monday
        ("2025-04-25", 1, "2025-04-28"),  # 2025: King's Day on Saturday 26 April
        ("2027-12-31", 1, "2028-01-03"),  # over New Year and a weekend
        ("2026-11-02", 20, "2026-11-30"),
    ],
)
def test_deadline_in_working_days(start: str, days: int, due: str) -> None:
    assert WorkingDays().add(date.fromisoformat(start), days) == date.fromisoformat(due)


def test_extra_days_set_by_an_administrator() -> None:
    bridge = date(2026, 5, 15)  # the Friday after Ascension
    assert WorkingDays().add(date(2026, 5, 13), 1) == bridge
    assert WorkingDays(extra=[bridge]).add(date(2026, 5, 13), 1) == date(2026, 5, 18)


def test_previous_working_day() -> None:
    assert WorkingDays().previous(date(2026, 12, 28)) == date(2026, 12, 24)
    assert WorkingDays().previous(date(2026, 4, 7)) == date(2026, 4, 2)


def test_many_pairs_at_once_count_as_one_pair_at_a_time() -> None:
    """`between_all` (numpy's business-day count) against `between` (a day at a time) over
    pairs across year ends, holidays, weekends, an extra day, the same day and a reversed
    pair."""
    import random

    days = WorkingDays([date(2026, 11, 27), date(2025, 12, 24)])
    draw = random.Random(7)  # noqa: S311 - test data
    base = date(2024, 12, 1)
    starts = [base + timedelta(days=draw.randrange(800)) for _ in range(2000)]
    ends = [start + timedelta(days=draw.randrange(-5, 120)) for start in starts]
    starts += [date(2026, 4, 3), date(2026, 11, 26)]  # Good Friday; the day before the extra
    ends += [date(2026, 4, 3), date(2026, 11, 30)]
    expected = [days.between(start, end) for start, end in zip(starts, ends, strict=True)]
    assert days.between_all(starts, ends) == expected
    assert expected[-2:] == [0, 1]  # the same day; Friday the 27th off, the weekend, Monday
    assert days.between_all([], []) == []
