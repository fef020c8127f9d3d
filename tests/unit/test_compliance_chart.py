"""The compliance chart's arithmetic: weeks, masked bars, a share only where it tells nothing."""

from __future__ import annotations

from datetime import date

from hub.web.pages.compliance import Tally, axis, chart, weeks_until


def test_weeks_end_with_the_running_one_across_a_new_year() -> None:
    weeks = weeks_until(date(2027, 1, 6), count=2)
    assert [(week.label, week.running) for week in weeks] == [
        ("week 52", False),
        ("week 53", False),
        ("week 1", True),
    ]
    assert weeks[-1].key == "2027-W01"
    assert weeks[0].monday == date(2026, 12, 21)


def test_bars_are_masked_and_the_share_is_left_out_where_it_would_tell() -> None:
    weeks = weeks_until(date(2026, 11, 25), count=2)
    weeks[0].steps["outcome"].add({"due": 21, "met_on_time": 15, "met_late": 5, "overdue": 1})
    weeks[1].steps["outcome"].add({"due": 3, "met_on_time": 3, "met_late": 0, "overdue": 0})
    drawn = chart(weeks, "outcome", target=90)
    first, second, running = drawn["bars"]
    what = [part["what"] for part in first["parts"]]
    assert what == ["op tijd", "te laat", "verlopen, nog open"]
    # 1 overdue is drawn as high as any masked count (2.5), 3 on time too: the drawing tells
    # no more than the "<5" in the table.
    assert second["parts"][0]["h"] == first["parts"][2]["h"]
    assert first["parts"][1]["h"] > first["parts"][2]["h"]
    assert [point["x"] for point in drawn["points"]] == [first["centre"]]  # 15 of 21 only
    assert running["running"]
    assert running["parts"] == []
    ticks = [tick["label"] for tick in drawn["ticks"]]
    assert ticks == ["0", "5", "10", "15", "20", "25"]  # the axis reaches the tallest bar
    assert drawn["target_y"] < drawn["base"]


def test_a_tally_shows_its_share_only_without_small_counts() -> None:
    tally = Tally(due=25, met_on_time=24)
    assert tally.percent() == "\u2013"  # 96% of 25 would say that one was missed
    assert Tally(due=25, met_on_time=20, overdue=5).percent() == "80%"


def test_the_axis_has_about_five_round_ticks() -> None:
    assert axis(0) == (1, 5)
    assert axis(2.5) == (1, 5)
    assert axis(7) == (2, 8)
    assert axis(21) == (5, 25)
    assert axis(99) == (20, 100)
    assert axis(1234) == (500, 1500)
