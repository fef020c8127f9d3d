"""A district team's inbox and its cases, as Dutch pages without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode
from uuid import UUID

from aiohttp import web
from pydantic import ValidationError

from hub import labels
from hub.cases import service as cases
from hub.cases.workflow import REOPEN_DAYS
from hub.directory.accounts import colleagues
from hub.platform.clock import today
from hub.platform.errors import Conflict, HubError, InvalidFields, NotFound
from hub.web.access import session_of
from hub.web.appkeys import POOL, SETTINGS
from hub.web.problems import PageError
from hub.web.render import render
from hub.web.requests import path_id
from schemas.cases import CaseActionIn, CaseFilter, CaseStatus, Close, Outcome
from schemas.early_debt import ContactKind, DayPart, EarlyDebtResult
from schemas.signals import SignalKind

routes = web.RouteTableDef()

NEEDS_INPUT = "Vul de gevraagde gegevens in (bijvoorbeeld een uitkomst)."
REASON_NEEDED = (
    "Geef een reden op (hoogstens 500 tekens): die is nodig om terug te sturen of af te wijzen."
)
WRONG_STEP = (
    "Die stap past niet bij de huidige status van de zaak (misschien was een collega u voor)."
)
NOT_YOURS = "Die stap is aan de regisseur van de zaak of de teamleider."
ONLY_LEADS_REOPEN = "Alleen de teamleider kan een zaak weer openen."
NOTE_PROBLEM = "Een notitie heeft 1 tot 1000 tekens. Uw tekst staat hieronder nog."
NO_SUCH_CASE = "Deze zaak bestaat niet, of is niet van uw team."


# The inbox's filter as the page's address says it (Dutch names, the API's codes as values).
FILTER_FIELDS = {
    "status": "status",
    "soort": "kind",
    "partner": "partner",
    "regisseur": "director",
    "te_laat": "overdue",
}


def filter_of(query: Mapping[str, Any]) -> CaseFilter:
    """The filter in a page's query or form; a value no form offers is a page that does not
    exist. "Only overdue" is a checkbox: any value but empty means yes."""
    given = {field: str(query[name]) for name, field in FILTER_FIELDS.items() if query.get(name)}
    if "overdue" in given:
        given["overdue"] = "true"
    try:
        return CaseFilter.model_validate(given)
    except ValidationError:
        raise PageError(404, "Deze lijst bestaat niet.") from None


def query_of(tab: str, found: CaseFilter) -> str:
    """The inbox address of a tab with a filter."""
    values = found.model_dump(mode="json", exclude_defaults=True)
    pairs = [("tab", tab)] + [
        (name, "ja" if field == "overdue" else str(values[field]))
        for name, field in FILTER_FIELDS.items()
        if field in values
    ]
    return "/inbox?" + urlencode(pairs)


@routes.get("/inbox")
async def inbox_page(request: web.Request) -> web.Response:
    return await _inbox_page(request)


async def _inbox_page(
    request: web.Request,
    status: int = 200,
    error: str | None = None,
    shown: tuple[str, CaseFilter] | None = None,
) -> web.Response:
    """The inbox as the address says, or (after a refused form) the tab and filter `shown`."""
    session = session_of(request)
    pool = request.app[POOL]
    tab, found = shown or (request.query.get("tab", "new"), filter_of(request.query))
    if tab not in labels.TAB:
        raise PageError(404, "Deze lijst bestaat niet.")
    listed, counts = await cases.inbox(pool, session.user, tab, found)
    return render(
        request,
        "inbox.html",
        status=status,
        user=session.user,
        csrf_token=session.csrf_token,
        tabs=list(labels.TAB.items()),
        tab=tab,
        tab_label=labels.TAB[tab],
        counts=counts,
        cases=listed,
        found=found,
        partners=await cases.team_partners(pool, session.user),
        statuses=[(s.value, labels.CASE_STATUS[s]) for s in CaseStatus],
        kinds=[(k.value, labels.SIGNAL_KIND[k]) for k in SignalKind],
        queues=[(q, query_of(q.tab, q.found)) for q in await cases.work_queues(pool, session.user)],
        here=query_of(tab, found),
        error=error,
        kept_name=str((await request.post()).get("name", "")) if shown else "",
        refresh_ms=int(request.app[SETTINGS].inbox_refresh_seconds * 1000),
    )


@routes.post("/inbox/lijsten")
async def save_queue(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    form = await request.post()
    tab = str(form.get("tab", ""))
    if tab not in labels.TAB:
        raise PageError(404, "Deze lijst bestaat niet.")
    found = filter_of(form)
    shown = (tab, found)
    try:
        await cases.save_work_queue(
            request.app[POOL], session.user, str(form.get("name", "")), tab, found
        )
    except InvalidFields:
        message = "Geef de lijst een naam van 1 tot 60 tekens."
        return await _inbox_page(request, 422, message, shown)
    except cases.TooMany:
        message = f"U heeft al {cases.MAX_WORK_QUEUES} lijsten. Verwijder er eerst een."
        return await _inbox_page(request, 409, message, shown)
    except Conflict:
        return await _inbox_page(request, 409, "U heeft al een lijst met die naam.", shown)
    raise web.HTTPSeeOther(query_of(tab, found))


@routes.post("/inbox/lijsten/{id}/weg")
async def drop_queue(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    await request.post()  # the CSRF token was checked on the way in
    await cases.drop_work_queue(request.app[POOL], session.user, path_id(request, "queue"))
    raise web.HTTPSeeOther("/inbox")


async def _case_page(
    request: web.Request,
    status: int = 200,
    error: str | None = None,
    confirm: dict[str, str] | None = None,
    reason_error: str | None = None,
    kept: dict[str, str] | None = None,
) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    case_id = path_id(request, "case")
    try:
        window = timedelta(days=request.app[SETTINGS].stacking_window_days)
        case = await cases.case_view(pool, session.user, case_id, earlier_within=window)
    except NotFound:
        raise PageError(404, NO_SUCH_CASE) from None
    user = session.user
    actions = cases.actions_for(user, case)
    team_colleagues: list[tuple[str, str]] = []
    if "assign" in actions and user.team is not None:
        team_colleagues = await colleagues(pool, user.team.id)
    return render(
        request,
        "case.html",
        status=status,
        user=user,
        csrf_token=session.csrf_token,
        case=case,
        actions=actions,
        colleagues=team_colleagues,
        outcomes=[(outcome.value, labels.OUTCOME[outcome]) for outcome in Outcome],
        contact_kinds=[(kind.value, labels.CONTACT_KIND[kind]) for kind in ContactKind],
        day_parts=[(part.value, labels.DAY_PART[part]) for part in DayPart],
        early_debt=any(signal.kind is SignalKind.PAYMENT_ARREARS for signal in case.signals),
        early_debt_results=[(r.value, labels.EARLY_DEBT_RESULT[r]) for r in EarlyDebtResult],
        today_iso=today().isoformat(),
        error=error,
        done=None if error or confirm else labels.DONE.get(request.query.get("gedaan", "")),
        confirm=confirm,
        reason_error=reason_error,
        kept=kept or {"action": "", "note": ""},
        reopen_days=REOPEN_DAYS,
    )


@routes.get("/inbox/zaken/{id}")
async def case_page(request: web.Request) -> web.Response:
    return await _case_page(request)


@routes.post("/inbox/zaken/{id}/acties")
async def case_action(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    form = await request.post()
    case_id = path_id(request, "case")
    # A browser sends a line break as CR LF and counts it as one character: so does the hub.
    fields: dict[str, Any] = {
        key: str(value).replace("\r\n", "\n") for key, value in form.items() if key != "csrf_token"
    }
    if "reached" in fields:
        reached = {"true": True, "false": False}.get(fields["reached"])
        if reached is None:
            return await _case_page(request, 422, NEEDS_INPUT)
        fields["reached"] = reached
    if not fields.get("note", "").strip():
        fields.pop("note", None)  # an empty note box is no note
    for optional in ("how", "on", "part_of_day"):
        if not fields.get(optional, "").strip():
            fields.pop(optional, None)  # "not chosen"
    confirmed = fields.pop("bevestigd", "") == "ja"
    kept = {"action": str(fields.get("action", "")), "note": str(fields.get("note", ""))}
    try:
        action = CaseActionIn.model_validate(fields).root
        if isinstance(action, Close) and not confirmed:  # closing tells partners: ask first
            return await _case_page(
                request,
                confirm={
                    "outcome": action.final_outcome.value,
                    "early_debt_result": action.early_debt_result.value
                    if action.early_debt_result
                    else "",
                    "note": action.note or "",
                },
            )
        await cases.act(request.app[POOL], session.user, case_id, action)
    except ValidationError as invalid:
        if fields.get("action") in ("return", "decline"):
            return await _case_page(request, 422, REASON_NEEDED, reason_error=REASON_NEEDED)
        if any("note" in problem["loc"] for problem in invalid.errors()):
            return await _case_page(request, 422, NOTE_PROBLEM, kept=kept)
        if fields.get("action") == "note":  # an empty note
            return await _case_page(request, 422, NOTE_PROBLEM, kept=kept)
        return await _case_page(request, 422, NEEDS_INPUT, kept=kept)
    except NotFound:
        raise PageError(404, NO_SUCH_CASE) from None
    except HubError as error:
        if error.status == 409 and await _done_already(request, case_id, fields):
            raise web.HTTPSeeOther(f"/inbox/zaken/{case_id}?gedaan={fields['action']}") from None
        return await _case_page(request, error.status, _dutch(error, fields), kept=kept)
    raise web.HTTPSeeOther(f"/inbox/zaken/{case_id}?gedaan={action.action}")


async def _done_already(request: web.Request, case_id: UUID, fields: Mapping[str, Any]) -> bool:
    """A step refused because it was just taken (a double click, a second tab): the person is
    shown it done, not an error."""
    user = session_of(request).user
    case = await cases.case_view(request.app[POOL], user, case_id)
    if fields.get("action") == "close":
        return case.status is CaseStatus.CLOSED and case.outcome == fields.get("outcome")
    if fields.get("action") == "take":
        return case.director == user.email
    return False


def _dutch(error: HubError, fields: Mapping[str, Any]) -> str:
    if error.status == 409:
        return WRONG_STEP
    if error.status == 403:
        return ONLY_LEADS_REOPEN if fields.get("action") == "reopen" else NOT_YOURS
    if isinstance(error, InvalidFields) and fields.get("action") == "assign":
        return "Kies een collega uit uw eigen team."
    return "Dat kon niet worden verwerkt."
