"""Managers' pages: aggregates only, never people."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

import asyncpg
from aiohttp import web

from hub import labels
from hub.directory.service import list_teams
from hub.feedback.agreements import STEPS, add_agreement, list_agreements
from hub.feedback.compliance import compliance
from hub.platform.errors import HubError
from hub.privacy.masking import is_masked, shown, shown_rate
from hub.web.access import session_of
from hub.web.appkeys import POOL
from hub.web.render import render
from schemas.address import ascii_number
from schemas.signals import PartnerKind

routes = web.RouteTableDef()


def _percent(on_time: int, due: int) -> str:
    """The share on time, where it tells no masked count."""
    rate = shown_rate(on_time, due)
    return f"{round(100 * rate)}%" if rate is not None else "-"


def _drawn(count: int) -> float:
    """How high a count is drawn: a masked one (1 to 4) as 2.5 whatever it is, so that the
    drawing tells no more than the "<5" beside it."""
    return 2.5 if is_masked(count) else float(count)


def weekly_chart(
    rows: list[dict[str, Any]], height: int = 200, bar_width: int = 28
) -> dict[str, Any]:
    """Stacked bars per week (on time, late, overdue), as coordinates for an SVG."""
    weeks: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        week = weeks[row["week"]]
        for key in ("due", "met_on_time", "met_late", "overdue"):
            week[key] += row[key]
    tallest = max((_drawn(week["due"]) for week in weeks.values()), default=0) or 1
    scale = height / tallest
    bars = []
    for index, (name, week) in enumerate(sorted(weeks.items())):
        on_time, late, overdue = week["met_on_time"], week["met_late"], week["overdue"]
        h_on_time, h_late, h_overdue = (
            _drawn(on_time) * scale,
            _drawn(late) * scale,
            _drawn(overdue) * scale,
        )
        bars.append(
            {
                "week": name,
                "x": 10 + index * (bar_width + 8),
                "due": shown(week["due"]),
                "on_time": shown(on_time),
                "late": shown(late),
                "overdue": shown(overdue),
                "percent": _percent(on_time, week["due"]),
                "h_on_time": h_on_time,
                "y_on_time": height - h_on_time,
                "h_late": h_late,
                "y_late": height - h_on_time - h_late,
                "h_overdue": h_overdue,
                "y_overdue": height - h_on_time - h_late - h_overdue,
            }
        )
    return {
        "bars": bars,
        "height": height,
        "bar_width": bar_width,
        "width": max(200, 20 + len(bars) * (bar_width + 8)),
    }


@routes.get("/beheer/terugkoppeling")
async def feedback_report(request: web.Request) -> web.Response:
    session = session_of(request)
    weeks = 12
    rows = await compliance(request.app[POOL], datetime.now(UTC), weeks)
    per_partner: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for row in rows:
        entry = per_partner[(row["partner"], row["step"])]
        for key in ("due", "met_on_time", "overdue"):
            entry[key] += row[key]
    by_partner = [
        {
            "partner": partner,
            "step": labels.STEP[step],
            "due": shown(entry["due"]),
            "percent": _percent(entry["met_on_time"], entry["due"]),
            "overdue": shown(entry["overdue"]),
        }
        for (partner, step), entry in sorted(per_partner.items())
    ]
    return render(
        request,
        "feedback_report.html",
        user=session.user,
        csrf_token=session.csrf_token,
        chart=weekly_chart(rows),
        by_partner=by_partner,
        weeks=weeks,
    )


async def _agreements_page(
    request: web.Request, status: int = 200, error: str | None = None
) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    return render(
        request,
        "agreements.html",
        status=status,
        user=session.user,
        csrf_token=session.csrf_token,
        agreements=await list_agreements(pool),
        teams=[(team.code, team.name) for team in await list_teams(pool)],
        partner_kinds=[(kind.value, labels.PARTNER_KIND_PLURAL[kind]) for kind in PartnerKind],
        steps=[(step, labels.STEP[step]) for step in STEPS],
        error=error,
    )


@routes.get("/beheer/afspraken")
async def agreements_page(request: web.Request) -> web.Response:
    return await _agreements_page(request)


@routes.post("/beheer/afspraken")
async def agreement_submit(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    days = str(form.get("days", "")).strip()
    kind = str(form.get("partner_kind", ""))
    if (days and not ascii_number(days)) or (kind and kind not in set(PartnerKind)):
        return await _agreements_page(request, 422, "Vul een aantal werkdagen in (0 tot 365).")
    try:
        await add_agreement(
            request.app[POOL],
            step=str(form.get("step", "")),
            working_days=int(days) if days else None,
            partner_kind=PartnerKind(kind) if kind else None,
            team=str(form.get("team", "")) or None,
        )
    except (HubError, asyncpg.CheckViolationError):
        return await _agreements_page(request, 422, "Deze afspraak kan zo niet worden vastgelegd.")
    raise web.HTTPSeeOther("/beheer/afspraken")
