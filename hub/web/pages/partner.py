"""The partner's pages, in Dutch: the signal form and "Mijn signalen".

Plain HTML forms that work without JavaScript: errors are shown beside each field and in a
summary at the top; the address can be checked against the routing table before sending.
"""

from __future__ import annotations

import secrets
from typing import Any
from uuid import UUID

from aiohttp import web
from pydantic import ValidationError

from hub import labels
from hub.directory.models import Session
from hub.intake.reads import partner_signal, partner_signals
from hub.intake.service import policy_of, submit_signal
from hub.platform.clock import today
from hub.platform.config import public_url
from hub.platform.errors import Conflict, InvalidFields, NotFound
from hub.routing.service import check_routing
from hub.web.access import session_of
from hub.web.appkeys import POOL, SETTINGS
from hub.web.problems import PageError
from hub.web.render import render
from schemas.address import ascii_number
from schemas.signals import SignalIn, SignalKind, kinds_for

routes = web.RouteTableDef()

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


def _kinds(session: Session) -> list[tuple[str, str]]:
    partner = session.user.partner
    allowed = kinds_for(partner.kind) if partner else frozenset()
    return [(kind.value, labels.SIGNAL_KIND[kind]) for kind in SignalKind if kind in allowed]


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
            "house_number": int(number) if ascii_number(number) else number or None,
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
    if form.get("action") == "check":
        answer = await check_routing(
            request.app[POOL], signal.address.postcode, signal.address.house_number, today()
        )
        preview = {"team": answer.team.name if answer.team else None}
        return _form_page(request, session, values, preview=preview)
    settings = request.app[SETTINGS]
    try:
        submitted = await submit_signal(
            request.app[POOL],
            partner,
            signal,
            policy=policy_of(settings),
            public_url=public_url(settings),
            channel="form",
        )
    except Conflict:
        message = "Dit kenmerk is al gebruikt voor een ander signaal; kies een ander kenmerk"
        return _form_page(request, session, values, 409, errors={"external_ref": message})
    except InvalidFields:
        return _form_page(request, session, values, 422, errors={"kind": FIELD_MESSAGES["kind"]})
    raise web.HTTPSeeOther(f"/signalen/{submitted.receipt.id}?verstuurd=ja")


@routes.get("/signalen")
async def my_signals(request: web.Request) -> web.Response:
    session = session_of(request)
    if session.user.partner is None:
        raise web.HTTPSeeOther("/inloggen")
    ref = " ".join(request.query.get("kenmerk", "").split())[:100] or None
    try:
        signals, following = await partner_signals(
            request.app[POOL], session.user.partner, cursor=request.query.get("na") or None, ref=ref
        )
    except InvalidFields:
        raise PageError(404, "Deze pagina van uw signalen bestaat niet (meer).") from None
    return render(
        request,
        "my_signals.html",
        user=session.user,
        csrf_token=session.csrf_token,
        signals=signals,
        ref=ref or "",
        following=following,
        first_page=not request.query.get("na"),
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
        sent=request.query.get("verstuurd") == "ja",
    )
