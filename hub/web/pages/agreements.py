"""The administrators' page of feedback agreements: what the teams promised which partners to
report back, and within how many working days; adding one, changing one, ending one.

A change or an end never rewrites an agreement (the service keeps it, for the history and for
the obligations made from it). After each action the page says what happened; a refused form
comes back as it was typed, with what to correct beside each field.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from hub import labels
from hub.directory.models import Partner, Team
from hub.directory.service import list_partners, list_teams
from hub.feedback.agreements import (
    MAX_WORKING_DAYS,
    STEPS,
    Overlaps,
    Terms,
    add_agreement,
    change_agreement,
    end_agreement,
    find_agreement,
    has_ended,
    list_agreements,
)
from hub.platform.clock import today
from hub.platform.errors import Conflict, InvalidFields, NotFound
from hub.web.access import session_of
from hub.web.appkeys import POOL
from hub.web.problems import PageError
from hub.web.render import render
from schemas.address import ascii_number
from schemas.signals import PartnerKind

routes = web.RouteTableDef()

LIST = "/beheer/afspraken"
FIELDS = ("partner", "partner_kind", "team", "step", "days")
# Dutch messages per form field; the service's rules speak English.
MESSAGES = {
    "partner": "Kies een partner uit de lijst",
    "both": "Kies één partner óf een soort partner, niet allebei",
    "partner_kind": "Kies een soort partner uit de lijst",
    "team": "Kies een team uit de lijst",
    "step": "Kies wat het team terugkoppelt",
    "days": f"Vul een aantal werkdagen in van 0 tot en met {MAX_WORKING_DAYS}, of laat het leeg",
}
# The field of the form that each of the service's refusals is about.
_FIELD_OF_LOC = {"partner": "partner", "step": "step", "working_days": "days"}
NO_SUCH_AGREEMENT = "Deze afspraak bestaat niet."
ENDED_ALREADY = (
    "Deze afspraak geldt al niet meer: misschien heeft een collega haar net gewijzigd of "
    "beëindigd. U vindt haar bij Eerdere afspraken."
)


@dataclass(frozen=True)
class Choices:
    """What the form offers: partners (by kind and name) and teams."""

    partners: list[Partner]
    teams: list[Team]

    def context(self) -> dict[str, Any]:
        """The form's options, in words; partners grouped by their kind."""
        groups = [
            (
                labels.PARTNER_KIND_PLURAL[kind].capitalize(),
                [(str(p.id), p.name) for p in self.partners if p.kind is kind],
            )
            for kind in PartnerKind
        ]
        return {
            "partner_options": [(None, [("", "Geen bepaalde partner")])]
            + [group for group in groups if group[1]],
            "kind_options": [
                (
                    None,
                    [("", "Geen bepaalde soort")]
                    + [(kind.value, labels.PARTNER_KIND_PLURAL[kind]) for kind in PartnerKind],
                )
            ],
            "team_options": [
                (None, [("", "Alle teams")] + [(team.code, team.name) for team in self.teams])
            ],
            "step_options": [(None, [(step, labels.STEP[step].capitalize()) for step in STEPS])],
        }


async def _choices(request: web.Request) -> Choices:
    pool = request.app[POOL]
    return Choices(await list_partners(pool), await list_teams(pool))


def read_form(form: Mapping[str, Any]) -> dict[str, str]:
    return {field: str(form.get(field, "")).strip() for field in FIELDS}


def terms_of(values: Mapping[str, str], choices: Choices) -> tuple[Terms | None, dict[str, str]]:
    """The terms the form asks for, or what to correct per field (in the form's order)."""
    errors: dict[str, str] = {}
    partners = {str(partner.id): partner for partner in choices.partners}
    partner = partners.get(values["partner"])
    if values["partner"] and partner is None:
        errors["partner"] = MESSAGES["partner"]
    kind = None
    if values["partner_kind"]:
        try:
            kind = PartnerKind(values["partner_kind"])
        except ValueError:
            errors["partner_kind"] = MESSAGES["partner_kind"]
    team = values["team"] or None
    if team is not None and team not in {t.code for t in choices.teams}:
        errors["team"] = MESSAGES["team"]
    days = values["days"]
    working_days = int(days) if ascii_number(days) and len(days) <= 3 else None
    if days and working_days is None:
        errors["days"] = MESSAGES["days"]
    terms = Terms(values["step"], working_days, partner.id if partner else None, kind, team)
    # The agreement's own rules (one partner or one kind, not both; a step; 0 to 365 days) are
    # the service's: the form says them in words.
    for problem in terms.problems():
        field = _FIELD_OF_LOC[problem["loc"][0]]
        errors.setdefault(field, MESSAGES["both"] if field == "partner" else MESSAGES[field])
    if errors:
        return None, {field: errors[field] for field in FIELDS if field in errors}
    return terms, {}


def refused(error: InvalidFields) -> dict[str, str]:
    """The service's refusal, per field of the form."""
    found: dict[str, str] = {}
    for problem in error.errors or []:
        loc = problem.get("loc")
        name = loc[0] if isinstance(loc, list) and loc else None
        field = _FIELD_OF_LOC.get(str(name), "step")
        found.setdefault(field, MESSAGES["both"] if field == "partner" else MESSAGES[field])
    return found or {"step": MESSAGES["step"]}


def _order(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """Everyone first, then kinds, then single partners; every team before one; by step."""
    side = 2 if row["partner"] else 1 if row["partner_kind"] else 0
    return (
        side,
        row["partner_kind"] or "",
        (row["partner"] or "").lower(),
        row["team"] or "",
        STEPS.index(row["step"]),
    )


async def _list_page(
    request: web.Request,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    overlap: int | None = None,
) -> web.Response:
    session = session_of(request)
    day = today()
    rows = await list_agreements(request.app[POOL])
    current = sorted((row for row in rows if not has_ended(row["valid_to"], day)), key=_order)
    earlier = sorted(
        (row for row in rows if has_ended(row["valid_to"], day)),
        key=lambda row: (row["valid_to"], row["id"]),
        reverse=True,
    )
    failed = bool(errors) or overlap is not None
    return render(
        request,
        "agreements.html",
        status=status,
        user=session.user,
        csrf_token=session.csrf_token,
        current=current,
        earlier=earlier,
        today=day,
        kinds_plural={kind.value: labels.PARTNER_KIND_PLURAL[kind] for kind in PartnerKind},
        values=values or {"partner": "", "partner_kind": "", "team": "", "step": STEPS[1]},
        errors=errors or {},
        overlap=overlap,
        done=None if failed else labels.AGREEMENT_DONE.get(request.query.get("gedaan", "")),
        **(await _choices(request)).context(),
    )


@routes.get(LIST)
async def agreements_page(request: web.Request) -> web.Response:
    return await _list_page(request)


@routes.post(LIST)
async def agreement_add(request: web.Request) -> web.StreamResponse:
    values = read_form(await request.post())
    terms, errors = terms_of(values, await _choices(request))
    if terms is None:
        return await _list_page(request, 422, values, errors)
    try:
        await add_agreement(
            request.app[POOL],
            step=terms.step,
            working_days=terms.working_days,
            partner_id=terms.partner_id,
            partner_kind=terms.partner_kind,
            team=terms.team,
            valid_from=today(),
        )
    except InvalidFields as error:
        return await _list_page(request, 422, values, refused(error))
    except Overlaps as error:
        existing = await find_agreement(request.app[POOL], error.agreement_id)
        if (
            existing is not None
            and existing["working_days"] == terms.working_days
            and existing["valid_from"] == today()
        ):
            # Added today with these very terms: a double click or a second tab. Done.
            raise web.HTTPSeeOther(f"{LIST}?gedaan=toegevoegd") from None
        return await _list_page(request, 409, values, overlap=error.agreement_id)
    raise web.HTTPSeeOther(f"{LIST}?gedaan=toegevoegd")


def _agreement_id(request: web.Request) -> int:
    text = request.match_info["id"]
    if not ascii_number(text) or len(text) > 18:
        raise PageError(404, NO_SUCH_AGREEMENT)
    return int(text)


async def _agreement_page(
    request: web.Request,
    status: int = 200,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    overlap: int | None = None,
    confirm: bool = False,
    error: str | None = None,
) -> web.Response:
    session = session_of(request)
    found = await find_agreement(request.app[POOL], _agreement_id(request))
    if found is None:
        raise PageError(404, NO_SUCH_AGREEMENT)
    day = today()
    kept = {
        "partner": str(found["partner_id"] or ""),
        "partner_kind": found["partner_kind"] or "",
        "team": found["team_code"] or "",
        "step": found["step"],
        "days": "" if found["working_days"] is None else str(found["working_days"]),
    }
    return render(
        request,
        "agreement.html",
        status=status,
        user=session.user,
        csrf_token=session.csrf_token,
        agreement=found,
        ended=has_ended(found["valid_to"], day),
        today=day,
        kinds_plural={kind.value: labels.PARTNER_KIND_PLURAL[kind] for kind in PartnerKind},
        values=values or kept,
        errors=errors or {},
        overlap=overlap,
        confirm=confirm,
        error=error,
        **(await _choices(request)).context(),
    )


@routes.get(LIST + "/{id}")
async def agreement_page(request: web.Request) -> web.Response:
    return await _agreement_page(request)


@routes.post(LIST + "/{id}")
async def agreement_change(request: web.Request) -> web.StreamResponse:
    agreement_id = _agreement_id(request)
    values = read_form(await request.post())
    terms, errors = terms_of(values, await _choices(request))
    if terms is None:
        return await _agreement_page(request, 422, values, errors)
    try:
        changed = await change_agreement(request.app[POOL], agreement_id, terms)
    except InvalidFields as refusal:
        return await _agreement_page(request, 422, values, refused(refusal))
    except Overlaps as overlap:
        return await _agreement_page(request, 409, values, overlap=overlap.agreement_id)
    except NotFound:
        raise PageError(404, NO_SUCH_AGREEMENT) from None
    except Conflict:
        return await _agreement_page(request, 409, error=ENDED_ALREADY)
    raise web.HTTPSeeOther(f"{LIST}?gedaan={'ongewijzigd' if changed is None else 'gewijzigd'}")


@routes.post(LIST + "/{id}/beeindigen")
async def agreement_end(request: web.Request) -> web.StreamResponse:
    agreement_id = _agreement_id(request)
    form = await request.post()
    if form.get("bevestigd") != "ja":  # ending cannot be undone: ask first
        return await _agreement_page(request, confirm=True)
    try:
        await end_agreement(request.app[POOL], agreement_id)
    except NotFound:
        raise PageError(404, NO_SUCH_AGREEMENT) from None
    except Conflict:
        found = await find_agreement(request.app[POOL], agreement_id)
        if found is not None and found["ended_at"] and found["replaced_by"] is None:
            # Ended already: a second click, or a second tab. It is done, as asked.
            raise web.HTTPSeeOther(f"{LIST}?gedaan=beeindigd") from None
        return await _agreement_page(request, 409, error=ENDED_ALREADY)
    raise web.HTTPSeeOther(f"{LIST}?gedaan=beeindigd")
