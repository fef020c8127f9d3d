"""Every middleware a request passes, outermost first (`MIDDLEWARES` is the order):

1. `request_id`: an id per request, in every log line about it and in `X-Request-Id`;
2. `measure`: request timings by route pattern, for /metrics;
3. `problems`: our errors as problem+json (OperationOutcome on FHIR routes), the unknown as a
   bare 500 that reveals nothing;
4. `bounded`: at most `max_in_flight` requests at once, beyond that 503 at once;
5. `page_errors`: a page that cannot be shown as a Dutch page;
6. `form_limit`: a form a page posts is small and read once;
7. `access_control`: the access matrix, CSRF and partners' rate limits (`hub.web.access`).

`security_headers` runs on every response as it is sent (`on_response_prepare`).
"""

from __future__ import annotations

import contextlib
import logging
import math
import re
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from aiohttp.typedefs import Middleware

from hub.platform.errors import BadRequest, HubError, TooManyRequests, Unavailable
from hub.platform.logs import REQUEST_ID, REQUEST_KEY, route_of
from hub.platform.metrics import REQUEST_SECONDS
from hub.web.access import (
    ANONYMOUS,
    NOBODY,
    PARTNER_TOKEN,
    PRINCIPAL,
    SAFE_METHODS,
    allowed_roles,
    check_csrf,
    identify,
    principal_of,
    refusal,
)
from hub.web.appkeys import LIMITS, SETTINGS
from hub.web.operation_outcome import operation_outcome, outcome_for_error
from hub.web.problems import PageError, http_error_type, is_fhir, problem_response
from hub.web.render import render

log = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_GIVEN_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")
# Probes must see the truth even when the hub is busy.
UNBOUNDED = frozenset({"/healthz", "/readyz", "/metrics"})


@web.middleware
async def request_id(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every request gets an id (the caller's X-Request-Id if it is a sane one), in each log line
    about it and in the answer's X-Request-Id, so a partner's report can be found in the logs."""
    given = request.headers.get("X-Request-Id", "")
    value = given if _GIVEN_ID.match(given) else uuid.uuid4().hex
    request[REQUEST_KEY] = value
    REQUEST_ID.set(value)
    try:
        response = await handler(request)
    except web.HTTPException as error:
        error.headers["X-Request-Id"] = value
        raise
    response.headers["X-Request-Id"] = value
    return response


@web.middleware
async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Time every request by its route pattern (`/api/v1/cases/{id}`, never an id)."""
    started = time.monotonic()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        return response
    except web.HTTPException as error:
        status = error.status
        raise
    finally:
        resource = request.match_info.route.resource
        route = resource.canonical if resource is not None else "unmatched"
        REQUEST_SECONDS.labels(route, request.method, str(status)).observe(
            time.monotonic() - started
        )


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """On every response, redirects and errors included (an `on_response_prepare` handler, not
    a middleware, so that nothing escapes it): no framing, no scripts from elsewhere, no
    sniffing, no caching of anything but the static files (pages and answers hold residents'
    data), no software version, and HSTS where TLS is in front."""
    headers = response.headers
    headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'",
    )
    headers.setdefault("X-Frame-Options", "DENY")
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if not request.path.startswith("/static/"):
        headers["Cache-Control"] = "no-store"
    elif "v" in request.query and response.status == 200:
        # Pages link static files with their digest (render.static_url): a new file is a new URL.
        headers["Cache-Control"] = "public, max-age=31536000, immutable"
    headers["Server"] = "signal-hub"
    if request.app[SETTINGS].secure_cookies:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000")


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _render_error(
    request: web.Request, error: HubError, headers: dict[str, str] | None = None
) -> web.Response:
    if is_fhir(request):
        return outcome_for_error(error, headers)
    return problem_response(
        error.status, error.type, error.title, error.detail, error.errors, headers
    )


# A browser that asks for a page the hub does not have gets a Dutch page; API clients, FHIR
# clients and anything not asking for HTML keep getting problem+json.
PAGE_ERRORS = {
    404: "Deze pagina bestaat niet. Misschien is de link verouderd of zit er een tikfout in het "
    "adres.",
    405: "Deze pagina kan zo niet worden gebruikt. Ga terug en probeer het via de knoppen op de "
    "pagina.",
}


def _error_page(request: web.Request, status: int, message: str) -> web.Response:
    """A Dutch page saying what went wrong, with the menu of whoever is logged in."""
    session = principal_of(request).session
    return render(
        request,
        "error.html",
        status=status,
        message=message,
        heading="Pagina niet gevonden" if status == 404 else "Dat lukte niet",
        user=session.user if session else None,
        csrf_token=session.csrf_token if session else "",
    )


def wants_a_page(request: web.Request) -> bool:
    if request.path.startswith(("/api/", "/fhir", "/metrics", "/static/")):
        return False
    return "text/html" in request.headers.get("Accept", "")


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Our errors as problem+json (OperationOutcome on FHIR routes); the unknown as a bare 500."""
    try:
        return await handler(request)
    except HubError as error:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        if isinstance(error, Unavailable):
            headers = {"Retry-After": "1"}
        if error.retry_after is not None:
            headers = {"Retry-After": str(error.retry_after)}
        return _render_error(request, error, headers)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        if error.status in PAGE_ERRORS and wants_a_page(request):
            return _error_page(request, error.status, PAGE_ERRORS[error.status])
        if is_fhir(request):
            return operation_outcome(error.status, error.reason, None, headers)
        detail = error.text if error.status == 413 and error.text else error.reason
        return problem_response(
            error.status, http_error_type(error.status), error.reason, detail, None, headers
        )
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresConnectionError,
        asyncpg.CannotConnectNowError,
        asyncpg.TooManyConnectionsError,
    ) as error:
        if isinstance(error, ConnectionResetError) and _client_gone(request):
            # The client hung up (an upload cut off): no outage, and nobody left to answer.
            log.info("client went away during %s %s", request.method, route_of(request))
            return _render_error(request, BadRequest("the connection closed before the end"))
        log.warning("database unavailable: %s", type(error).__name__)
        return _render_error(
            request,
            Unavailable("the database is unreachable; try again shortly"),
            {"Retry-After": "1"},
        )
    except Exception:
        # By route pattern: a path may hold a postcode, or a survey link's secret token.
        log.exception("unexpected error on %s %s", request.method, route_of(request))
        return _render_error(request, HubError("something went wrong on our side"))


def bounded(limit: int) -> Middleware:
    """Bounded work: one process takes on at most `limit` requests at a time. Beyond that it
    answers 503 with Retry-After at once, instead of queueing without limit (and without memory
    bound) while every client's wait grows."""
    in_flight = 0

    @web.middleware
    async def middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
        nonlocal in_flight
        if request.path in UNBOUNDED:
            return await handler(request)
        if in_flight >= limit:
            raise Unavailable("the hub is at capacity; try again in a moment")
        in_flight += 1
        try:
            return await handler(request)
        finally:
            in_flight -= 1

    return middleware


@web.middleware
async def page_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A page that cannot be shown is answered with a Dutch page."""
    try:
        response: web.StreamResponse = await handler(request)
    except PageError as error:
        return _error_page(request, error.status, error.message)
    return response


@web.middleware
async def form_limit(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A form a page posts is small: its length is stated and at most `max_body_bytes`. (The
    application admits larger bodies only for the API's CSV batches.)"""
    page = not request.path.startswith(("/api/", "/fhir"))
    if page and any("\x00" in value for value in request.query.values()):
        # No text the hub keeps or looks up holds a NUL (PostgreSQL's text cannot).
        raise PageError(400, "Het adres van de pagina bevat een teken dat niet kan.")
    if request.method == "POST" and page:
        length = request.content_length
        if length is None:
            raise PageError(411, "Het formulier kwam zonder lengte aan. Probeer het opnieuw.")
        if length > request.app[SETTINGS].max_body_bytes:
            raise PageError(413, "Het formulier is te groot. Kort de tekst in en probeer opnieuw.")
        try:
            form = await request.post()  # read once; handlers get the parsed form from the cache
        except (ValueError, HttpProcessingError):
            raise PageError(400, "Het formulier kon niet worden gelezen.") from None
        if any(isinstance(value, str) and "\x00" in value for value in form.values()):
            raise PageError(400, "Het formulier bevat een teken dat niet kan. Controleer de tekst.")
    response: web.StreamResponse = await handler(request)
    return response


@web.middleware
async def access_control(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Tie the request to a principal, and let it through only where the matrix allows."""
    route = request.match_info.route
    if route.resource is None:  # no such path or method: aiohttp answers 404/405 itself
        if wants_a_page(request):  # a Dutch page, with the menu of whoever is logged in
            with contextlib.suppress(HubError):
                request[PRINCIPAL] = await identify(request)
        return await handler(request)
    roles = allowed_roles(request.method, route.resource.canonical)
    try:
        principal = await identify(request)
    except HubError as error:
        if error.status != 401 or ANONYMOUS not in roles:
            raise
        principal = NOBODY
    if principal.role not in roles:
        raise refusal(request, principal, route.resource.canonical, roles)
    if principal.session is not None and request.method not in SAFE_METHODS:
        await check_csrf(request, principal.session)
    if principal.role == PARTNER_TOKEN and principal.partner is not None:
        wait = request.app[LIMITS].take(str(principal.partner.id))
        if wait is not None:
            raise TooManyRequests(
                "too many requests for this partner; slow down",
                retry_after=max(1, math.ceil(wait)),
            )
    request[PRINCIPAL] = principal
    return await handler(request)


def middlewares(max_in_flight: int) -> list[Any]:
    """The middlewares in the order a request passes them."""
    return [
        request_id,
        measure,
        problems,
        bounded(max_in_flight),
        page_errors,
        form_limit,
        access_control,
    ]
