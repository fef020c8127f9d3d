"""A team's cases, for team systems (personal token) and the inbox page's scripts (session)."""

from __future__ import annotations

from datetime import timedelta

from aiohttp import web
from pydantic import ValidationError

from hub.cases import service as cases
from hub.web.access import user_of
from hub.web.api.common import json_response
from hub.web.appkeys import POOL, SETTINGS
from hub.web.problems import invalid_fields
from hub.web.requests import path_id, read_model
from schemas.cases import CaseActionIn, CaseFilter, CaseList

routes = web.RouteTableDef()


@routes.get("/api/v1/cases")
async def get_cases(request: web.Request) -> web.Response:
    user = user_of(request)
    given = {name: request.query[name] for name in CaseFilter.model_fields if name in request.query}
    try:
        found = CaseFilter.model_validate(given)
    except ValidationError as error:
        raise invalid_fields(error) from None
    items, _ = await cases.inbox(request.app[POOL], user, request.query.get("tab", "open"), found)
    return json_response(CaseList(items=items))


@routes.get("/api/v1/cases/counts")
async def get_case_counts(request: web.Request) -> web.Response:
    user = user_of(request)
    return web.json_response(await cases.counts(request.app[POOL], user))


@routes.get("/api/v1/cases/{id}")
async def get_case(request: web.Request) -> web.Response:
    user = user_of(request)
    case_id = path_id(request, "case")
    window = timedelta(days=request.app[SETTINGS].stacking_window_days)
    return json_response(
        await cases.case_view(request.app[POOL], user, case_id, earlier_within=window)
    )


@routes.post("/api/v1/cases/{id}/actions")
async def post_case_action(request: web.Request) -> web.Response:
    user = user_of(request)
    case_id = path_id(request, "case")
    body = await read_model(request, CaseActionIn)
    return json_response(await cases.act(request.app[POOL], user, case_id, body.root))
