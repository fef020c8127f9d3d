"""The managers' team-load page: each team's open cases against its capacity, with the figures
behind it; aggregates only, small counts masked (the service masks them)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from hub.cases.load import team_load
from hub.directory.service import list_teams
from hub.privacy.masking import drawn
from hub.web.access import session_of
from hub.web.appkeys import POOL
from hub.web.downloads import csv_download
from hub.web.problems import PageError
from hub.web.render import render
from schemas.metrics import TeamLoad, WeekInflow

routes = web.RouteTableDef()

# The small bar chart of new cases per week, per team: one scale for every team, so that a
# quiet team looks quiet beside a busy one. PAD leaves room for the first and last number.
BAR, GAP, PAD, BARS_HEIGHT, LABELS_HEIGHT = 12, 4, 5, 26, 12
NONE = "-"  # a figure not set, or not shown (it would tell a count of 1 to 4)


def decimal(value: float | None) -> str:
    """A figure with a decimal comma ("2,5"; "2" rather than "2,0")."""
    if value is None:
        return NONE
    return f"{value:.1f}".replace(".", ",").removesuffix(",0")


def percent(load: float | None) -> str:
    return f"{round(100 * load)}%" if load is not None else NONE


def week_number(week: WeekInflow) -> str:
    """The week in words: "week 14" for 2026-W14."""
    return f"week {int(week.week.rsplit('W', 1)[1])}"


def spoken(count: int | str) -> str:
    """A count as a screen reader should say it ("<5" would be read out as signs)."""
    return "minder dan 5" if isinstance(count, str) else str(count)


def inflow_chart(weeks: list[WeekInflow], tallest: float) -> dict[str, Any]:
    """Bars of new cases per week, oldest first, as coordinates for an SVG."""
    scale = BARS_HEIGHT / (tallest or 1)
    bars = []
    for index, week in enumerate(weeks):
        count = week.new_cases
        height = drawn(count if isinstance(count, int) else 1) * scale if count != 0 else 0.0
        height = max(height, 1.0) if count != 0 else 0.0  # a bar of one pixel at least
        x = PAD + index * (BAR + GAP)
        bars.append(
            {
                "x": x,
                "y": BARS_HEIGHT - height,
                "height": height,
                "label_x": x + BAR / 2,
                "count": count,
                "current": index == len(weeks) - 1,
            }
        )
    described = ", ".join(
        f"{week_number(week)}{' (deze week)' if index == len(weeks) - 1 else ''}: "
        f"{spoken(week.new_cases)}"
        for index, week in enumerate(weeks)
    )
    return {
        "bars": bars,
        "bar": BAR,
        "width": 2 * PAD + len(weeks) * (BAR + GAP) - GAP,
        "height": BARS_HEIGHT + LABELS_HEIGHT,
        "label_y": BARS_HEIGHT + LABELS_HEIGHT - 2,
        "described": f"Nieuwe zaken per week, oudste eerst: {described}",
    }


def _tallest(teams: list[TeamLoad]) -> float:
    counts = [
        drawn(week.new_cases if isinstance(week.new_cases, int) else 1)
        for team in teams
        for week in team.new_cases_per_week
    ]
    return max(counts, default=0.0)


def row_of(team: TeamLoad, tallest: float) -> dict[str, Any]:
    return {
        "name": team.name,
        "municipality": team.municipality,
        "over": bool(team.over_capacity),
        "open": team.open_cases,
        "capacity": team.capacity if team.capacity is not None else "niet ingesteld",
        "load": percent(team.load),
        "chart": inflow_chart(team.new_cases_per_week, tallest),
        "median": decimal(team.median_working_days_to_first_contact),
        "contacts": team.first_contacts,
        "overdue": team.overdue_obligations,
        "workers": team.workers,
        "per_worker": decimal(team.open_per_worker),
        "most": team.most_open_one_worker if team.most_open_one_worker is not None else NONE,
        "unassigned": team.unassigned_open_cases,
    }


def csv_of(teams: list[TeamLoad]) -> web.Response:
    weeks = teams[0].new_cases_per_week if teams else []
    header = [
        "Team",
        "Gemeente",
        "Open zaken",
        "Capaciteit",
        "Belasting %",
        "Boven capaciteit",
        *(f"Nieuw in {week_number(week)} ({week.starts_on.isocalendar()[0]})" for week in weeks),
        "Eerste contacten",
        "Mediaan werkdagen tot eerste contact",
        "Termijnen verlopen",
        "Medewerkers",
        "Open zaken per medewerker",
        "Hoogste aantal bij één medewerker",
        "Zonder regisseur",
    ]
    rows = (
        [
            team.name,
            team.municipality,
            team.open_cases,
            team.capacity,
            round(100 * team.load) if team.load is not None else None,
            team.over_capacity,
            *(week.new_cases for week in team.new_cases_per_week),
            team.first_contacts,
            team.median_working_days_to_first_contact,
            team.overdue_obligations,
            team.workers,
            team.open_per_worker,
            team.most_open_one_worker,
            team.unassigned_open_cases,
        ]
        for team in teams
    )
    return csv_download("teambelasting", header, rows)


@routes.get("/beheer/teams")
async def team_load_page(request: web.Request) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    teams = await list_teams(pool)
    municipalities = sorted({team.municipality for team in teams})
    chosen = request.query.get("municipality") or None
    if chosen is not None:  # by name, or by CBS code as the API takes it
        by_code = {team.municipality_code: team.municipality for team in teams}
        chosen = by_code.get(chosen.strip().upper(), chosen)
        if chosen not in municipalities:
            raise PageError(404, "Deze gemeente heeft geen teams in de signaalhub.")
    report = await team_load(pool, datetime.now(UTC), chosen)
    download = request.query.get("download")
    if download == "teams":
        return csv_of(report.teams)
    if download is not None:
        raise PageError(404, "Deze download bestaat niet.")
    tallest = _tallest(report.teams)
    return render(
        request,
        "team_load.html",
        user=session.user,
        csrf_token=session.csrf_token,
        report=report,
        rows=[row_of(team, tallest) for team in report.teams],
        over=[row_of(team, tallest) for team in report.teams if team.over_capacity],
        municipalities=municipalities,
        chosen=chosen,
        download="/beheer/teams?"
        + urlencode(
            {"municipality": chosen, "download": "teams"} if chosen else {"download": "teams"}
        ),
    )
