"""Managers' figures as data: how well feedback agreements are kept, and each team's load."""

from __future__ import annotations

from datetime import UTC, date, datetime

from aiohttp import web

from hub.cases.ddas import DdasSettings, ddas_export
from hub.cases.load import team_load
from hub.directory.service import clean_name
from hub.feedback.compliance import compliance
from hub.platform.errors import InvalidFields
from hub.privacy.masking import masked_figures
from hub.web.access import principal_of
from hub.web.api.common import bounded_int, json_response, plain_json
from hub.web.appkeys import POOL, SETTINGS

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


@routes.get("/api/v1/reports/ddas")
async def get_ddas_report(request: web.Request) -> web.Response:
    """The early-debt delivery for CBS (DDAS Vroegsignalering v1.2) for `from`..`to`."""
    query = request.query
    try:
        start = date.fromisoformat(query.get("from", ""))
        end = date.fromisoformat(query.get("to", ""))
    except ValueError:
        message = "from and to are dates (YYYY-MM-DD)"
        raise InvalidFields(message, errors=[{"loc": ["query", "from"], "msg": message}]) from None
    if (end - start).days > 366:
        message = "at most a year at a time"
        raise InvalidFields(message, errors=[{"loc": ["query", "to"], "msg": message}])
    settings = request.app[SETTINGS]
    export = await ddas_export(
        request.app[POOL],
        principal_of(request).actor,
        start,
        end,
        query.get("municipality") or None,
        DdasSettings(
            supplier_code=settings.ddas_supplier_code,
            organisation=settings.ddas_organisation,
            contact_name=settings.ddas_contact_name,
            contact_email=settings.ddas_contact_email,
        ),
    )
    return plain_json(export.document)
