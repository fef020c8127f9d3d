"""Every role's pages at a desktop's and a phone's width: nothing wider than the screen, no code
of the API on screen, and no serious or critical accessibility violation (axe-core).

axe-core comes from npm (`.ci/run` installs it into `.axe/`; see the README's Tests section). As
with the browser, a missing copy skips these tests on a developer's machine and fails them in CI.
Screenshots of every page state go to a folder the end of the test run names: to look at.
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from aiohttp.test_utils import TestServer
from playwright.async_api import Browser, Page, expect

from graphs.weak_links import WeakLinkKind
from hub.app import create_app
from hub.cases.service import act, save_work_queue
from hub.directory.accounts import create_user
from hub.directory.service import set_team_capacity
from hub.feedback.agreements import Terms, add_agreement, change_agreement, end_agreement
from hub.network.report import nightly
from hub.platform.clock import today
from hub.platform.config import Settings
from hub.surveys.results import verdict_facts
from hub.surveys.service import links_of, start_survey
from schemas.cases import AddNote, CaseFilter, CaseStatus, Outcome, Take
from schemas.signals import PartnerKind, SignalKind, SignalStatus, Urgency
from schemas.surveys import Score
from tests.support.browser import log_in
from tests.support.factories import OOST, make_partner, make_user, signal_from
from tests.support.network import network_of, send
from tests.support.surveys import answer_all, at, survey_partners

PASSWORD = "rondgang-wachtwoord"
AXE = Path(
    os.environ.get(
        "AXE_CORE_JS", Path(__file__).parents[2] / ".axe/node_modules/axe-core/axe.min.js"
    )
)
WIDTHS = (1280, 390)
# Every code the API speaks that a page must put into words instead.
CODES = sorted(
    {
        str(member.value)
        for enum in (
            SignalKind,
            PartnerKind,
            CaseStatus,
            SignalStatus,
            Outcome,
            Urgency,
            WeakLinkKind,
        )
        for member in enum
    }
    | {"first_contact", "received", "member", "lead", "coordinator"}
)
RAW = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, CODES)) + r")(?![\w-])")


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        message = f"no axe-core at {AXE}: npm install --prefix .axe axe-core@4.14.1"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text()


async def check(page: Page, axe: str, shots: Path, name: str, width: int) -> list[str]:
    """What is wrong with the page as it is now (an empty list: nothing)."""
    problems = []
    wide = await page.evaluate("document.documentElement.scrollWidth")
    if wide > width:
        problems.append(f"{name} at {width} px is {wide} px wide")
    text = await page.evaluate("document.body.innerText")
    problems += [f"{name} shows the code {code!r}" for code in sorted(set(RAW.findall(text)))]
    await page.evaluate(axe)
    violations = await page.evaluate(
        """async () => (await axe.run(document, {runOnly: ['wcag2a', 'wcag2aa', 'wcag21a',
            'wcag21aa', 'best-practice']})).violations
            .filter(v => v.impact === 'serious' || v.impact === 'critical')
            .map(v => v.id + ' on ' + v.nodes.map(n => n.target.join(' ')).join(', '))"""
    )
    problems += [f"{name} at {width} px: {violation}" for violation in violations]
    await page.screenshot(
        path=shots / f"{re.sub(r'[^0-9A-Za-z-]+', '_', name).strip('_')}-{width}.png",
        full_page=True,
    )
    return problems


async def seed(pool: asyncpg.Pool) -> dict[str, tuple[str, list[str]]]:
    """A small hub with work in every state; each role's login and pages."""
    await add_agreement(pool, step="first_contact", working_days=3)
    await add_agreement(pool, step="outcome", working_days=20)
    await network_of(pool)
    await set_team_capacity(pool, OOST, 10)  # above it: the team-load page says so
    gp, _ = await make_partner(pool, PartnerKind.GP, name="Huisartsenpraktijk Rondgang")
    housing, _ = await make_partner(pool, PartnerKind.HOUSING, name="Woonstichting Rondgang")
    # Agreements for one partner and for a kind, one changed and one ended: both sections shown.
    own = await add_agreement(pool, step="received", working_days=0, partner_id=gp.id, team=OOST)
    await change_agreement(pool, own, Terms("received", 1, partner_id=gp.id, team=OOST))
    ended = await add_agreement(
        pool, step="outcome", working_days=None, partner_kind=PartnerKind.WORK_INCOME
    )
    await end_agreement(pool, ended)
    kind = await add_agreement(
        pool, step="first_contact", working_days=10, partner_kind=PartnerKind.HOUSING
    )
    await create_user(pool, "partner@example.invalid", PASSWORD, "partner", gp)
    # What people type may be one long word: a reference, a pasted link, a list's name.
    first = await signal_from(
        pool, gp, urgency="high", external_ref="R" + "0123456789" * 9 + "X" * 9
    )
    await signal_from(pool, housing)
    await signal_from(pool, gp, address={"postcode": "2116AB", "house_number": 3})  # no team
    await signal_from(pool, gp, address={"postcode": "2032AB", "house_number": 4})
    # An early-debt signal of a creditor: its case asks for the national end result.
    energy, _ = await make_partner(pool, PartnerKind.ENERGY, name="Energie Rondgang")
    debt = await signal_from(
        pool,
        energy,
        kind="payment_arrears",
        address={"postcode": "2031AA", "house_number": 40},
        arrears={"amount_eur": "812.40", "since": "2026-09-01", "crisis": True},
    )
    people, users = {}, {}
    for role, team in (
        ("member", OOST),
        ("lead", OOST),
        ("coordinator", None),
        ("manager", None),
        ("admin", None),
    ):
        user, _ = await make_user(pool, role, team, password=PASSWORD, name=f"Sanne {role.title()}")
        people[role], users[role] = user.email, user
    case = await pool.fetchval("select case_id from signals where id = $1", first.receipt.id)
    debt_case = await pool.fetchval("select case_id from signals where id = $1", debt.receipt.id)
    await act(pool, users["member"], debt_case, Take(action="take"))
    link = "https://voorbeeld.invalid/" + "pad/" * 60
    await act(pool, users["member"], case, AddNote(action="note", note=f"Zie {link}"))
    await save_work_queue(pool, users["member"], "Q" * 60, "open", CaseFilter(overdue=True))
    # A partner survey that closed, answered by five of six partners: results for managers; and
    # a verdict gap on the network page (they rate feedback that never came as kept).
    surveyed = await survey_partners(pool, 6, days_ago=60)
    opened = today() - timedelta(days=50)
    past = await start_survey(
        pool, opened + timedelta(days=30), None, public_url="", now=at(opened)
    )
    tokens = await links_of(pool, past.survey_id)
    for partner in surveyed[:5]:
        when = at(opened + timedelta(days=2))
        await answer_all(pool, tokens[partner.id], Score.AGREE, when, "Prima.")
    return {
        "partner": (
            "partner@example.invalid",
            ["/signalen/nieuw", "/signalen", f"/signalen/{first.receipt.id}"],
        ),
        "member": (
            people["member"],
            ["/inbox", "/inbox?tab=open", f"/inbox/zaken/{case}", f"/inbox/zaken/{debt_case}"],
        ),
        "lead": (people["lead"], ["/inbox?tab=closed", f"/inbox/zaken/{case}"]),
        "coordinator": (people["coordinator"], ["/coordinator"]),
        "manager": (
            people["manager"],
            [
                "/beheer/netwerk",
                "/beheer/netwerk?schakel=1",  # a weak link chosen, with its figures
                "/beheer/terugkoppeling",
                "/beheer/terugkoppeling?partners=naam",
                "/beheer/teams",
                "/beheer/tevredenheid",
            ],
        ),
        "admin": (
            people["admin"],
            [
                "/beheer/afspraken",
                "/beheer/afspraken?gedaan=gewijzigd",
                f"/beheer/afspraken/{kind}",
                "/beheer/enquetes",
            ],
        ),
    }


async def test_every_page_fits_speaks_dutch_and_passes_axe(
    browser: Browser,
    server: TestServer,
    haarlem: asyncpg.Pool,
    axe_source: str,
    screenshots: Path,
) -> None:
    walk = await seed(haarlem)
    shots = screenshots
    problems: list[str] = []
    for width in WIDTHS:
        context = await browser.new_context(
            viewport={"width": width, "height": 900},
            bypass_csp=True,  # axe is injected
        )
        page = await context.new_page()
        await page.goto(str(server.make_url("/inloggen")))
        problems += await check(page, axe_source, shots, "/inloggen", width)
        await page.goto(str(server.make_url("/bestaat-niet")))
        problems += await check(page, axe_source, shots, "/404", width)
        await context.close()
        for role, (email, paths) in walk.items():
            context = await browser.new_context(
                viewport={"width": width, "height": 900}, bypass_csp=True
            )
            page = await context.new_page()
            await log_in(page, server, email, PASSWORD)
            for path in paths:
                response = await page.goto(str(server.make_url(path)))
                assert response is not None
                assert response.status == 200, f"{role} {path}: {response.status}"
                problems += await check(page, axe_source, shots, f"{role}{path}", width)
            await context.close()
    assert not problems, "\n".join(problems)


async def test_a_network_too_large_to_draw_is_listed_from_the_nightly_report(
    browser: Browser,
    haarlem: asyncpg.Pool,
    dsn: str,
    settings: Settings,
    axe_source: str,
    screenshots: Path,
) -> None:
    """A country's network is listed a page at a time from last night's report: by kind, with
    a chosen link's figures, at both widths, passing axe. (Here the demo network counts as too
    large: the limit is set to five partners and teams.)"""
    await network_of(haarlem)
    for n in range(30):  # enough weak links for several pages
        partner, _ = await make_partner(haarlem, PartnerKind.OTHER, name=f"Buurthuis {n}")
        await send(haarlem, partner, "2031AA", 60 + n, days_ago=2, kind="other")
    await nightly(haarlem, today(), verdict_facts)
    manager, _ = await make_user(haarlem, "manager", password=PASSWORD, name="Sanne Manager")
    server = TestServer(create_app(settings.model_copy(update={"network_draw_limit": 5}), dsn))
    await server.start_server()
    problems: list[str] = []
    try:
        for width in WIDTHS:
            context = await browser.new_context(
                viewport={"width": width, "height": 900}, bypass_csp=True
            )
            page = await context.new_page()
            await log_in(page, server, manager.email, PASSWORD)
            await page.goto(str(server.make_url("/beheer/netwerk")))
            await expect(page.get_by_role("status")).to_contain_text("te groot om te tekenen")
            problems += await check(page, axe_source, screenshots, "large/netwerk", width)
            await page.get_by_role("link", name="Volgende 50").click()
            await expect(
                page.get_by_role("heading", level=2, name=re.compile("51 tot en met"))
            ).to_be_visible()
            problems += await check(page, axe_source, screenshots, "large/pagina-2", width)
            await page.get_by_role("link", name="Opgedroogde signaalstromen").click()
            weak = page.locator("ol.weak-links")
            await weak.get_by_role("link").first.click()
            chosen = page.locator("#gekozen")
            await expect(chosen).to_contain_text("Opgedroogd: Politie naar Sociaal Wijkteam Oost")
            await expect(chosen.get_by_role("row", name="Signalen")).to_contain_text("12")
            problems += await check(page, axe_source, screenshots, "large/gekozen", width)
            await context.close()
    finally:
        await server.close()
    assert not problems, "\n".join(problems)
