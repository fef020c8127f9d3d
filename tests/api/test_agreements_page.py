"""The administrators' page of feedback agreements on real PostgreSQL: adding for one partner,
changing and ending with the history kept, the messages after each, a refused form kept as typed,
no code on screen, and only for administrators."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any

import asyncpg
import pytest

from hub.directory.service import require_team
from hub.feedback.agreements import add_agreement, agreements_for, load_agreements
from hub.platform.clock import today
from schemas.signals import PartnerKind
from tests.support.factories import OOST, Client, make_partner, make_user, signal_from, signed_in

PASSWORD = "beheer-wachtwoord"
PAGE = "/beheer/afspraken"


async def log_in(client: Client, pool: asyncpg.Pool, role: str = "admin") -> str:
    """Log the client in as a person of `role`; the session's CSRF token."""
    user, _ = await make_user(pool, role, OOST if role in ("member", "lead") else None, PASSWORD)
    session = await signed_in(pool, user.email, PASSWORD)
    client.session.cookie_jar.update_cookies({"hub_session": session.token})
    return session.csrf_token


class _Text(HTMLParser):
    """What a person reads on a page: its text, without tags, attributes and scripts."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def text_of(page: str) -> str:
    parser = _Text()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def selected(page: str, name: str) -> list[str]:
    """The values chosen in the select `name`."""
    found = re.search(rf'<select id="{name}" name="{name}".*?</select>', page, re.S)
    assert found, name
    return re.findall(r'<option value="([^"]*)" selected>', found.group(0))


def sections(page: str) -> tuple[str, str]:
    """The text of what applies now (and the form), and of the earlier agreements."""
    now, _, earlier = page.partition('<h2 id="eerder">')
    return text_of(now), text_of(earlier)


def today_nl() -> str:
    return today().strftime("%d-%m-%Y")


async def rows(pool: asyncpg.Pool) -> list[asyncpg.Record]:
    return await pool.fetch("select * from feedback_agreements order by id")


async def test_an_agreement_for_one_partner_is_added_and_said_so(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    csrf = await log_in(client, haarlem)
    spaarne, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk Spaarne")
    other_gp, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk Duin")
    form = await (await client.get(PAGE)).text()
    group = re.search(r'<optgroup label="Huisartsen">(.*?)</optgroup>', form, re.S)
    assert group
    assert f'<option value="{spaarne.id}">Huisartsenpraktijk Spaarne</option>' in group.group(1)
    added = await client.post(
        PAGE,
        data={
            "csrf_token": csrf,
            "partner": str(spaarne.id),
            "partner_kind": "",
            "team": OOST,
            "step": "first_contact",
            "days": "2",
        },
        allow_redirects=False,
    )
    assert added.status == 303
    assert added.headers["Location"] == f"{PAGE}?gedaan=toegevoegd"
    (row,) = await rows(haarlem)
    assert (row["partner_id"], row["partner_kind"], row["step"], row["working_days"]) == (
        spaarne.id,
        None,
        "first_contact",
        2,
    )
    assert (row["valid_from"], row["valid_to"]) == (today(), None)
    oost = await require_team(haarlem, OOST)
    async with haarlem.acquire() as conn:
        agreements = await load_agreements(conn)
    assert (
        agreements_for(agreements, spaarne.id, "gp", oost.id, today())["first_contact"].id
        == (row["id"])
    )
    assert agreements_for(agreements, other_gp.id, "gp", oost.id, today()) == {}

    shown = text_of(await (await client.get(added.headers["Location"])).text())
    assert "De afspraak is toegevoegd en geldt vanaf vandaag voor nieuwe signalen." in shown
    assert (
        "Huisartsenpraktijk Spaarne huisarts Sociaal Wijkteam Oost Eerste contact "
        f"binnen 2 werkdagen na ontvangst sinds {today_nl()}"
    ) in shown


async def test_one_partner_and_a_kind_together_are_refused_and_the_form_keeps_what_was_typed(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    csrf = await log_in(client, haarlem)
    police, _ = await make_partner(haarlem, PartnerKind.POLICE, name="Politie Kennemerland")
    typed = {
        "partner": str(police.id),
        "partner_kind": "police",
        "team": OOST,
        "step": "outcome",
        "days": "4",
    }
    refused = await client.post(PAGE, data={"csrf_token": csrf, **typed})
    assert refused.status == 422
    page = await refused.text()
    assert "Controleer 1 gegeven" in page
    assert '<a href="#partner">Kies één partner óf een soort partner, niet allebei</a>' in page
    assert re.search(r'<select id="partner" name="partner" aria-invalid="true"', page)
    assert selected(page, "partner") == [str(police.id)]
    assert selected(page, "partner_kind") == ["police"]
    assert selected(page, "team") == [OOST]
    assert selected(page, "step") == ["outcome"]
    assert 'name="days" value="4"' in page
    assert "De afspraak is toegevoegd" not in page

    # What the form cannot read is kept as typed too, each field with its own message.
    bad = await client.post(PAGE, data={"csrf_token": csrf, **typed, "partner": "", "days": "veel"})
    assert bad.status == 422
    page = await bad.text()
    assert '<a href="#days">Vul een aantal werkdagen in van 0 tot en met 365' in page
    assert 'name="days" value="veel"' in page
    assert selected(page, "partner_kind") == ["police"]
    assert await rows(haarlem) == []


async def test_a_change_keeps_the_old_agreement_as_history_and_applies_from_today(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    csrf = await log_in(client, haarlem)
    police, _ = await make_partner(haarlem, PartnerKind.POLICE, name="Politie Kennemerland")
    started = today() - timedelta(days=30)
    old = await add_agreement(
        haarlem,
        step="first_contact",
        working_days=5,
        partner_kind=PartnerKind.POLICE,
        valid_from=started,
    )
    await signal_from(haarlem, police)  # made under the old agreement
    before = await haarlem.fetchrow("select agreement_id, due_on from obligations")
    assert before["agreement_id"] == old

    form = await (await client.get(f"{PAGE}/{old}")).text()
    assert selected(form, "partner_kind") == ["police"]
    assert 'name="days" value="5"' in form
    changed = await client.post(
        f"{PAGE}/{old}",
        data={
            "csrf_token": csrf,
            "partner": "",
            "partner_kind": "police",
            "team": "",
            "step": "first_contact",
            "days": "2",
        },
        allow_redirects=False,
    )
    assert changed.status == 303
    assert changed.headers["Location"] == f"{PAGE}?gedaan=gewijzigd"

    first, second = await rows(haarlem)
    assert (first["id"], first["working_days"], first["valid_from"]) == (old, 5, started)
    assert first["valid_to"] == today() - timedelta(days=1)
    assert first["replaced_by"] == second["id"]
    assert (second["working_days"], second["valid_from"], second["valid_to"]) == (2, today(), None)
    async with haarlem.acquire() as conn:
        agreements = await load_agreements(conn)
    assert (
        agreements_for(agreements, police.id, "police", None, today())["first_contact"].working_days
        == 2
    )
    yesterday = today() - timedelta(days=1)
    assert (
        agreements_for(agreements, police.id, "police", None, yesterday)[
            "first_contact"
        ].working_days
        == 5
    )
    # What was already promised keeps its deadline.
    assert await haarlem.fetchrow("select agreement_id, due_on from obligations") == before

    now, earlier = sections(await (await client.get(changed.headers["Location"])).text())
    assert "De afspraak is gewijzigd." in now
    assert "binnen 2 werkdagen na ontvangst" in now
    assert "binnen 5 werkdagen na ontvangst" not in now
    assert (
        "Alle politie Alle teams Eerste contact binnen 5 werkdagen na ontvangst "
        f"gewijzigd op {today_nl()} gold sinds {started.strftime('%d-%m-%Y')}"
    ) in earlier


async def test_ending_asks_first_then_ends_from_today(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    csrf = await log_in(client, haarlem)
    agreement = await add_agreement(haarlem, step="outcome", working_days=None, team=OOST)
    asked = await client.post(f"{PAGE}/{agreement}/beeindigen", data={"csrf_token": csrf})
    assert asked.status == 200
    page = await asked.text()
    assert "Afspraak beëindigen?" in page
    assert '<input type="hidden" name="bevestigd" value="ja">' in page
    assert "Signalen die al binnen zijn, houden hun termijnen." in text_of(page)
    assert (await rows(haarlem))[0]["valid_to"] is None  # nothing ended yet

    ended = await client.post(
        f"{PAGE}/{agreement}/beeindigen",
        data={"csrf_token": csrf, "bevestigd": "ja"},
        allow_redirects=False,
    )
    assert ended.status == 303
    assert ended.headers["Location"] == f"{PAGE}?gedaan=beeindigd"
    (row,) = await rows(haarlem)
    assert row["valid_to"] == today() - timedelta(days=1)
    assert row["ended_at"] is not None
    oost = await require_team(haarlem, OOST)
    async with haarlem.acquire() as conn:
        agreements = await load_agreements(conn)
    assert agreements_for(agreements, uuid.uuid4(), "gp", oost.id, today()) == {}
    yesterday = today() - timedelta(days=1)
    assert agreements_for(agreements, uuid.uuid4(), "gp", oost.id, yesterday)["outcome"].id == (
        agreement
    )
    now, earlier = sections(await (await client.get(ended.headers["Location"])).text())
    assert "De afspraak is beëindigd en geldt vanaf vandaag niet meer" in now
    assert "Er gelden nu geen afspraken" in now
    assert (
        "Alle partners Sociaal Wijkteam Oost Uitkomst zodra het gebeurt, zonder termijn "
        f"beëindigd op {today_nl()}"
    ) in earlier

    # A second click ends nothing more and says it is done; the agreement's page says it is over.
    again = await client.post(
        f"{PAGE}/{agreement}/beeindigen",
        data={"csrf_token": csrf, "bevestigd": "ja"},
        allow_redirects=False,
    )
    assert again.headers["Location"] == f"{PAGE}?gedaan=beeindigd"
    over = await (await client.get(f"{PAGE}/{agreement}")).text()
    assert "Deze afspraak geldt niet meer." in over
    assert 'action="/beheer/afspraken/' not in over.split("Uitloggen")[-1]
    late = await client.post(
        f"{PAGE}/{agreement}",
        data={"csrf_token": csrf, "step": "outcome", "days": "3", "team": OOST},
    )
    assert late.status == 409
    assert "Deze afspraak geldt al niet meer" in await late.text()
    assert len(await rows(haarlem)) == 1


async def test_an_agreement_beside_one_that_applies_is_refused_with_a_way_to_change_it(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    csrf = await log_in(client, haarlem)
    existing = await add_agreement(
        haarlem, step="first_contact", working_days=5, partner_kind=PartnerKind.HOUSING
    )
    typed = {"partner_kind": "housing", "team": "", "step": "first_contact", "days": "3"}
    refused = await client.post(PAGE, data={"csrf_token": csrf, **typed})
    assert refused.status == 409
    page = await refused.text()
    assert "Er is al zo'n afspraak" in page
    assert f'<a href="/beheer/afspraken/{existing}">Wijzig die afspraak</a>' in page
    assert 'name="days" value="3"' in page
    assert len(await rows(haarlem)) == 1


async def test_no_code_reaches_the_pages(client: Client, haarlem: asyncpg.Pool) -> None:
    csrf = await log_in(client, haarlem)
    for kind in PartnerKind:
        await make_partner(haarlem, kind, name=f"Partner {kind.value.upper()} test")
        await add_agreement(haarlem, step="first_contact", working_days=3, partner_kind=kind)
    gp = await make_partner(haarlem, PartnerKind.WORK_INCOME, name="Werkplein Haarlem")
    one = await add_agreement(haarlem, step="received", working_days=0, partner_id=gp[0].id)
    changed = await add_agreement(haarlem, step="outcome", working_days=20, team=OOST)
    await client.post(
        f"{PAGE}/{changed}",
        data={"csrf_token": csrf, "team": OOST, "step": "outcome", "days": ""},
    )
    await client.post(f"{PAGE}/{one}/beeindigen", data={"csrf_token": csrf, "bevestigd": "ja"})
    codes = {kind.value for kind in PartnerKind} | {"received", "first_contact", "outcome"}
    raw = re.compile(r"(?<![\w-])(" + "|".join(sorted(codes)) + r")(?![\w-])")
    for path in (PAGE, f"{PAGE}/{one}", f"{PAGE}/{changed}", f"{PAGE}?gedaan=gewijzigd"):
        shown = text_of(await (await client.get(path)).text())
        assert raw.findall(shown) == [], (path, raw.findall(shown))
    listed = text_of(await (await client.get(PAGE)).text())
    assert "Alle Werk en Inkomen" in listed
    assert "Werkplein Haarlem Werk en Inkomen" in listed


@pytest.mark.parametrize("role", ["manager", "coordinator", "lead", "member"])
async def test_only_administrators_reach_the_agreements(
    client: Client, haarlem: asyncpg.Pool, role: str
) -> None:
    agreement = await add_agreement(haarlem, step="outcome", working_days=20)
    csrf = await log_in(client, haarlem, role)
    form = {"csrf_token": csrf, "step": "outcome", "days": "1", "bevestigd": "ja"}
    for method, path in (
        ("GET", PAGE),
        ("POST", PAGE),
        ("GET", f"{PAGE}/{agreement}"),
        ("POST", f"{PAGE}/{agreement}"),
        ("POST", f"{PAGE}/{agreement}/beeindigen"),
    ):
        answer = await client.request(method, path, data=form if method == "POST" else None)
        assert answer.status == 404, (role, method, path)
    (row,) = await rows(haarlem)
    assert (row["working_days"], row["valid_to"]) == (20, None)


@pytest.mark.parametrize("name", ["12345678901234567890", "abc", "999"])
async def test_an_agreement_that_does_not_exist_is_a_page_that_does_not_exist(
    client: Client, haarlem: asyncpg.Pool, name: str
) -> None:
    await log_in(client, haarlem)
    answer = await client.get(f"{PAGE}/{name}")
    assert answer.status == 404
    assert "Deze afspraak bestaat niet." in await answer.text()


async def test_anonymous_callers_are_sent_to_log_in(client: Client, haarlem: Any) -> None:
    answer = await client.get(f"{PAGE}/1", allow_redirects=False)
    assert answer.status == 303
    assert answer.headers["Location"] == "/inloggen"


async def test_a_double_click_on_add_is_shown_done_not_refused(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    csrf = await log_in(client, haarlem)
    typed = {"partner_kind": "housing", "team": "", "step": "first_contact", "days": "3"}
    for _ in range(2):
        answer = await client.post(PAGE, data={"csrf_token": csrf, **typed}, allow_redirects=False)
        assert answer.status == 303
        assert answer.headers["Location"] == f"{PAGE}?gedaan=toegevoegd"
    assert len(await rows(haarlem)) == 1  # and only one was added
    other = await client.post(PAGE, data={"csrf_token": csrf, **typed, "days": "4"})
    assert other.status == 409  # other terms beside it: refused, with a way to change it
