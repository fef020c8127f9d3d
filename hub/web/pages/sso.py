"""The pages of single sign-on: off to the municipality's identity provider, and back."""

from __future__ import annotations

import base64
import binascii
import logging
import secrets
import time

import aiohttp
from aiohttp import web

from hub.directory.accounts import login_signed_on
from hub.directory.oidc import Pending, Provider, SsoError, email_of
from hub.privacy.crypto import KeyringError, keyring
from hub.web.access import SESSION_COOKIE
from hub.web.appkeys import POOL, SETTINGS, SSO
from hub.web.problems import PageError
from hub.web.render import START_PAGE, see_other, set_cookie

log = logging.getLogger(__name__)
routes = web.RouteTableDef()

PENDING_COOKIE = "hub_sso"
_PLACE = "cookie.sso"  # what the sealed cookie is bound to
_TIMEOUT = aiohttp.ClientTimeout(total=10)
FAILED = "Inloggen met uw gemeente-account is niet gelukt. Probeer het opnieuw."


def _provider(request: web.Request) -> Provider:
    provider = request.app.get(SSO)
    if provider is None:
        raise PageError(404, "Inloggen met een gemeente-account is hier niet ingesteld.")
    return provider


def _redirect_uri(request: web.Request) -> str:
    base = request.app[SETTINGS].public_url or f"{request.scheme}://{request.host}"
    return base.rstrip("/") + "/inloggen/sso/terug"


@routes.get("/inloggen/sso")
async def start(request: web.Request) -> web.Response:
    provider = _provider(request)
    try:
        async with aiohttp.ClientSession(timeout=_TIMEOUT) as http:
            url, pending = await provider.start(http, _redirect_uri(request))
    except (SsoError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("sign-on provider unavailable: %s", type(error).__name__)
        raise PageError(503, "De inlogdienst van de gemeente is nu niet bereikbaar.") from None
    # What the callback must match travels sealed in a cookie bound to this browser.
    sealed = keyring().seal(
        {
            "state": pending.state,
            "nonce": pending.nonce,
            "verifier": pending.code_verifier,
            "until": time.time() + 600,
        },
        _PLACE,
        PENDING_COOKIE,
    )
    response = web.Response(status=302, headers={"Location": url})
    cookie = base64.urlsafe_b64encode(sealed or b"").decode()
    set_cookie(request, response, PENDING_COOKIE, cookie, max_age=600)
    return response


def _pending(request: web.Request) -> Pending:
    try:
        raw = base64.urlsafe_b64decode(request.cookies.get(PENDING_COOKIE, ""))
        kept = keyring().unseal(raw, _PLACE, PENDING_COOKIE) if raw else None
    except (KeyringError, ValueError, binascii.Error):
        kept = None
    if not isinstance(kept, dict) or kept.get("until", 0) < time.time():
        raise PageError(400, FAILED)
    state = request.query.get("state", "")
    if not secrets.compare_digest(state.encode(), str(kept["state"]).encode()):
        raise PageError(400, FAILED)
    return Pending(kept["state"], kept["nonce"], kept["verifier"])


@routes.get("/inloggen/sso/terug")
async def finish(request: web.Request) -> web.Response:
    provider = _provider(request)
    if "error" in request.query:
        raise PageError(401, FAILED)
    pending = _pending(request)
    code = request.query.get("code", "")
    if not code:
        raise PageError(400, FAILED)
    try:
        async with aiohttp.ClientSession(timeout=_TIMEOUT) as http:
            claims = await provider.finish(http, code, _redirect_uri(request), pending)
        email = email_of(claims)
    except (SsoError, aiohttp.ClientError, TimeoutError) as error:
        log.warning("sign-on refused: %s", error if isinstance(error, SsoError) else "no answer")
        raise PageError(401, FAILED) from None
    session = await login_signed_on(request.app[POOL], email)
    if session is None:
        raise PageError(
            403,
            "U bent bij de gemeente ingelogd, maar heeft geen account in de signaalhub. "
            "Vraag de beheerder om een account.",
        )
    response = see_other(START_PAGE.get(session.user.role, "/"))
    set_cookie(request, response, SESSION_COOKIE, session.token)
    response.del_cookie(PENDING_COOKIE, path="/")
    return response
