"""Managers' figures as data: how well feedback agreements are kept."""

from __future__ import annotations

from datetime import UTC, datetime

from aiohttp import web

from hub.feedback.compliance import compliance
from hub.privacy.masking import masked_figures
from hub.web.api.common import bounded_int, plain_json
from hub.web.appkeys import POOL

routes = web.RouteTableDef()


@routes.get("/api/v1/metrics/feedback")
async def get_feedback_metrics(request: web.Request) -> web.Response:
    weeks = bounded_int(request, "weeks", 12, 1, 104)
    rows = await compliance(request.app[POOL], datetime.now(UTC), weeks)
    return plain_json({"rows": [masked_figures(row) for row in rows]})
