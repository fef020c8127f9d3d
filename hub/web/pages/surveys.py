"""The administrators' page of the partner survey: starting a survey, the statements it asks
(wording changed, added, no longer asked), the surveys run, and partners without an address.

After each action the page says what happened; a refused form comes back as it was typed, with
what to correct beside its field.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

from aiohttp import web

from hub import labels
from hub.directory.service import list_partners, list_teams, partner_contacts
from hub.platform.clock import today
from hub.platform.config import public_url
from hub.platform.errors import Conflict, InvalidFields, NotFound
from hub.surveys.results import list_surveys
from hub.surveys.service import (
    LONGEST,
    MAX_STATEMENT,
    REMINDER_DAYS,
    add_statement,
    change_statement,
    list_statements,
    retire_statement,
    start_survey,
)
from hub.web.access import session_of
from hub.web.appkeys import POOL, SETTINGS
from hub.web.problems import PageError
from hub.web.render import render
from schemas.address import ascii_number
from schemas.surveys import Theme

routes = web.RouteTableDef()
PAGE = "/beheer/enquetes"
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
DONE = {
    "toegevoegd": "De stelling is toegevoegd. Enquêtes die u vanaf nu start, vragen haar.",
    "gewijzigd": "De stelling is gewijzigd. Enquêtes die al liepen, houden de oude tekst.",
    "verwijderd": "De stelling wordt in nieuwe enquêtes niet meer gevraagd. Eerdere uitkomsten "
    "blijven bewaard.",
}
STATEMENT_TEXT = f"Schrijf een stelling van 1 tot {MAX_STATEMENT} tekens, zonder onzichtbare tekens"


def _closes(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if _DAY.fullmatch(text) else None
    except ValueError:
        return None


async def _page(
    request: web.Request,
    status: int = 200,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> web.Response:
    session = session_of(request)
    pool = request.app[POOL]
    day = today()
    statements = await list_statements(pool)
    used = {statement.theme for statement in statements if statement.theme}
    teams = await list_teams(pool)
    names = {team.code: team.name for team in teams}
    surveys = (await list_surveys(pool, day)).surveys
    contacts = await partner_contacts(pool)
    done = request.query.get("gedaan", "")
    started = None
    if done == "gestart" and not errors:
        invited = request.query.get("uitgenodigd", "")
        closes = _closes(request.query.get("tot", ""))
        if ascii_number(invited) and len(invited) < 9 and closes is not None:
            started = {"invited": int(invited), "closes": closes}
    return render(
        request,
        "surveys_admin.html",
        status=status,
        user=session.user,
        csrf_token=session.csrf_token,
        statements=[
            {
                "id": s.id,
                "number": number,
                "text": s.text,
                "theme": labels.SURVEY_THEME[s.theme] if s.theme else "eigen stelling",
            }
            for number, s in enumerate(statements, start=1)
        ],
        themes=[("", "Geen thema (eigen stelling)")]
        + [(theme.value, labels.SURVEY_THEME[theme]) for theme in Theme if theme not in used],
        team_options=[("", "Alle teams")] + [(team.code, team.name) for team in teams],
        surveys=[
            {
                "id": s.id,
                "opened": s.opened_on,
                "closes": s.closes_on,
                "whom": names.get(s.team, s.team) if s.team else "alle teams",
                "invited": s.invited,
                "answered": s.answered,
                "state": "loopt" if s.open else "gesloten",
            }
            for s in surveys
        ],
        running=[s for s in surveys if s.open],
        without_address=[p.name for p in await list_partners(pool) if not contacts.get(p.id)],
        values={"closes": (day + timedelta(days=21)).isoformat(), "team": ""} | (values or {}),
        errors=errors or {},
        done=None if errors else DONE.get(done),
        started=started,
        first_day=(day + timedelta(days=1)).isoformat(),
        last_day=(day + timedelta(days=LONGEST)).isoformat(),
        reminders=REMINDER_DAYS,
    )


@routes.get(PAGE)
async def surveys_page(request: web.Request) -> web.Response:
    return await _page(request)


@routes.post(PAGE)
async def survey_start(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    values = {name: str(form.get(name, "")).strip() for name in ("closes", "team")}
    closes = _closes(values["closes"])
    teams = {team.code for team in await list_teams(request.app[POOL])}
    errors = {}
    if closes is None or not today() < closes <= today() + timedelta(days=LONGEST):
        errors["closes"] = (
            f"Kies een dag na vandaag en binnen {LONGEST} dagen, bijvoorbeeld "
            f"{(today() + timedelta(days=21)).strftime('%d-%m-%Y')}"
        )
    if values["team"] and values["team"] not in teams:
        errors["team"] = "Kies een team uit de lijst"
    if errors or closes is None:
        return await _page(request, 422, values=values, errors=errors)
    settings = request.app[SETTINGS]
    try:
        started = await start_survey(
            request.app[POOL],
            closes,
            values["team"] or None,
            public_url=public_url(settings),
            now=datetime.now(UTC),
        )
    except Conflict:
        return await _page(
            request,
            409,
            values=values,
            errors={"team": "Er loopt al een enquête over deze teams: wacht tot die sluit"},
        )
    except InvalidFields as error:
        field = "closes"
        for problem in error.errors or []:
            loc = problem.get("loc")
            if isinstance(loc, list) and loc and loc[0] == "statements":
                field = "statements"
        message = (
            "Er zijn geen stellingen om te vragen: voeg ze eerst toe"
            if field == "statements"
            else "Kies een andere sluitingsdatum"
        )
        return await _page(request, 422, values=values, errors={"closes": message})
    raise web.HTTPSeeOther(
        f"{PAGE}?gedaan=gestart&uitgenodigd={started.invited}&tot={started.closes_on.isoformat()}"
    )


@routes.post(PAGE + "/stellingen")
async def statement_add(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    text = str(form.get("text", ""))
    theme_text = str(form.get("theme", ""))
    try:
        theme = Theme(theme_text) if theme_text else None
    except ValueError:
        return await _page(request, 422, errors={"theme": "Kies een thema uit de lijst"})
    try:
        await add_statement(request.app[POOL], text, theme)
    except InvalidFields:
        return await _page(request, 422, values={"text": text}, errors={"text": STATEMENT_TEXT})
    except Conflict:
        return await _page(
            request,
            409,
            values={"text": text},
            errors={"theme": "Er is al een stelling over dit thema: wijzig die"},
        )
    raise web.HTTPSeeOther(f"{PAGE}?gedaan=toegevoegd#stellingen")


@routes.post(PAGE + "/stellingen/{id}")
async def statement_change(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["id"]
    if not ascii_number(raw) or len(raw) > 18:
        raise PageError(404, "Deze stelling bestaat niet (meer).")
    statement_id = int(raw)
    form = await request.post()
    pool = request.app[POOL]
    try:
        if form.get("actie") == "verwijderen":
            await retire_statement(pool, statement_id)
            raise web.HTTPSeeOther(f"{PAGE}?gedaan=verwijderd#stellingen")
        await change_statement(pool, statement_id, str(form.get("text", "")))
    except NotFound:
        raise PageError(404, "Deze stelling bestaat niet (meer).") from None
    except InvalidFields:
        field = f"s-{statement_id}"
        return await _page(
            request, 422, values={field: str(form.get("text", ""))}, errors={field: STATEMENT_TEXT}
        )
    raise web.HTTPSeeOther(f"{PAGE}?gedaan=gewijzigd#stellingen")
