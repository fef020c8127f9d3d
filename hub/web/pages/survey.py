"""The partner survey's page, `/enquete/{token}`: a partner answers through its personal link,
without a login, and may change or withdraw its answers until the survey closes.

The link's token is the key, so the page is open to anyone who has it; its forms are guarded by
a double-submit cookie (as the login page, there being no session) or, for someone who is logged
in as well, by the session's CSRF token (the access middleware checks that). Each client address
gets a person's pace. The token never reaches a log: requests are logged by route pattern.
"""

from __future__ import annotations

import math
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from hub import labels
from hub.platform.clock import today
from hub.platform.errors import InvalidFields, NotFound
from hub.surveys.service import (
    MAX_COMMENT,
    SurveyClosed,
    SurveyForm,
    save_answers,
    survey_form,
    withdraw_answers,
)
from hub.web.access import principal_of
from hub.web.appkeys import POOL, SURVEY_LIMITS
from hub.web.pages.login import check_login_csrf
from hub.web.problems import PageError
from hub.web.render import render, set_cookie
from schemas.surveys import Score

routes = web.RouteTableDef()
CSRF_COOKIE = "hub_survey_csrf"
NOT_A_LINK = (
    "Deze link werkt niet. Kijk of u de hele link uit de e-mail heeft overgenomen, of vraag de "
    "gemeente om een nieuwe."
)
DONT_KNOW = "0"
# The scale as the page offers it: agree first, "don't know" last.
SCALE = [
    *((str(int(score)), labels.SURVEY_SCALE[score]) for score in sorted(Score, reverse=True)),
    (DONT_KNOW, labels.SURVEY_DONT_KNOW),
]
_ANSWER = re.compile(r"a-([0-9]{1,18})-([0-9]{1,18})")
_COMMENT = re.compile(r"c-([0-9]{1,18})")
DONE = {
    "opgeslagen": "Uw antwoorden zijn opgeslagen. U kunt ze hier wijzigen of intrekken tot en "
    "met de sluitingsdatum.",
    "ingetrokken": "Uw antwoorden zijn ingetrokken: ze tellen niet mee. U kunt de enquête "
    "opnieuw invullen zolang hij open is.",
}


def _too_fast(request: web.Request) -> web.Response | None:
    """A Dutch page saying to wait, where this address asked too often."""
    wait = request.app[SURVEY_LIMITS].take(request.remote or "unknown")
    if wait is None:
        return None
    seconds = max(1, math.ceil(wait))
    response = render(
        request,
        "error.html",
        status=429,
        heading="Even geduld",
        message=f"Deze pagina is heel vaak achter elkaar geopend. Wacht {seconds} seconden en "
        "probeer het dan opnieuw.",
    )
    response.headers["Retry-After"] = str(seconds)
    return response


def _closed(request: web.Request, form: SurveyForm | SurveyClosed) -> web.Response:
    return render(request, "survey_closed.html", status=410, closes_on=form.closes_on)


def _values(form: SurveyForm) -> dict[str, str]:
    """What the partner answered so far, as the form's fields."""
    values = {
        f"a-{team}-{statement}": DONT_KNOW if score is None else str(int(score))
        for (team, statement), score in form.answers.items()
    }
    values.update({f"c-{team}": text for team, text in form.comments.items()})
    return values


def _page(
    request: web.Request,
    form: SurveyForm,
    *,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    confirm: bool = False,
) -> web.Response:
    session = principal_of(request).session
    csrf = session.csrf_token if session else secrets.token_urlsafe(32)
    response = render(
        request,
        "survey.html",
        status=status,
        form=form,
        token=request.match_info["token"],
        scale=SCALE,
        values=_values(form) if values is None else values,
        errors=errors or {},
        confirm=confirm,
        done=None if errors else DONE.get(request.query.get("gedaan", "")),
        max_comment=MAX_COMMENT,
        csrf_token=csrf,
        user=session.user if session else None,
    )
    if session is None:
        set_cookie(request, response, CSRF_COOKIE, csrf, max_age=4 * 3600)
    return response


async def _checked_form(request: web.Request) -> MultiDictProxy[Any]:
    """The posted form, its double-submit token checked where there is no session (a session's
    own token the access middleware has checked already)."""
    posted = await request.post()
    if principal_of(request).session is None:
        check_login_csrf(request.cookies.get(CSRF_COOKIE, ""), posted)
    return posted


def read_answers(
    posted: MultiDictProxy[Any],
) -> tuple[dict[tuple[int, int], Score | None], dict[int, str], dict[str, str]]:
    """The answers and comments in the form, and the form's values as typed."""
    answers: dict[tuple[int, int], Score | None] = {}
    comments: dict[int, str] = {}
    values: dict[str, str] = {}
    for name, value in posted.items():
        if not isinstance(value, str):
            raise PageError(400, "Het formulier kon niet worden gelezen.")
        if found := _ANSWER.fullmatch(name):
            if value not in {code for code, _ in SCALE}:
                raise PageError(400, "Het formulier kon niet worden gelezen.")
            key = (int(found.group(1)), int(found.group(2)))
            answers[key] = None if value == DONT_KNOW else Score(int(value))
            values[name] = value
        elif found := _COMMENT.fullmatch(name):
            comments[int(found.group(1))] = value
            values[name] = value
    return answers, comments, values


@routes.get("/enquete/{token}")
async def survey_page(request: web.Request) -> web.Response:
    if (refused := _too_fast(request)) is not None:
        return refused
    form = await survey_form(request.app[POOL], request.match_info["token"], today())
    if form is None:
        raise PageError(404, NOT_A_LINK)
    if not form.open:
        return _closed(request, form)
    return _page(request, form)


@routes.post("/enquete/{token}")
async def survey_answer(request: web.Request) -> web.StreamResponse:
    if (refused := _too_fast(request)) is not None:
        return refused
    token = request.match_info["token"]
    posted = await _checked_form(request)
    answers, comments, values = read_answers(posted)
    pool = request.app[POOL]
    try:
        await save_answers(pool, token, answers, comments, datetime.now(UTC))
    except NotFound:
        raise PageError(404, NOT_A_LINK) from None
    except SurveyClosed as closed:
        return _closed(request, closed)
    except InvalidFields as error:
        form = await survey_form(pool, token, today())
        if form is None or not form.open:
            raise PageError(404, NOT_A_LINK) from None
        errors = {}
        for problem in error.errors or []:
            loc = problem.get("loc")
            field = str(loc[0]) if isinstance(loc, list) and loc else ""
            if field.startswith("c-"):
                errors[field] = (
                    f"Maak de toelichting korter: hoogstens {MAX_COMMENT} tekens, zonder "
                    "onzichtbare tekens"
                )
        if not errors:
            raise PageError(400, "Het formulier past niet bij deze enquête.") from None
        return _page(request, form, status=422, values=values, errors=errors)
    raise web.HTTPSeeOther(f"/enquete/{token}?gedaan=opgeslagen#klaar")


@routes.post("/enquete/{token}/intrekken")
async def survey_withdraw(request: web.Request) -> web.StreamResponse:
    if (refused := _too_fast(request)) is not None:
        return refused
    token = request.match_info["token"]
    posted = await _checked_form(request)
    pool = request.app[POOL]
    if posted.get("bevestigd") != "ja":  # answers withdrawn are gone: ask first
        form = await survey_form(pool, token, today())
        if form is None:
            raise PageError(404, NOT_A_LINK)
        if not form.open:
            return _closed(request, form)
        return _page(request, form, confirm=True)
    try:
        await withdraw_answers(pool, token, datetime.now(UTC))
    except NotFound:
        raise PageError(404, NOT_A_LINK) from None
    except SurveyClosed as closed:
        return _closed(request, closed)
    raise web.HTTPSeeOther(f"/enquete/{token}?gedaan=ingetrokken#klaar")
