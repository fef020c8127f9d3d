"""The start page, logging in with a password, and logging out."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from typing import Any

from aiohttp import web

from hub.directory.accounts import login, logout
from hub.web.access import SESSION_COOKIE, principal_of, session_of
from hub.web.appkeys import POOL
from hub.web.problems import PageError
from hub.web.render import START_PAGE, render, see_other, set_cookie

LOGIN_CSRF_COOKIE = "hub_login_csrf"
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


@routes.post("/inloggen")
async def login_submit(request: web.Request) -> web.Response:
    form = await request.post()
    check_login_csrf(request.cookies.get(LOGIN_CSRF_COOKIE, ""), form)
    email, password = str(form.get("email", "")), str(form.get("password", ""))
    session = await login(request.app[POOL], email, password) if email and password else None
    if session is None:
        token = secrets.token_urlsafe(32)
        response = render(
            request,
            "login.html",
            status=401,
            csrf_token=token,
            values={"email": email},
            errors={
                "email": "Het e-mailadres of wachtwoord klopt niet, of het account is "
                "tijdelijk geblokkeerd na te veel pogingen"
            },
        )
        set_cookie(request, response, LOGIN_CSRF_COOKIE, token, max_age=3600)
        return response
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
