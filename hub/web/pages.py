"""The pages people see, in Dutch: partner login, the signal form, "Mijn signalen".

Plain HTML forms that work without JavaScript: errors are shown beside each field and in a
summary at the top; the address can be checked against the routing table before sending.
"""

from __future__ import annotations

import secrets
from datetime import datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

import jinja2
from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError
from pydantic import ValidationError

from hub.accounts import Session, login, logout
from hub.admin import check_routing
from hub.errors import Conflict, InvalidFields, NotFound
from hub.intake import policy_of, submit_signal
from hub.signals import partner_signal, partner_signals
from hub.web.access import SESSION_COOKIE, principal_of, session_of
from hub.web.keys import POOL, SETTINGS, TEMPLATES
from hub.web.problems import PageError
from hub.workdays import LOCAL_TIME
from schemas.signals import PartnerSignalView, SignalIn, SignalKind, kinds_for

if TYPE_CHECKING:
    from collections.abc import Mapping

LOGIN_CSRF_COOKIE = "hub_login_csrf"
routes = web.RouteTableDef()

KIND_LABELS = {
    SignalKind.CARE_CONCERN: "Zorgen over gezondheid of welzijn",
    SignalKind.RENT_ARREARS: "Huurachterstand",
    SignalKind.NUISANCE: "Overlast",
    SignalKind.EVICTION_THREAT: "Dreigende huisuitzetting",
    SignalKind.NEGLECT: "Verwaarlozing of vervuiling",
    SignalKind.CARE_REPORT: "Zorgmelding",
    SignalKind.CONFUSED_BEHAVIOUR: "Verward gedrag",
    SignalKind.NON_RESPONDER: "Reageert niet op uitnodigingen",
    SignalKind.YOUTH_CONCERN: "Zorgen over een kind of jongere",
    SignalKind.OTHER: "Anders",
}

# Dutch messages per form field; the form is for people, the API speaks English.
FIELD_MESSAGES = {
    "kind": "Kies de soort signaal",
    "urgency": "Kies de urgentie",
    "postcode": "Vul een postcode in zoals 2034 AB",
    "house_number": "Vul een huisnummer in (alleen cijfers)",
    "house_letter": "Een huisletter is één letter",
    "addition": "Een toevoeging is hoogstens 4 letters of cijfers",
    "name": "Een naam is hoogstens 200 tekens",
    "birth_date": "Vul een geboortedatum in het verleden in",
    "informed": "Kies of de bewoner op de hoogte is",
    "reason": "Vul in waarom de bewoner niet op de hoogte is",
    "description": "Beschrijf uw zorg (hoogstens 2000 tekens)",
    "external_ref": "Een kenmerk bestaat uit letters, cijfers en . _ : / # - (hoogstens 100)",
}
_FIELD_OF_LOC: dict[tuple[str | int, ...], str] = {
    ("kind",): "kind",
    ("urgency",): "urgency",
    ("address", "postcode"): "postcode",
    ("address", "house_number"): "house_number",
    ("address", "house_letter"): "house_letter",
    ("address", "addition"): "addition",
    ("person", "name"): "name",
    ("person", "birth_date"): "birth_date",
    ("resident_informed", "informed"): "informed",
    ("resident_informed", "reason"): "reason",
    ("resident_informed",): "reason",
    ("description",): "description",
    ("external_ref",): "external_ref",
}
FORM_FIELDS = (
    "kind",
    "urgency",
    "postcode",
    "house_number",
    "house_letter",
    "addition",
    "name",
    "birth_date",
    "informed",
    "reason",
    "description",
    "external_ref",
    "form_ref",
)


def template_environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("hub.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["local_time"] = lambda moment: moment.astimezone(LOCAL_TIME).strftime(
        "%d-%m-%Y %H:%M"
    )
    environment.globals["kind_label"] = lambda kind: KIND_LABELS[SignalKind(kind)]
    environment.globals["status_label"] = status_label
    return environment


def status_label(signal: PartnerSignalView) -> str:
    if signal.team is not None:
        return f"Doorgestuurd naar {signal.team.name}"
    return "Bij de coördinator, die een wijkteam toewijst"


def render(request: web.Request, name: str, status: int = 200, **context: Any) -> web.Response:
    template = request.app[TEMPLATES].get_template(name)
    context.setdefault("user", None)
    context.setdefault("csrf_token", "")
    context.setdefault("errors", {})
    context.setdefault("values", {})
    context.setdefault("preview", None)
    context.setdefault("sso", request.app[SETTINGS].oidc_issuer is not None)
    return web.Response(
        text=template.render(**context), content_type="text/html", charset="utf-8", status=status
    )


def set_cookie(
    request: web.Request,
    response: web.StreamResponse,
    name: str,
    value: str,
    max_age: int | None = None,
) -> None:
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path="/",
        httponly=True,
        samesite="Lax",
        secure=request.secure or request.app[SETTINGS].secure_cookies,
    )


def see_other(location: str) -> web.Response:
    """A redirect after a POST that also sets cookies (so it is returned, not raised)."""
    return web.Response(status=303, headers={"Location": location})


START_PAGE = {
    "partner": "/signalen/nieuw",
    "member": "/inbox",
    "lead": "/inbox",
    "coordinator": "/coordinator",
    "manager": "/beheer/terugkoppeling",
    "admin": "/beheer/terugkoppeling",
}


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


def _kinds(session: Session) -> list[tuple[str, str]]:
    partner = session.user.partner
    allowed = kinds_for(partner.kind) if partner else frozenset()
    return [(kind.value, KIND_LABELS[kind]) for kind in SignalKind if kind in allowed]


def _form_page(
    request: web.Request, session: Session, values: dict[str, str], status: int = 200, **extra: Any
) -> web.Response:
    return render(
        request,
        "signal_form.html",
        status=status,
        user=session.user,
        csrf_token=session.csrf_token,
        kinds=_kinds(session),
        values=values,
        **extra,
    )


@routes.get("/signalen/nieuw")
async def signal_form(request: web.Request) -> web.Response:
    session = session_of(request)
    # The form's own reference makes a double submit (a second click, a resend) one signal.
    values = {"form_ref": f"WEB-{secrets.token_hex(6).upper()}", "urgency": "normal"}
    return _form_page(request, session, values)


def _signal_fields(values: dict[str, str]) -> dict[str, Any]:
    number = values.get("house_number", "")
    informed = values.get("informed")
    person = {"name": values.get("name") or None, "birth_date": values.get("birth_date") or None}
    return {
        "external_ref": values.get("external_ref") or values.get("form_ref") or "",
        "kind": values.get("kind") or None,
        "urgency": values.get("urgency") or "normal",
        "address": {
            "postcode": values.get("postcode", ""),
            "house_number": int(number) if number.isdigit() else number or None,
            "house_letter": values.get("house_letter") or None,
            "addition": values.get("addition") or None,
        },
        "person": person if any(person.values()) else None,
        "resident_informed": {
            "informed": informed == "yes" if informed in ("yes", "no") else None,
            "reason": (values.get("reason") or None) if informed == "no" else None,
        },
        "description": values.get("description", ""),
    }


def _postcode_message(english: str) -> str:
    if "start with 0" in english:
        return "Een postcode begint niet met 0"
    if "never used" in english:
        return "De lettercombinaties SA, SD en SS komen in postcodes niet voor"
    return FIELD_MESSAGES["postcode"]


def form_errors(error: ValidationError) -> dict[str, str]:
    errors: dict[str, str] = {}
    for item in error.errors(include_url=False, include_input=False):
        loc = tuple(item["loc"])
        field = next(
            (f for prefix, f in _FIELD_OF_LOC.items() if loc[: len(prefix)] == prefix), None
        )
        if field is None or field in errors:
            continue
        errors[field] = (
            _postcode_message(item["msg"]) if field == "postcode" else FIELD_MESSAGES[field]
        )
    return {field: errors[field] for field in FORM_FIELDS if field in errors}


@routes.post("/signalen/nieuw")
async def signal_submit(request: web.Request) -> web.StreamResponse:
    session = session_of(request)
    form = await request.post()
    values = {field: str(form.get(field, "")).strip() for field in FORM_FIELDS}
    partner = session.user.partner
    if partner is None:
        raise web.HTTPSeeOther("/inloggen")
    try:
        signal = SignalIn.model_validate(_signal_fields(values))
    except ValidationError as error:
        return _form_page(request, session, values, 422, errors=form_errors(error))
    if signal.kind not in kinds_for(partner.kind):
        return _form_page(request, session, values, 422, errors={"kind": FIELD_MESSAGES["kind"]})
    if form.get("action") == "check":
        today = datetime.now(LOCAL_TIME).date()
        answer = await check_routing(
            request.app[POOL], signal.address.postcode, signal.address.house_number, today
        )
        preview = {"team": answer.team.name if answer.team else None}
        return _form_page(request, session, values, preview=preview)
    try:
        submitted = await submit_signal(
            request.app[POOL],
            partner,
            signal,
            policy=policy_of(request.app[SETTINGS]),
            channel="form",
        )
    except Conflict:
        message = "Dit kenmerk is al gebruikt voor een ander signaal; kies een ander kenmerk"
        return _form_page(request, session, values, 409, errors={"external_ref": message})
    except InvalidFields:
        return _form_page(request, session, values, 422, errors={"kind": FIELD_MESSAGES["kind"]})
    raise web.HTTPSeeOther(f"/signalen/{submitted.receipt.id}")


@routes.get("/signalen")
async def my_signals(request: web.Request) -> web.Response:
    session = session_of(request)
    if session.user.partner is None:
        raise web.HTTPSeeOther("/inloggen")
    signals = await partner_signals(request.app[POOL], session.user.partner)
    return render(
        request,
        "my_signals.html",
        user=session.user,
        csrf_token=session.csrf_token,
        signals=signals,
    )


@routes.get("/signalen/{id}")
async def signal_page(request: web.Request) -> web.Response:
    session = session_of(request)
    if session.user.partner is None:
        raise web.HTTPSeeOther("/inloggen")
    try:
        signal_id = UUID(request.match_info["id"])
        signal = await partner_signal(request.app[POOL], session.user.partner, signal_id)
    except (ValueError, NotFound):
        raise PageError(404, "Dit signaal bestaat niet, of is niet van u.") from None
    return render(
        request,
        "signal_sent.html",
        user=session.user,
        csrf_token=session.csrf_token,
        signal=signal,
    )


@web.middleware
async def security_headers(request: web.Request, handler: Any) -> web.StreamResponse:
    """No framing, no scripts, no sniffing: the pages need none of it."""
    response: web.StreamResponse = await handler(request)
    response.headers.setdefault(
        "Content-Security-Policy",
        "default-src 'self'; script-src 'self'; frame-ancestors 'none'; form-action 'self'; "
        "base-uri 'none'",
    )
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    return response


@web.middleware
async def form_limit(request: web.Request, handler: Any) -> web.StreamResponse:
    """A form a page posts is small: its length is stated and at most `max_body_bytes`. (The
    application admits larger bodies only for the API's CSV batches.)"""
    if request.method == "POST" and not request.path.startswith(("/api/", "/fhir")):
        length = request.content_length
        if length is None:
            raise PageError(411, "Het formulier kwam zonder lengte aan. Probeer het opnieuw.")
        if length > request.app[SETTINGS].max_body_bytes:
            raise PageError(413, "Het formulier is te groot. Kort de tekst in en probeer opnieuw.")
        try:
            await request.post()  # read once here; handlers get the parsed form from the cache
        except (ValueError, HttpProcessingError):
            raise PageError(400, "Het formulier kon niet worden gelezen.") from None
    response: web.StreamResponse = await handler(request)
    return response


@web.middleware
async def page_errors(request: web.Request, handler: Any) -> web.StreamResponse:
    """A page that cannot be shown is answered with a Dutch page."""
    try:
        response: web.StreamResponse = await handler(request)
    except PageError as error:
        return render(request, "error.html", status=error.status, message=error.message)
    return response
