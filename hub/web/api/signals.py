"""Partners hand over signals and read back their own; an administrator reads a team's."""

from __future__ import annotations

from aiohttp import web

from hub.intake.reads import partner_signal, team_inbox
from hub.web.access import partner_of, principal_of
from hub.web.api.common import bounded_int, json_response
from hub.web.appkeys import INTAKE, POOL
from hub.web.requests import path_id, read_model
from schemas.signals import SignalIn

routes = web.RouteTableDef()


@routes.post("/api/v1/signals")
async def post_signal(request: web.Request) -> web.Response:
    partner = partner_of(request)
    signal = await read_model(request, SignalIn)
    submitted = await request.app[INTAKE].submit(partner, signal)
    return json_response(submitted.receipt, status=202)


@routes.get("/api/v1/signals/{id}")
async def get_signal(request: web.Request) -> web.Response:
    partner = partner_of(request)
    signal_id = path_id(request, "signal")
    return json_response(await partner_signal(request.app[POOL], partner, signal_id))


@routes.get("/api/v1/teams/{code}/signals")
async def get_team_signals(request: web.Request) -> web.Response:
    page = await team_inbox(
        request.app[POOL],
        principal_of(request).actor,
        request.match_info["code"],
        limit=bounded_int(request, "limit", 50, 1, 200),
        cursor=request.query.get("cursor"),
    )
    return json_response(page)
