"""Rendering pages: the Jinja environment with the hub's labels, cookies, redirects."""

from __future__ import annotations

import functools
import hashlib
from datetime import date
from pathlib import Path
from typing import Any

import jinja2
from aiohttp import web
from markupsafe import Markup, escape

from hub import labels
from hub.platform.clock import LOCAL_TIME, today
from hub.web.appkeys import SETTINGS, TEMPLATES
from schemas.address import Address, display_postcode
from schemas.cases import CaseStatus, Outcome, TimelineEntry
from schemas.early_debt import ContactKind, DayPart, EarlyDebtResult
from schemas.signals import PartnerKind, SignalKind, SignalStatus, Urgency

# Where each role starts after logging in.
START_PAGE = {
    "partner": "/signalen/nieuw",
    "member": "/inbox",
    "lead": "/inbox",
    "coordinator": "/coordinator",
    "manager": "/beheer/terugkoppeling",
    "admin": "/beheer/terugkoppeling",
}


def event_label(entry: TimelineEntry) -> str:
    """A timeline entry in words, with its detail (outcome, colleague, reason)."""
    if entry.kind == "contact_attempt" and entry.detail.get("reached"):
        label = labels.EVENT["contact_reached"]
    else:
        label = labels.EVENT.get(entry.kind, entry.kind)
    if entry.kind == "contact_attempt":
        label += _attempt(entry.detail)
    if entry.kind == "close" and entry.detail.get("early_debt_result"):
        result = EarlyDebtResult(str(entry.detail["early_debt_result"]))
        label += f": {labels.EARLY_DEBT_RESULT[result]}"
    elif entry.kind == "close" and entry.detail.get("outcome"):
        label += f": {labels.OUTCOME[Outcome(str(entry.detail['outcome']))]}"
    if entry.kind == "assign" and entry.detail.get("director"):
        label += f" aan {entry.detail.get('director_name') or entry.detail['director']}"
    if entry.kind == "withdrawn":
        label += f" {entry.actor_name or labels.ACTOR['partner']}"
        if entry.detail.get("all_withdrawn"):
            label += f"; {labels.ALL_WITHDRAWN}"
    if entry.kind in ("return", "decline") and entry.detail.get("reason"):
        label += f" ({entry.detail['reason']})"
    return label


def _attempt(detail: dict[str, object]) -> str:
    """How and when a contact attempt was made, as far as it was recorded."""
    parts = []
    if detail.get("how"):
        parts.append(labels.CONTACT_KIND[ContactKind(str(detail["how"]))].lower())
    if detail.get("on"):
        parts.append(date.fromisoformat(str(detail["on"])).strftime("%d-%m-%Y"))
    if detail.get("part_of_day"):
        parts.append(labels.DAY_PART[DayPart(str(detail["part_of_day"]))].lower())
    return f" ({', '.join(parts)})" if parts else ""


def actor_label(entry: TimelineEntry) -> str:
    return entry.actor_name or labels.ACTOR.get(entry.actor, entry.actor)


def deadline(step: str | None, due: date) -> Markup:
    """A feedback deadline with its step: "eerste contact uiterlijk 03-12-2026", marked when it
    is today or past."""
    what = labels.STEP.get(step or "", "terugkoppeling")
    day = due.strftime("%d-%m-%Y")
    if due < today():
        return Markup('<strong class="badge urgent">{} te laat, was uiterlijk {}</strong>').format(
            what.capitalize(), day
        )
    if due == today():
        return Markup('<strong class="badge soon">{} uiterlijk vandaag</strong>').format(
            what.capitalize()
        )
    return escape(f"{what.capitalize()} uiterlijk {day}")


STATIC = Path(__file__).parent / "static"


@functools.cache
def static_url(name: str) -> str:
    """A static file's address with its content's digest, so browsers may keep it for a year and
    still fetch a new one the moment it changes (a refreshed NL Design System, an edited CSS)."""
    digest = hashlib.sha256((STATIC / name).read_bytes()).hexdigest()[:12]
    return f"/static/{name}?v={digest}"


def template_environment() -> jinja2.Environment:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("hub.web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    environment.filters["local_time"] = lambda moment: moment.astimezone(LOCAL_TIME).strftime(
        "%d-%m-%Y %H:%M"
    )
    environment.filters["date_nl"] = lambda day: day.strftime("%d-%m-%Y")
    # 236878 -> "236.878", as Dutch readers group thousands.
    environment.filters["number_nl"] = lambda number: f"{number:,}".replace(",", ".")
    environment.filters["local_date"] = lambda moment: moment.astimezone(LOCAL_TIME).strftime(
        "%d-%m-%Y"
    )
    environment.globals.update(
        address=Address.display,
        postcode=display_postcode,
        kind_label=lambda kind: labels.SIGNAL_KIND[SignalKind(kind)],
        partner_kind_label=lambda kind: labels.PARTNER_KIND[PartnerKind(kind)],
        case_status=lambda status: labels.CASE_STATUS[CaseStatus(status)],
        signal_status=lambda signal: labels.signal_status(
            SignalStatus(signal.status), signal.team.name if signal.team else None
        ),
        outcome_label=lambda outcome: labels.OUTCOME[Outcome(outcome)],
        urgency_label=lambda urgency: labels.URGENCY[Urgency(urgency)],
        step_label=lambda step: labels.STEP[step],
        event_label=event_label,
        early_debt_label=lambda result: labels.EARLY_DEBT_RESULT[EarlyDebtResult(result)],
        euros=lambda amount: (
            "€ " + f"{amount:,.2f}".replace(",", " ").replace(".", ",").replace(" ", ".")
        ),
        deadline=deadline,
        actor_label=actor_label,
        static=static_url,
        withdrawn_signal=labels.WITHDRAWN_SIGNAL,
    )
    return environment


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
