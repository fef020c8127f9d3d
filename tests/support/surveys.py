"""What the partner survey's tests share: partners that worked with teams and have a contact
address, the statements, and reading a survey page's form and a mail's link."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta

import asyncpg

from hub.demo.surveys import shipped_statements
from hub.directory.models import Partner
from hub.directory.service import set_partner_email
from hub.platform.clock import LOCAL_TIME, local_day
from hub.surveys.service import load_statements, save_answers, survey_form
from schemas.signals import PartnerKind
from schemas.surveys import Score
from tests.support.factories import make_partner
from tests.support.network import send

OOST_POSTCODE, CENTRUM_POSTCODE = "2031AA", "2011AA"
LINK = re.compile(r"https?://[^/\s]+/enquete/([A-Za-z0-9_-]{43})")
ANSWER_FIELD = re.compile(r'name="(a-[0-9]+-[0-9]+)"')


async def survey_partners(
    pool: asyncpg.Pool,
    count: int,
    *,
    postcodes: tuple[str, ...] = (OOST_POSTCODE, CENTRUM_POSTCODE),
    days_ago: int = 30,
    kind: PartnerKind = PartnerKind.GP,
    name: str = "Huisartsenpraktijk",
) -> list[Partner]:
    """The demo's statements, and `count` partners with a contact address, each of which
    signalled the teams of `postcodes` (Oost and Centrum) `days_ago` days ago."""
    await load_statements(pool, shipped_statements())
    partners = []
    for n in range(count):
        partner, _ = await make_partner(pool, kind, name=f"{name} {n + 1}")
        await set_partner_email(pool, partner.name, address(partner.name))
        for index, postcode in enumerate(postcodes):
            await send(pool, partner, postcode, 100 * n + index + 1, days_ago=days_ago)
        partners.append(partner)
    return partners


def address(name: str) -> str:
    """A partner's contact address, after its name: "huisartsenpraktijk-1@example.invalid"."""
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") + "@example.invalid"


def at(day: date, hour: int = 10) -> datetime:
    """A moment on a Dutch day."""
    return datetime.combine(day, time(hour), LOCAL_TIME).astimezone(UTC)


def days_from(day: date, days: int) -> date:
    return day + timedelta(days=days)


def link_token(body: str) -> str:
    """The personal link's token in a mail."""
    found = LINK.search(body)
    assert found, f"no survey link in the mail: {body}"
    return found.group(1)


def answer_fields(page: str) -> list[str]:
    """Every statement's radio group on a survey page, once each, in the page's order."""
    return list(dict.fromkeys(ANSWER_FIELD.findall(page)))


def hidden_csrf(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]*)"', page)
    assert found, "no CSRF token on the page"
    return found.group(1)


async def answer_all(
    pool: asyncpg.Pool, token: str, score: Score | None, now: datetime, comment: str = ""
) -> None:
    """Answer every statement about every team of the link with `score`, at `now`."""
    form = await survey_form(pool, token, local_day(now))
    assert form is not None
    assert form.open
    await save_answers(
        pool,
        token,
        {(team.id, statement.id): score for team in form.teams for statement in form.statements},
        {team.id: comment for team in form.teams} if comment else {},
        now,
    )
