"""The start page, logging in with a password, and logging out."""

from __future__ import annotations

import asyncio
import math
import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from hub.directory.accounts import Throttled, login, logout
from hub.web.access import SESSION_COOKIE, principal_of, session_of
from hub.web.appkeys import LOGIN_GATE, POOL
from hub.web.problems import PageError
from hub.web.render import START_PAGE, render, see_other, set_cookie

LOGIN_CSRF_COOKIE = "hub_login_csrf"
# A refusal to a guesser is answered after this pause: it costs the hub nothing while it waits,
# and a client that tries again as soon as it is answered cannot keep the hub busy. A person
# who is told to wait loses nothing by it: every wait is at least this long.
THROTTLED_PAUSE = 1.0
routes = web.RouteTableDef()


def check_login_csrf(expected: str, form: Mapping[str, Any]) -> None:
    """The login form's token (double-submit cookie: there is no session yet to bind it to).
    Forms in a session are checked for all routes at once by the access middleware."""
    given = form.get("csrf_token")
    if not expected or not isinstance(given, str) or not secrets.compare_digest(expected, given):
        raise PageError(
            403,
            "Het formulier is verlopen of niet van deze site. Laad de pagina "
            "opnieuw en probeer het nog eens.",
        )


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    session = principal_of(request).session
    if session is not None and session.user.role in START_PAGE:
        raise web.HTTPSeeOther(START_PAGE[session.user.role])
    return render(
        request,
        "home.html",
        user=session.user if session else None,
        csrf_token=session.csrf_token if session else "",
    )


@routes.get("/inloggen")
async def login_page(request: web.Request) -> web.Response:
    token = secrets.token_urlsafe(32)
    response = render(request, "login.html", csrf_token=token)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


def _wait_in_words(seconds: int) -> str:
    if seconds < 90:
        return f"{seconds} seconden"
    minutes = math.ceil(seconds / 60)
    return "1 minuut" if minutes == 1 else f"{minutes} minuten"


def _login_again(
    request: web.Request, status: int, email: str, message: str, headers: dict[str, str]
) -> web.Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status=status,
        csrf_token=token,
        values={"email": email},
        errors={"email": message},
    )
    response.headers.update(headers)
    set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
    return response


@routes.post("/inloggen")
async def login_submit(request: web.Request) -> web.Response:
    form = await request.post()
    check_login_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form)
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    code = str(form.get("code", ""))
    address = request.remote or "unknown"
    session = (
        await login(request.app[POOL], email, password, address, code, gate=request.app[LOGIN_GATE])
        if email and password
        else None
    )
    if isinstance(session, Throttled):
        await asyncio.sleep(THROTTLED_PAUSE)
        return _login_again(
            request,
            429,
            email,
            "Er is hier te vaak met een verkeerd wachtwoord geprobeerd in te loggen. Wacht "
            f"{_wait_in_words(session.retry_after)} en probeer het dan opnieuw.",
            {"Retry-After": str(session.retry_after)},
        )
    if session is None:
        return _login_again(
            request,
            401,
            email,
            "Het e-mailadres, het wachtwoord of de code klopt niet",
            {},
        )
    response = see_other(START_PAGE.get(session.user.role, "/"))
    # A fresh token at every login: a session id known before login is worth nothing after.
    set_cookie(request, response, SESSION_COOKIE, session.token)
    response.del_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@routes.post("/uitloggen")
async def logout_submit(request: web.Request) -> web.Response:
    session = session_of(request)
    await logout(request.app[POOL], session.token)
    response = see_other("/inloggen")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response
