"""The partner survey's results as data, for managers: aggregates only, masked as every manager
figure (a count of 1 to 4 reads "<5"; a share that would tell one is null)."""

from __future__ import annotations

from aiohttp import web

from hub.platform.clock import today
from hub.platform.errors import NotFound
from hub.surveys.results import list_surveys, survey_id_of, survey_results
from hub.web.api.common import json_response
from hub.web.appkeys import POOL

routes = web.RouteTableDef()


@routes.get("/api/v1/surveys")
async def get_surveys(request: web.Request) -> web.Response:
    return json_response(await list_surveys(request.app[POOL], today()))


@routes.get("/api/v1/surveys/{id}/results")
async def get_survey_results(request: web.Request) -> web.Response:
    survey_id = survey_id_of(request.match_info["id"])
    if survey_id is None:
        raise NotFound("no such survey")
    return json_response(await survey_results(request.app[POOL], survey_id, today()))
