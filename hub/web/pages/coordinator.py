"""The coordinator's queue: signals no rule routed and signals a team returned, sent to the
right team by hand."""

from __future__ import annotations

from aiohttp import web

from hub.cases import service as cases
from hub.directory.service import list_teams
from hub.intake.service import policy_of
from hub.platform.config import public_url
from hub.platform.errors import HubError, NotFound
from hub.web.access import session_of
from hub.web.appkeys import POOL, SETTINGS
from hub.web.render import render
from hub.web.requests import path_id

routes = web.RouteTableDef()
NOT_IN_QUEUE = "Dit signaal staat niet (meer) in de wachtrij, of het team bestaat niet."
CHOOSE_A_TEAM = "Kies het team waar dit signaal heen moet."
SENT = {
    "ja": "Het signaal is naar het gekozen team gestuurd.",
    "terug": "Het signaal is teruggegeven aan de partner: buiten ons werkgebied.",
}


@routes.get("/coordinator")
async def coordinator_page(request: web.Request) -> web.Response:
    return await _coordinator_page(request)


async def _coordinator_page(
    request: web.Request, error: str | None = None, status: int = 200
) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    queue = await cases.coordinator_queue(pool, session.user)
    return render(
        request,
        "coordinator.html",
        status=status,
        user=session.user,
        csrf_token=session.csrf_token,
        queue=queue,
        teams=[(team.code, team.name) for team in await list_teams(pool)],
        error=error,
        done=None if error else SENT.get(request.query.get("gestuurd", "")),
    )


@routes.post("/coordinator/signalen/{id}")
async def route_by_hand(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    form = await request.post()
    signal_id = path_id(request, "signal")
    settings = request.app[SETTINGS]
    if not form.get("team"):
        return await _coordinator_page(request, CHOOSE_A_TEAM, 422)
    try:
        await cases.send_to_team(
            request.app[POOL],
            session.user,
            signal_id,
            str(form.get("team", "")),
            stacking_window=policy_of(settings).stacking_window,
            public_url=public_url(settings),
        )
    except HubError:
        return await _coordinator_page(request, NOT_IN_QUEUE, 409)
    raise web.HTTPSeeOther("/coordinator?gestuurd=ja")


@routes.post("/coordinator/signalen/{id}/buiten-werkgebied")
async def out_of_area(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    await request.post()  # the CSRF token was checked on the way in
    try:
        await cases.send_back_out_of_area(
            request.app[POOL], session.user, path_id(request, "signal")
        )
    except NotFound:  # not a signal, or no longer in the queue (a second click, a colleague)
        return await _coordinator_page(request, NOT_IN_QUEUE, 404)
    raise web.HTTPSeeOther("/coordinator?gestuurd=terug")
