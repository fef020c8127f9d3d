"""Partners hand over signals and read back their own; an administrator reads a team's."""

from __future__ import annotations

from aiohttp import web

from hub.intake.reads import partner_signal, team_inbox
from hub.intake.withdrawal import withdraw_signal
from hub.platform.config import public_url
from hub.web.access import partner_of, principal_of
from hub.web.api.common import bounded_int, json_response
from hub.web.appkeys import INTAKE, POOL, SETTINGS
from hub.web.requests import path_id, read_model
from schemas.signals import SignalIn, WithdrawalIn

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


@routes.post("/api/v1/signals/{id}/withdrawal")
async def post_withdrawal(request: web.Request) -> web.Response:
    """202 when withdrawn now, 200 when it was withdrawn before; the body (a reason) is optional."""
    partner = partner_of(request)
    signal_id = path_id(request, "signal")
    withdrawal = await read_model(request, WithdrawalIn) if request.body_exists else WithdrawalIn()
    done = await withdraw_signal(
        request.app[POOL],
        partner,
        signal_id,
        withdrawal.reason,
        public_url=public_url(request.app[SETTINGS]),
    )
    return json_response(done.signal, status=202 if done.withdrawn_now else 200)


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
