"""The partner pages over plain HTTP: sessions, CSRF, lockout, headers, double submits."""

from __future__ import annotations

import re
import uuid
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.directory.accounts import create_user
from schemas.signals import PartnerKind
from tests.support.factories import make_partner
from tests.support.http import hidden, log_in
from tests.support.http import signal_form as form

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord"


async def logged_in(client: Client, pool: asyncpg.Pool, kind: PartnerKind = PartnerKind.GP) -> str:
    partner, _ = await make_partner(pool, kind)
    email = f"{partner.id}@example.invalid"
    await create_user(pool, email, PASSWORD, "partner", partner)
    await log_in(client, email, PASSWORD)
    return email


async def one_case(client: Client, pool: asyncpg.Pool) -> tuple[str, str]:
    """A member of team Oost logged in, with one new case from a GP: its path and its page."""
    from tests.support.factories import OOST, make_user, signal_from

    gp, _ = await make_partner(pool, PartnerKind.GP)
    member, _ = await make_user(pool, "member", OOST, password=PASSWORD)
    await signal_from(pool, gp)
    await log_in(client, member.email, PASSWORD)
    inbox = await (await client.get("/inbox")).text()
    found = re.search(r'href="(/inbox/zaken/[^"]+)"', inbox)
    assert found
    return found.group(1), await (await client.get(found.group(1))).text()


async def test_session_cookie_is_httponly_and_samesite(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partner, _ = await make_partner(haarlem)
    await create_user(haarlem, "a@example.invalid", PASSWORD, "partner", partner)
    page = await (await client.get("/inloggen")).text()
    response = await client.post(
        "/inloggen",
        data={
            "email": "A@example.invalid",
            "password": PASSWORD,
            "csrf_token": hidden(page, "csrf_token"),
        },
        allow_redirects=False,
    )
    assert response.status == 303
    cookie = response.headers["Set-Cookie"]
    assert "hub_session=" in cookie
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


async def test_pages_need_a_session(client: Client) -> None:
    for path in ("/signalen", "/signalen/nieuw"):
        response = await client.get(path, allow_redirects=False)
        assert response.status == 303
        assert response.headers["Location"] == "/inloggen"


async def test_form_without_csrf_token_is_refused(client: Client, haarlem: asyncpg.Pool) -> None:
    await logged_in(client, haarlem)
    page = await (await client.get("/signalen/nieuw")).text()
    response = await client.post("/signalen/nieuw", data=form(page, csrf_token="forged"))
    assert response.status == 403
    assert "verlopen" in await response.text()
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 0


async def test_login_without_its_csrf_cookie_is_refused(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    response = await client.post(
        "/inloggen", data={"email": "x@example.invalid", "password": "x", "csrf_token": "abc"}
    )
    assert response.status == 403


async def test_double_submit_stores_one_signal(client: Client, haarlem: asyncpg.Pool) -> None:
    await logged_in(client, haarlem)
    page = await (await client.get("/signalen/nieuw")).text()
    body = form(page)
    first = await client.post("/signalen/nieuw", data=body, allow_redirects=False)
    second = await client.post("/signalen/nieuw", data=body, allow_redirects=False)
    assert first.status == second.status == 303
    assert first.headers["Location"] == second.headers["Location"]
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 1


async def test_field_errors_are_shown_in_dutch(client: Client, haarlem: asyncpg.Pool) -> None:
    await logged_in(client, haarlem)
    page = await (await client.get("/signalen/nieuw")).text()
    response = await client.post(
        "/signalen/nieuw",
        data=form(page, postcode="2034 SS", house_number="twaalf", informed="no", reason=""),
    )
    assert response.status == 422
    html = await response.text()
    assert "De lettercombinaties SA, SD en SS komen in postcodes niet voor" in html
    assert "Vul een huisnummer in" in html
    assert "Vul in waarom de bewoner niet op de hoogte is" in html
    assert 'href="#postcode"' in html  # the summary links to the field


async def test_kinds_offered_are_the_partners_own(client: Client, haarlem: asyncpg.Pool) -> None:
    await logged_in(client, haarlem, PartnerKind.HOUSING)
    page = await (await client.get("/signalen/nieuw")).text()
    assert 'value="rent_arrears"' in page
    assert 'value="care_concern"' not in page
    response = await client.post("/signalen/nieuw", data=form(page, kind="care_concern"))
    assert response.status == 422


async def test_another_partners_signal_page_is_404(client: Client, haarlem: asyncpg.Pool) -> None:
    await logged_in(client, haarlem)
    page = await (await client.get("/signalen/nieuw")).text()
    sent = await client.post("/signalen/nieuw", data=form(page), allow_redirects=False)
    location = sent.headers["Location"]
    client.session.cookie_jar.clear()
    await logged_in(client, haarlem)
    response = await client.get(location)
    assert response.status == 404
    assert "niet van u" in await response.text()


async def test_security_headers(client: Client) -> None:
    response = await client.get("/inloggen")
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_logout_ends_the_session(client: Client, haarlem: asyncpg.Pool) -> None:
    await logged_in(client, haarlem)
    page = await (await client.get("/signalen")).text()
    response = await client.post(
        "/uitloggen", data={"csrf_token": hidden(page, "csrf_token")}, allow_redirects=False
    )
    assert response.status == 303
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from sessions") == 0


async def test_team_pages_act_only_with_the_csrf_token(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    path, page = await one_case(client, haarlem)
    forged = await client.post(f"{path}/acties", data={"action": "take", "csrf_token": "x"})
    assert forged.status == 403
    taken = await client.post(
        f"{path}/acties",
        data={"action": "take", "csrf_token": hidden(page, "csrf_token")},
        allow_redirects=False,
    )
    assert taken.status == 303
    again = await client.post(  # a double click: shown done, not as an error
        f"{path}/acties",
        data={"action": "take", "csrf_token": hidden(page, "csrf_token")},
    )
    assert again.status == 200
    assert "U heeft de zaak opgepakt" in await again.text()
    wrong = await client.post(  # a step that does not fit the status is still refused
        f"{path}/acties",
        data={"action": "reopen", "csrf_token": hidden(page, "csrf_token")},
    )
    assert wrong.status == 409
    assert "huidige status" in await wrong.text()


async def test_closing_needs_a_chosen_outcome_and_each_step_is_confirmed(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    path, page = await one_case(client, haarlem)
    token = hidden(page, "csrf_token")
    assert '<option value="" selected disabled>Kies een uitkomst</option>' not in page  # not yet
    taken = await client.post(f"{path}/acties", data={"action": "take", "csrf_token": token})
    assert taken.status == 200
    assert taken.url.query.get("gedaan") == "take"
    taken_page = await taken.text()
    assert "U heeft de zaak opgepakt" in taken_page
    assert '<option value="" selected disabled>Kies een uitkomst</option>' in taken_page
    for step in ({"action": "contact_attempt", "reached": "true"}, {"action": "close"}):
        answer = await client.post(f"{path}/acties", data={**step, "csrf_token": token})
    assert answer.status == 422  # closing without an outcome: nothing is chosen for the worker
    assert "Vul de gevraagde gegevens in" in await answer.text()
    assert "gedaan" not in answer.url.query


async def test_coordinator_sends_an_unrouted_signal_to_a_team(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    from tests.support.factories import make_user, signal_from

    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    coordinator, _ = await make_user(haarlem, "coordinator", password=PASSWORD)
    await signal_from(haarlem, gp, address={"postcode": "2116 AB", "house_number": 4})
    await log_in(client, coordinator.email, PASSWORD)
    page = await (await client.get("/coordinator")).text()
    assert "Geen routeringsregel voor postcode 2116 AB" in page
    action = re.search(r'action="(/coordinator/signalen/[^"]+)"', page)
    assert action
    assert '<option value="" selected disabled>Kies een team</option>' in page  # none chosen
    unchosen = await client.post(action.group(1), data={"csrf_token": hidden(page, "csrf_token")})
    assert unchosen.status == 422
    assert "Kies het team" in await unchosen.text()
    sent = await client.post(
        action.group(1),
        data={"team": "SWT-ZVT", "csrf_token": hidden(page, "csrf_token")},
        allow_redirects=False,
    )
    assert sent.status == 303
    assert sent.headers["Location"] == "/coordinator?gestuurd=ja"
    after = await (await client.get(sent.headers["Location"])).text()
    assert "De wachtrij is leeg" in after
    assert "Het signaal is naar het gekozen team gestuurd." in after
    async with haarlem.acquire() as conn:
        row = await conn.fetchrow(
            "select s.status, t.code from signals s join teams t on t.id = s.team_id"
        )
    assert row is not None
    assert (row["status"], row["code"]) == ("routed", "SWT-ZVT")


@pytest.mark.parametrize(
    ("role", "path"),
    [
        ("manager", "/inbox"),
        ("partner", "/inbox"),
        ("member", "/coordinator"),
        ("coordinator", "/inbox"),
    ],
)
async def test_pages_of_other_roles_are_404(
    client: Client, haarlem: asyncpg.Pool, role: str, path: str
) -> None:
    from hub.directory.accounts import create_user
    from tests.support.factories import make_user

    if role == "partner":
        partner, _ = await make_partner(haarlem)
        await create_user(haarlem, "p@example.invalid", PASSWORD, "partner", partner)
        email = "p@example.invalid"
    else:
        user, _ = await make_user(
            haarlem, role, "SWT-HLM-OOST" if role == "member" else None, password=PASSWORD
        )
        email = user.email
    await log_in(client, email, PASSWORD)
    response = await client.get(path)
    assert response.status == 404


@pytest.mark.parametrize(
    ("role", "start"),
    [
        ("member", "/inbox"),
        ("lead", "/inbox"),
        ("coordinator", "/coordinator"),
        ("manager", "/beheer/terugkoppeling"),
        ("admin", "/beheer/terugkoppeling"),
    ],
)
async def test_login_leads_each_role_to_its_start_page(
    client: Client, haarlem: asyncpg.Pool, role: str, start: str
) -> None:
    from tests.support.factories import make_user

    team = "SWT-HLM-OOST" if role in ("member", "lead") else None
    user, _ = await make_user(haarlem, role, team, password=PASSWORD)
    page = await (await client.get("/inloggen")).text()
    response = await client.post(
        "/inloggen",
        data={"email": user.email, "password": PASSWORD, "csrf_token": hidden(page, "csrf_token")},
        allow_redirects=False,
    )
    assert response.headers["Location"] == start
    assert (await client.get(start)).status == 200


async def test_a_browser_gets_a_dutch_page_for_a_wrong_address(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """A browser asking for a page that does not exist gets a Dutch page with the menu; API
    clients and anything not asking for HTML keep getting problem+json."""
    html = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    anonymous = await client.get("/bestaat-niet", headers=html)
    assert anonymous.status == 404
    assert anonymous.content_type == "text/html"
    assert "Pagina niet gevonden" in await anonymous.text()
    await logged_in(client, haarlem)
    for path in ("/signalen/bestaat/niet", f"/signalen/{uuid.uuid4()}"):  # no route; no signal
        signed_in = await client.get(path, headers=html)
        assert signed_in.status == 404
        assert 'href="/signalen">Mijn signalen</a>' in await signed_in.text()  # with its menu
    for path, headers in (("/api/v1/bestaat-niet", html), ("/bestaat-niet", {})):
        answer = await client.get(path, headers=headers)
        assert answer.status == 404
        assert answer.content_type == "application/problem+json"


async def test_coordinator_gives_a_signal_back_from_the_page(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    from tests.support.factories import make_user, signal_from

    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    coordinator, _ = await make_user(haarlem, "coordinator", password=PASSWORD)
    await signal_from(haarlem, gp, address={"postcode": "1012 AB", "house_number": 5})
    await log_in(client, coordinator.email, PASSWORD)
    page = await (await client.get("/coordinator")).text()
    action = re.search(r'action="(/coordinator/signalen/[^"]+/buiten-werkgebied)"', page)
    assert action
    forged = await client.post(action.group(1), data={"csrf_token": "x"})
    assert forged.status == 403
    given = await client.post(
        action.group(1), data={"csrf_token": hidden(page, "csrf_token")}, allow_redirects=False
    )
    assert given.headers["Location"] == "/coordinator?gestuurd=terug"
    after = await (await client.get(given.headers["Location"])).text()
    assert "teruggegeven aan de partner" in after
    assert "De wachtrij is leeg" in after
    again = await client.post(action.group(1), data={"csrf_token": hidden(page, "csrf_token")})
    assert again.status == 404  # no longer in the queue


async def test_the_inbox_filters_and_keeps_named_work_queues(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    from tests.support.factories import OOST, make_user, signal_from

    gp, _ = await make_partner(haarlem, PartnerKind.GP, name="Praktijk Filter")
    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING, name="Corporatie Filter")
    member, _ = await make_user(haarlem, "member", OOST, password=PASSWORD)
    other, _ = await make_user(haarlem, "member", OOST, password=PASSWORD)
    await signal_from(haarlem, gp, address={"postcode": "2031AA", "house_number": 1})
    await signal_from(haarlem, housing, address={"postcode": "2031AA", "house_number": 3})
    await log_in(client, member.email, PASSWORD)

    everything = await (await client.get("/inbox", params={"tab": "open"})).text()
    assert "2031 AA 1" in everything
    assert "2031 AA 3" in everything
    rent = await (
        await client.get("/inbox", params={"tab": "open", "soort": "rent_arrears"})
    ).text()
    assert "2031 AA 3" in rent
    assert "2031 AA 1<" not in rent
    partner_id = re.search(r'<option value="([0-9a-f-]{36})">Praktijk Filter</option>', rent)
    assert partner_id
    by_gp = await (
        await client.get("/inbox", params={"tab": "open", "partner": partner_id.group(1)})
    ).text()
    assert "2031 AA 1" in by_gp
    assert "2031 AA 3" not in by_gp
    unknown = await client.get("/inbox", params={"tab": "open", "soort": "poison'--"})
    assert unknown.status == 404

    saved = await client.post(
        "/inbox/lijsten",
        data={
            "csrf_token": hidden(rent, "csrf_token"),
            "tab": "open",
            "soort": "rent_arrears",
            "name": "  Huur   open ",
        },
        allow_redirects=False,
    )
    assert saved.status == 303
    assert saved.headers["Location"] == "/inbox?tab=open&soort=rent_arrears"
    page = await (await client.get("/inbox")).text()
    assert "Huur open (1)" in page  # listed on every tab, with its count
    twice = await client.post(  # the same name in other capitals is the same name
        "/inbox/lijsten",
        data={
            "csrf_token": hidden(page, "csrf_token"),
            "tab": "open",
            "soort": "rent_arrears",
            "name": "HUUR OPEN",
        },
    )
    assert twice.status == 409
    refused = await twice.text()
    assert 'value="HUUR OPEN"' in refused  # what was typed, and the filter, are still there
    assert '<option value="rent_arrears" selected>' in refused
    client.session.cookie_jar.clear()
    await log_in(client, other.email, PASSWORD)  # a colleague's lists are not one's own
    assert "Huur open" not in await (await client.get("/inbox")).text()
    client.session.cookie_jar.clear()
    await log_in(client, member.email, PASSWORD)
    page = await (await client.get("/inbox")).text()
    drop = re.search(r'action="(/inbox/lijsten/[^"]+/weg)"', page)
    assert drop
    await client.post(drop.group(1), data={"csrf_token": hidden(page, "csrf_token")})
    assert "Huur open" not in await (await client.get("/inbox")).text()


async def test_returning_without_a_reason_keeps_the_box_open_and_says_why(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    path, page = await one_case(client, haarlem)
    refused = await client.post(
        f"{path}/acties",
        data={"action": "return", "reason": "  ", "csrf_token": hidden(page, "csrf_token")},
    )
    assert refused.status == 422
    text = await refused.text()
    assert "Geef een reden op" in text
    assert "<details open>" in text  # the box with the reason stays in view
    assert 'aria-invalid="true"' in text


async def test_a_nul_or_an_impossible_cursor_is_refused_not_a_500(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """Found by a hostile walk: PostgreSQL's text holds no NUL and its dates have limits."""
    import base64

    await logged_in(client, haarlem)
    nul = await client.get("/signalen", params={"kenmerk": "A\x00B"})
    assert nul.status == 400
    assert "teken dat niet kan" in await nul.text()
    for stamp in ("0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
        raw = f"{stamp}|{uuid.uuid4()}".encode()
        cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
        assert (await client.get("/signalen", params={"na": cursor})).status == 404
    page = await (await client.get("/signalen/nieuw")).text()
    posted = await client.post(
        "/signalen/nieuw", data=form(page, description="Zorgen\x00over welzijn.")
    )
    assert posted.status == 400
    first = await (await client.get("/signalen", params={"na": ""})).text()
    assert "Nieuwste signalen" not in first  # an empty cursor is the first page
