"""The district team's inbox and the coordinator's queue, as Dutch pages without JavaScript."""

from __future__ import annotations

from typing import Any

from aiohttp import web
from pydantic import ValidationError

from hub import cases
from hub.errors import HubError, NotFound
from hub.intake import policy_of
from hub.store import teams as team_store
from hub.store.users import team_colleagues
from hub.web.access import session_of
from hub.web.keys import POOL, SETTINGS
from hub.web.pages import render
from hub.web.problems import PageError
from hub.web.requests import path_id
from schemas.address import Address, display_postcode
from schemas.cases import CaseActionIn, CaseStatus, Outcome, TimelineEntry

routes = web.RouteTableDef()

TAB_LABELS = {"new": "Nieuw", "mine": "Mijn zaken", "open": "Alle open", "closed": "Afgesloten"}
STATUS_LABELS = {
    CaseStatus.NEW: "Nieuw",
    CaseStatus.ACCEPTED: "Opgepakt",
    CaseStatus.CONTACTING: "Contact gezocht, nog niet bereikt",
    CaseStatus.REACHED: "In contact",
    CaseStatus.CLOSED: "Afgesloten",
    CaseStatus.RETURNED: "Teruggestuurd naar de coördinator",
    CaseStatus.DECLINED: "Afgewezen",
}
OUTCOME_LABELS = {
    Outcome.HELP_STARTED: "Hulp gestart",
    Outcome.REFERRED_ELSEWHERE: "Doorverwezen",
    Outcome.NO_HELP_NEEDED: "Geen hulp nodig",
    Outcome.NOT_REACHED: "Niet bereikt",
    Outcome.DECLINED: "Hulp geweigerd",
    Outcome.REPEAT_SIGNAL: "Herhaalde melding",
    Outcome.OTHER: "Anders",
}
EVENT_LABELS = {
    "received": "signaal ontvangen",
    "routed": "naar het team gerouteerd",
    "routed_by_hand": "door de coördinator naar het team gestuurd",
    "repeat": "herhaalde melding ontvangen",
    "take": "opgepakt",
    "assign": "toegewezen",
    "close": "afgesloten",
    "return": "teruggestuurd naar de coördinator",
    "decline": "afgewezen",
}
TEAM_ROLES = ("member", "lead")
NOT_IN_QUEUE = "Dit signaal staat niet (meer) in de wachtrij, of het team bestaat niet."
NEEDS_INPUT = "Vul de gevraagde gegevens in (bijvoorbeeld een reden)."
WRONG_STEP = (
    "Die stap past niet bij de huidige status van de zaak (misschien was een collega u voor)."
)


def address(household: Address) -> str:
    number = f"{household.house_number}{household.house_letter or ''}"
    if household.addition:
        number += f"-{household.addition}"
    return f"{display_postcode(household.postcode)} {number}"


def event_label(entry: TimelineEntry) -> str:
    if entry.kind == "contact_attempt":
        return "contact gelukt" if entry.detail.get("reached") else "contactpoging, niet bereikt"
    label = EVENT_LABELS.get(entry.kind, entry.kind)
    if entry.kind == "close" and entry.detail.get("outcome"):
        label += f": {OUTCOME_LABELS[Outcome(str(entry.detail['outcome']))]}"
    if entry.kind == "assign" and entry.detail.get("director"):
        label += f" aan {entry.detail['director']}"
    if entry.kind in ("return", "decline") and entry.detail.get("reason"):
        label += f" ({entry.detail['reason']})"
    return label


def install_template_helpers(environment: Any) -> None:
    environment.globals.update(
        address=address,
        case_status=lambda status: STATUS_LABELS[CaseStatus(status)],
        outcome_label=lambda outcome: OUTCOME_LABELS[Outcome(outcome)],
        event_label=event_label,
    )


@routes.get("/inbox")
async def inbox_page(request: web.Request) -> web.Response:
    session = session_of(request)
    tab = request.query.get("tab", "new")
    if tab not in TAB_LABELS:
        raise PageError(404, "Deze lijst bestaat niet.")
    listed, counts = await cases.inbox(request.app[POOL], session.user, tab)
    return render(
        request,
        "inbox.html",
        user=session.user,
        csrf_token=session.csrf_token,
        tabs=list(TAB_LABELS.items()),
        tab=tab,
        tab_label=TAB_LABELS[tab],
        counts=counts,
        cases=listed,
        refresh_ms=int(request.app[SETTINGS].inbox_refresh_seconds * 1000),
    )


async def _case_page(
    request: web.Request, status: int = 200, error: str | None = None
) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    case_id = path_id(request, "case")
    try:
        case = await cases.case_view(pool, session.user, case_id)
    except NotFound:
        raise PageError(404, "Deze zaak bestaat niet, of is niet van uw team.") from None
    user = session.user
    is_lead = user.role == "lead"
    colleagues: list[str] = []
    if is_lead and user.team is not None:
        async with pool.acquire() as conn:
            colleagues = await team_colleagues(conn, user.team.id)
    working = case.status in (CaseStatus.ACCEPTED, CaseStatus.CONTACTING, CaseStatus.REACHED)
    return render(
        request,
        "case.html",
        status=status,
        user=user,
        csrf_token=session.csrf_token,
        case=case,
        open=case.closed_at is None,
        can_work=working and (is_lead or case.director == user.email),
        is_lead=is_lead,
        colleagues=colleagues,
        outcomes=[(o.value, label) for o, label in OUTCOME_LABELS.items()],
        error=error,
    )


@routes.get("/inbox/zaken/{id}")
async def case_page(request: web.Request) -> web.Response:
    return await _case_page(request)


@routes.post("/inbox/zaken/{id}/acties")
async def case_action(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    form = await request.post()
    case_id = path_id(request, "case")
    fields: dict[str, Any] = {
        key: str(value) for key, value in form.items() if key not in ("csrf_token",)
    }
    if "reached" in fields:
        fields["reached"] = fields["reached"] == "true"
    try:
        action = CaseActionIn.model_validate({"action": fields}).action
        await cases.act(request.app[POOL], session.user, case_id, action)
    except ValidationError:
        return await _case_page(
            request, 422, "Vul de gevraagde gegevens in (bijvoorbeeld een reden)."
        )
    except NotFound:
        raise PageError(404, "Deze zaak bestaat niet, of is niet van uw team.") from None
    except HubError as error:
        return await _case_page(request, error.status, _dutch(error))
    raise web.HTTPSeeOther(f"/inbox/zaken/{case_id}")


def _dutch(error: HubError) -> str:
    if error.status == 409:
        return WRONG_STEP
    if error.status == 403:
        return "Die stap is aan de regisseur van de zaak of de teamleider."
    return "Dat kon niet worden verwerkt."


@routes.get("/coordinator")
async def coordinator_page(request: web.Request) -> web.Response:
    return await _coordinator_page(request)


async def _coordinator_page(request: web.Request, error: str | None = None) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    queue = await cases.coordinator_queue(pool, session.user)
    async with pool.acquire() as conn:
        teams = await team_store.list_teams(conn)
    return render(
        request,
        "coordinator.html",
        user=session.user,
        csrf_token=session.csrf_token,
        queue=queue,
        teams=[(team.code, team.name) for team in teams],
        error=error,
    )


@routes.post("/coordinator/signalen/{id}")
async def route_by_hand(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    form = await request.post()
    signal_id = path_id(request, "signal")
    try:
        await cases.send_to_team(
            request.app[POOL],
            session.user,
            signal_id,
            str(form.get("team", "")),
            policy_of(request.app[SETTINGS]),
        )
    except HubError:
        return await _coordinator_page(request, NOT_IN_QUEUE)
    raise web.HTTPSeeOther("/coordinator")
