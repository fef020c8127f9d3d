"""Team load: the figures per worker are shown only where they tell no masked count."""

from __future__ import annotations

from hub.cases.load import TeamFigures, shown_load


def figures(**changes: int) -> TeamFigures:
    values = {
        "open_cases": 30,
        "unassigned": 6,
        "workers": 3,
        "directed": 24,
        "most_one_worker": 12,
    } | changes
    return TeamFigures(
        code="SWT-X",
        name="Team X",
        municipality="Haarlem",
        capacity=20,
        overdue_obligations=0,
        new_per_week=[],
        **values,
    )


def test_a_team_with_room_to_hide_shows_its_spread() -> None:
    load = shown_load(figures())
    assert load.open_per_worker == 8.0
    assert load.most_open_one_worker == 12


def test_the_average_is_left_out_where_it_tells_the_cases_without_a_director() -> None:
    load = shown_load(figures(open_cases=27, unassigned=3, directed=24))  # 27 - 8.0 x 3 = 3
    assert load.open_per_worker is None
    assert load.unassigned_open_cases == "<5"


def test_with_two_workers_the_highest_tells_the_other() -> None:
    assert (
        shown_load(figures(workers=2, directed=24, most_one_worker=21)).most_open_one_worker is None
    )
    assert (
        shown_load(figures(workers=2, directed=24, most_one_worker=12)).most_open_one_worker == 12
    )
    assert (
        shown_load(figures(workers=1, directed=24, most_one_worker=24)).most_open_one_worker is None
    )
