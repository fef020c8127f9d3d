"""The partner and team API under /api/v1: thin handlers over the services."""

from __future__ import annotations

from uuid import UUID

from aiohttp import web
from pydantic import BaseModel

from hub.errors import InvalidFields, NotFound
from hub.intake import submit_signal
from hub.signals import partner_signal, team_inbox
from hub.web.keys import POOL
from hub.web.requests import read_model, require_admin, require_partner
from schemas.signals import SignalIn

routes = web.RouteTableDef()


def json_response(model: BaseModel, status: int = 200) -> web.Response:
    return web.Response(
        status=status, body=model.model_dump_json(), content_type="application/json"
    )


@routes.post("/api/v1/signals")
async def post_signal(request: web.Request) -> web.Response:
    partner = await require_partner(request)
    signal = await read_model(request, SignalIn)
    submitted = await submit_signal(request.app[POOL], partner, signal)
    return json_response(submitted.receipt, status=202)


@routes.get("/api/v1/signals/{id}")
async def get_signal(request: web.Request) -> web.Response:
    partner = await require_partner(request)
    try:
        signal_id = UUID(request.match_info["id"])
    except ValueError:
        raise NotFound("no such signal") from None
    return json_response(await partner_signal(request.app[POOL], partner, signal_id))


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        message = "limit is a whole number from 1 to 200"
        raise InvalidFields(message, errors=[{"loc": ["limit"], "msg": message}])
    return int(raw)


@routes.get("/api/v1/teams/{code}/signals")
async def get_team_signals(request: web.Request) -> web.Response:
    caller = await require_admin(request)
    page = await team_inbox(
        request.app[POOL],
        caller,
        request.match_info["code"],
        limit=_limit(request),
        cursor=request.query.get("cursor"),
    )
    return json_response(page)
