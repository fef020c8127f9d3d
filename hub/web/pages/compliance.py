"""The managers' compliance page: are feedback agreements kept? Per step, in the order the steps
happen, the share of deadlines met on time per week as a line against the target, with the
deadlines themselves as bars on a labelled axis; per team and per partner tables, worst first.
Aggregates only, small counts masked."""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from aiohttp import web

from hub import labels
from hub.directory.service import list_teams
from hub.feedback.agreements import STEPS
from hub.feedback.compliance import compliance_totals
from hub.platform.clock import local_day
from hub.privacy.masking import as_number, drawn, shown, shown_rate, shown_total
from hub.web.access import session_of
from hub.web.appkeys import POOL, SETTINGS, TEMPLATES
from hub.web.downloads import csv_download, svg_download
from hub.web.problems import PageError
from hub.web.render import render

routes = web.RouteTableDef()
WEEKS = 12
COUNTS = ("due", "met_on_time", "met_late", "overdue")


@dataclass
class Tally:
    """Deadlines counted: due, met on time, met late, past and still open."""

    due: int = 0
    met_on_time: int = 0
    met_late: int = 0
    overdue: int = 0

    def add(self, row: dict[str, Any]) -> None:
        for key in COUNTS:
            setattr(self, key, getattr(self, key) + int(row[key]))

    @property
    def rate(self) -> float | None:
        """The share on time, where it tells no masked count."""
        return shown_rate(self.met_on_time, self.due)

    def percent(self) -> str:
        rate = self.rate
        return f"{round(100 * rate)}%" if rate is not None else "\u2013"

    def shown(self) -> dict[str, int | str]:
        """The counts as a manager may see them: 1 to 4 as "<5", and the number of deadlines
        to the nearest ten where its exact value would tell a masked part."""
        figures = {key: shown(getattr(self, key)) for key in COUNTS}
        figures["due"] = shown_total(self.due, [self.met_on_time, self.met_late, self.overdue])
        return figures

    def order(self, key: str) -> float:
        """A shown count as a number to sort by: what the page shows, never what it hides."""
        return as_number(self.shown()[key])


@dataclass
class Week:
    year: int
    number: int
    monday: date
    running: bool
    steps: dict[str, Tally] = field(default_factory=lambda: defaultdict(Tally))

    @property
    def key(self) -> str:
        return f"{self.year}-W{self.number:02d}"

    @property
    def label(self) -> str:
        return f"week {self.number}"


def weeks_until(today: date, count: int = WEEKS) -> list[Week]:
    """The last `count` ISO weeks up to and including the running one, oldest first."""
    monday = today - timedelta(days=today.weekday())
    found = []
    for back in range(count, -1, -1):
        start = monday - timedelta(weeks=back)
        year, number, _ = start.isocalendar()
        found.append(Week(year, number, start, running=back == 0))
    return found


def axis(value: float) -> tuple[int, int]:
    """The count axis: a tick step of 1, 2 or 5 times a power of ten giving about five ticks,
    and the top, the first tick at or above `value` (at least 5)."""
    wanted = max(value, 5.0) / 5
    power = 10 ** math.floor(math.log10(wanted))
    step = next(int(s * power) for s in (1, 2, 5, 10) if s * power >= wanted) or 1
    return step, step * math.ceil(max(value, 5.0) / step)


def chart(weeks: list[Week], step: str, target: int) -> dict[str, Any]:
    """One step's chart as coordinates: stacked bars (on time, late, past and open) on a left
    axis of counts, the share on time as a line on a right axis of 0-100%, the target as a
    dashed line, the running week marked."""
    width, height = 720, 300
    left, right, top, bottom = 52, 56, 16, 46
    inner_w, inner_h = width - left - right, height - top - bottom
    tallies = [week.steps[step] for week in weeks]
    step_size, ceiling = axis(max((drawn(t.due) for t in tallies), default=0))
    slot = inner_w / len(weeks)
    bar = min(34.0, slot * 0.6)

    def y_count(value: float) -> float:
        return top + inner_h - value / ceiling * inner_h

    def y_share(share: float) -> float:
        return top + inner_h - share * inner_h

    bars, points = [], []
    for index, (week, tally) in enumerate(zip(weeks, tallies, strict=True)):
        centre = left + slot * (index + 0.5)
        base = float(top + inner_h)
        parts = []
        for key, colour, what in (
            ("met_on_time", "#2e7d32", "op tijd"),
            ("met_late", "#b35900", "te laat"),
            ("overdue", "#b00020", "verlopen, nog open"),
        ):
            h = drawn(getattr(tally, key)) / ceiling * inner_h
            if h > 0:
                parts.append(
                    {"y": round(base - h, 1), "h": round(h, 1), "colour": colour, "what": what}
                )
                base -= h
        bars.append(
            {
                "x": round(centre - bar / 2, 1),
                "centre": round(centre, 1),
                "label": week.label,
                "running": week.running,
                "parts": parts,
            }
        )
        if tally.rate is not None:
            points.append(
                {"x": round(centre, 1), "y": round(y_share(tally.rate), 1), "running": week.running}
            )
    ticks = [
        {"y": round(y_count(value), 1), "label": str(value)}
        for value in range(0, ceiling + 1, step_size)
    ]
    share_ticks = [{"y": round(y_share(f), 1), "label": f"{round(f * 100)}%"} for f in (0, 0.5, 1)]
    return {
        "step": step,
        "title": labels.STEP[step].capitalize(),
        "width": width,
        "height": height,
        "left": left,
        "right": width - right,
        "top": top,
        "base": top + inner_h,
        "bar": round(bar, 1),
        "bars": bars,
        "points": points,
        "lines": _runs(points, [t.rate is not None for t in tallies], bars),
        "ticks": ticks,
        "share_ticks": share_ticks,
        "target": target,
        "target_y": round(y_share(target / 100), 1),
    }


def _runs(points: list[dict[str, Any]], known: list[bool], bars: list[dict[str, Any]]) -> list[str]:
    """The share-on-time line in pieces: weeks without a share (none due, or one that would
    tell a masked count) break it instead of being bridged."""
    at = {point["x"]: point for point in points}
    runs: list[list[dict[str, Any]]] = [[]]
    for bar, has in zip(bars, known, strict=True):
        if has and bar["centre"] in at:
            runs[-1].append(at[bar["centre"]])
        elif runs[-1]:
            runs.append([])
    return [" ".join(f"{p['x']},{p['y']}" for p in run) for run in runs if len(run) > 1]


def _worst_first(item: dict[str, Any]) -> tuple[float, float, str]:
    """Lowest share on time first (a share that cannot be shown after those that can), then
    most overdue, as shown."""
    rate = item["tally"].rate
    return (
        rate if rate is not None else 2.0,
        -item["tally"].order("overdue"),
        item["name"].casefold(),
    )


SORTS = {
    "slechtst": _worst_first,
    "naam": lambda item: (item["name"].casefold(),),
    "termijnen": lambda item: (-item["tally"].order("due"), item["name"].casefold()),
    "verlopen": lambda item: (-item["tally"].order("overdue"), item["name"].casefold()),
}


def table(
    rows: list[dict[str, Any]], key: str, names: dict[str, str], order: str
) -> list[dict[str, Any]]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for row in rows:
        tallies[row[key] or ""].add(row)
    items = [
        {"name": names.get(name, name) or "Nog zonder team (bij de coördinator)", "tally": tally}
        for name, tally in tallies.items()
    ]
    return sorted(items, key=SORTS[order])


def _order(request: web.Request, name: str) -> str:
    order = request.query.get(name, "slechtst")
    if order not in SORTS:
        raise PageError(404, "Op deze manier kan de tabel niet worden gesorteerd.")
    return order


@routes.get("/beheer/terugkoppeling")
async def compliance_page(request: web.Request) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    now = datetime.now(UTC)
    totals = await compliance_totals(pool, now, WEEKS)
    weeks = weeks_until(local_day(now))
    by_key = {week.key: week for week in weeks}
    for row in totals.per_week:
        week = by_key.get(row["week"])
        if week is not None:
            week.steps[row["step"]].add(row)
            week.steps["all"].add(row)
    target = request.app[SETTINGS].feedback_target_percent
    charts = [chart(weeks, step, target) for step in STEPS]
    team_names = {team.code: team.name for team in await list_teams(pool)}
    team_order, partner_order = _order(request, "teams"), _order(request, "partners")
    per_team = table(totals.per_team, "team", team_names, team_order)
    per_partner = table(totals.per_partner, "partner", {}, partner_order)
    header = ["Termijnen", "Op tijd", "Te laat", "Verlopen, nog open", "Op tijd %"]

    def figures(tally: Tally) -> list[object]:
        s = tally.shown()
        return [s["due"], s["met_on_time"], s["met_late"], s["overdue"], tally.percent()]

    download = request.query.get("download")
    if download == "per-week":
        return csv_download(
            "terugkoppeling-per-week",
            ["Week", "Begint op", "Stap", *header, "Loopt nog"],
            (
                [
                    week.label,
                    week.monday,
                    labels.STEP[step],
                    *figures(week.steps[step]),
                    week.running,
                ]
                for week in weeks
                for step in STEPS
            ),
        )
    if download in ("per-team", "per-partner"):
        items = per_team if download == "per-team" else per_partner
        first = "Team" if download == "per-team" else "Partner"
        return csv_download(
            f"terugkoppeling-{download}",
            [first, *header],
            ([item["name"], *figures(item["tally"])] for item in items),
        )
    if download is not None and download.startswith("grafiek-"):
        found = [c for c in charts if c["step"] == download.removeprefix("grafiek-")]
        if found:
            svg = (
                request.app[TEMPLATES]
                .get_template("compliance_chart.html")
                .render(chart=found[0], standalone=True)
            )
            return svg_download(f"terugkoppeling-{found[0]['step']}", svg)
    if download is not None:
        raise PageError(404, "Deze download bestaat niet.")
    return render(
        request,
        "feedback_report.html",
        user=session.user,
        csrf_token=session.csrf_token,
        charts=charts,
        weeks=weeks,
        steps=[(step, labels.STEP[step]) for step in STEPS],
        per_team=per_team,
        per_partner=per_partner,
        team_order=team_order,
        partner_order=partner_order,
        target=target,
    )
