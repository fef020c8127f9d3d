"""Managers' figures as data: how well feedback agreements are kept, and each team's load."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from hub.cases.load import team_load
from hub.directory.service import clean_name
from hub.feedback.compliance import compliance
from hub.privacy.masking import masked_figures
from hub.web.api.common import bounded_int, json_response, plain_json
from hub.web.appkeys import POOL

routes = web.RouteTableDef()


@routes.get("/api/v1/metrics/feedback")
async def get_feedback_metrics(request: web.Request) -> web.Response:
    weeks = bounded_int(request, "weeks", 12, 1, 104)
    rows = await compliance(request.app[POOL], datetime.now(UTC), weeks)
    return plain_json({"rows": [masked_figures(row) for row in rows]})


def municipality_of(request: web.Request) -> str | None:
    """The `municipality` filter (a name or CBS code), if any."""
    given = request.query.get("municipality", "").strip()
    return clean_name(given, "municipality") if given else None


@routes.get("/api/v1/metrics/teams")
async def get_team_metrics(request: web.Request) -> web.Response:
    report = await team_load(request.app[POOL], datetime.now(UTC), municipality_of(request))
    return json_response(report)
