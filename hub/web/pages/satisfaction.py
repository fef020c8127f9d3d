"""The managers' satisfaction page: the partner survey's results per team and statement, with
the trend against earlier surveys and partners' comments, and partners' verdict on feedback
beside what the hub measured. Aggregates only, masked as every manager figure (the service
masks them)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from hub import labels
from hub.directory.service import list_teams
from hub.platform.clock import today
from hub.surveys.results import list_surveys, survey_id_of, survey_results
from hub.web.access import session_of
from hub.web.appkeys import POOL
from hub.web.downloads import csv_download
from hub.web.problems import PageError
from hub.web.render import render
from schemas.surveys import StatementResult, SurveyResults, SurveySummary, VerdictRow

routes = web.RouteTableDef()
PAGE = "/beheer/tevredenheid"
NONE = "\u2013"  # a share not shown: it would tell a count of 1 to 4
MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)
BAR_WIDTH, BAR_HEIGHT = 120, 14
COLOURS = {"agree": "#2e7d32", "neutral": "#8a8a8a", "disagree": "#b3261e"}


def percent(value: float | None) -> str:
    return f"{round(100 * value)}%" if value is not None else NONE


def whole(value: float | None) -> int | None:
    """A share as a whole percentage for a CSV cell; empty where not shown."""
    return round(100 * value) if value is not None else None


def month(day: date) -> str:
    return f"{MONTHS[day.month - 1]} {day.year}"


def survey_label(survey: SurveySummary, names: dict[str, str]) -> str:
    """A survey in words: "tot en met 12-03-2026, alle teams"."""
    whom = names.get(survey.team, survey.team) if survey.team else "alle teams"
    state = "loopt nog" if survey.open else "gesloten"
    return f"Enquête tot en met {survey.closes_on:%d-%m-%Y} ({whom}; {state})"


def bar(result: StatementResult) -> dict[str, Any] | None:
    """The shares as a stacked bar, where all three can be shown."""
    shares = (
        ("agree", result.agree_share, "eens"),
        ("neutral", result.neutral_share, "neutraal"),
        ("disagree", result.disagree_share, "oneens"),
    )
    if any(value is None for _, value, _ in shares):
        return None
    x = 0.0
    parts = []
    for key, value, _ in shares:
        width = round(BAR_WIDTH * float(value or 0), 1)
        parts.append({"x": x, "width": width, "colour": COLOURS[key]})
        x += width
    return {
        "width": BAR_WIDTH,
        "height": BAR_HEIGHT,
        "parts": parts,
        "described": ", ".join(f"{percent(value)} {word}" for _, value, word in shares),
    }


def trend_text(result: StatementResult) -> str:
    """The same statement's share agreeing in earlier surveys, oldest first."""
    return "; ".join(
        f"{month(earlier.closes_on)}: {percent(earlier.agree_share)}" for earlier in result.earlier
    )


def statement_row(result: StatementResult) -> dict[str, Any]:
    return {
        "text": result.text,
        "theme": labels.SURVEY_THEME[result.theme] if result.theme else "eigen stelling",
        "agree_share": percent(result.agree_share),
        "agree": result.agree,
        "neutral": result.neutral,
        "disagree": result.disagree,
        "answers": result.answers,
        "dont_know": result.dont_know,
        "bar": bar(result),
        "trend": trend_text(result) or "geen eerdere enquête",
    }


def verdict_row(row: VerdictRow) -> dict[str, Any]:
    if row.partner_kind is not None:
        whose = labels.PARTNER_KIND_PLURAL[row.partner_kind].capitalize()
    else:
        whose = row.team_name or row.team or ""
    gap = row.gap_points
    return {
        "whose": whose,
        "rated": percent(row.rated_kept),
        "answers": row.answers,
        "measured": percent(row.measured_on_time),
        "due": row.due,
        "gap": NONE if gap is None else (f"+{gap}" if gap > 0 else str(gap)) + " procentpunt",
        "finding": labels.VERDICT_FINDING[row.finding] if row.finding else "",
    }


def _csv_statements(results: SurveyResults) -> web.Response:
    header = [
        "Team",
        "Thema",
        "Stelling",
        "Eens %",
        "Neutraal %",
        "Oneens %",
        "Antwoorden",
        "Eens",
        "Neutraal",
        "Oneens",
        "Weet ik niet",
        "Eerdere enquêtes (eens %)",
    ]

    def line(team: str, result: StatementResult) -> list[object]:
        row = statement_row(result)
        return [
            team,
            row["theme"],
            result.text,
            whole(result.agree_share),
            whole(result.neutral_share),
            whole(result.disagree_share),
            result.answers,
            result.agree,
            result.neutral,
            result.disagree,
            result.dont_know,
            trend_text(result),
        ]

    rows = [line("Alle teams", result) for result in results.all_teams]
    rows += [line(team.name, result) for team in results.teams for result in team.statements]
    return csv_download(f"tevredenheid-{results.survey.closes_on}", header, rows)


def _csv_verdict(results: SurveyResults) -> web.Response:
    header = [
        "Team of soort partner",
        "Vindt afspraken nagekomen %",
        "Oordelen",
        "Op tijd gemeten %",
        "Termijnen",
        "Verschil (procentpunt)",
        "Bevinding",
    ]
    rows = [
        [
            shown["whose"],
            whole(row.rated_kept),
            row.answers,
            whole(row.measured_on_time),
            row.due,
            row.gap_points,
            shown["finding"],
        ]
        for row in results.verdict_by_team + results.verdict_by_partner_kind
        for shown in [verdict_row(row)]
    ]
    return csv_download(f"oordeel-naast-meting-{results.survey.closes_on}", header, rows)


@routes.get(PAGE)
async def satisfaction_page(request: web.Request) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    day = today()
    surveys = (await list_surveys(pool, day)).surveys
    asked = request.query.get("enquete") or None
    if asked is not None:
        chosen = survey_id_of(asked)
        if chosen is None or chosen not in {s.id for s in surveys}:
            raise PageError(404, "Deze enquête bestaat niet.")
    else:
        # The latest closed survey, else the one running.
        chosen = next((s.id for s in surveys if not s.open), surveys[0].id if surveys else None)
    results = await survey_results(pool, chosen, day) if chosen else None
    download = request.query.get("download")
    if download is not None:
        if results is None:
            raise PageError(404, "Er is nog geen enquête om te downloaden.")
        if download == "stellingen":
            return _csv_statements(results)
        if download == "oordeel":
            return _csv_verdict(results)
        raise PageError(404, "Deze download bestaat niet.")
    names = {team.code: team.name for team in await list_teams(pool)}
    here = f"{PAGE}?" + urlencode({"enquete": str(chosen)}) if chosen else PAGE
    return render(
        request,
        "satisfaction.html",
        user=session.user,
        csrf_token=session.csrf_token,
        surveys=[(str(s.id), survey_label(s, names)) for s in surveys],
        chosen=str(chosen) if chosen else "",
        results=results,
        all_teams=[statement_row(r) for r in results.all_teams] if results else [],
        teams=[
            {
                "team": team,
                "rate": percent(team.response_rate),
                "rows": [statement_row(r) for r in team.statements],
            }
            for team in (results.teams if results else [])
        ],
        by_team=[verdict_row(row) for row in results.verdict_by_team] if results else [],
        by_kind=[verdict_row(row) for row in results.verdict_by_partner_kind] if results else [],
        rate=percent(results.survey.response_rate) if results else NONE,
        here=here,
        admin=session.user.role == "admin",
    )
