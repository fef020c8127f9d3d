"""The partner survey, end to end: an administrator starts it, the invitations leave through the
outbox to a real SMTP server with each partner's personal link, partners answer through it
without a login (and change and withdraw their answers), reminders go once each, the link stops
working when the survey closes, and managers see only masked aggregates."""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from hub.feedback.agreements import add_agreement
from hub.platform.clock import today
from hub.platform.config import Settings
from hub.surveys import links
from hub.surveys.service import (
    SurveyClosed,
    links_of,
    save_answers,
    send_reminders,
    start_survey,
    withdraw_answers,
)
from schemas.surveys import Score
from tests.api.test_mail import Inbox, smtp  # noqa: F401 - the real SMTP server's fixture
from tests.support.factories import make_admin_token, make_user
from tests.support.http import bearer, log_in, problem
from tests.support.outbox import queued_mail
from tests.support.surveys import (
    answer_all,
    answer_fields,
    at,
    hidden_csrf,
    link_token,
    survey_partners,
)

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord voor de enquete"


async def admin_client(client: Client, pool: asyncpg.Pool, role: str = "admin") -> None:
    user, _ = await make_user(pool, role, password=PASSWORD)
    await log_in(client, user.email, PASSWORD)


async def start_on_page(client: Client, closes: str, team: str = "") -> Any:
    page = await (await client.get("/beheer/enquetes")).text()
    return await client.post(
        "/beheer/enquetes",
        data={"csrf_token": hidden_csrf(page), "closes": closes, "team": team},
        allow_redirects=False,
    )


async def answer(client: Client, token: str, choice: str = "5", comment: str | None = None) -> Any:
    """Answer every statement on the partner's page with `choice`, as its browser would."""
    page = await (await client.get(f"/enquete/{token}")).text()
    form = {"csrf_token": hidden_csrf(page)}
    form |= dict.fromkeys(answer_fields(page), choice)
    if comment is not None:
        for field in re.findall(r'name="(c-[0-9]+)"', page):
            form[field] = comment
    return await client.post(f"/enquete/{token}", data=form, allow_redirects=False)


def subject(message: Any) -> str:
    return str(make_header(decode_header(message["Subject"])))


def body(message: Any) -> str:
    text: str = message.get_payload(decode=True).decode()
    return text


def survey_mail(inbox: Inbox) -> list[Any]:
    """The survey's mails the SMTP server received (not the teams' new-signal mail)."""
    return [m for m in inbox.messages if "enquête" in subject(m).lower()]


async def wait_for(inbox: Inbox, count: int) -> list[Any]:
    for _ in range(200):
        if len(survey_mail(inbox)) >= count:
            return survey_mail(inbox)
        await asyncio.sleep(0.05)
    raise AssertionError(f"{len(survey_mail(inbox))} of {count} survey mails arrived")


async def every_text(pool: asyncpg.Pool) -> str:
    """Every column of every table as text, as a stolen backup would show it."""
    found = []
    async with pool.acquire() as conn:
        tables = await conn.fetch(
            "select tablename from pg_tables where schemaname = 'public' order by tablename"
        )
        for table in tables:
            rows = await conn.fetch(f'select t::text as row from "{table["tablename"]}" t')  # noqa: S608
            found += [row["row"] for row in rows]
    return "\n".join(found)


async def test_a_survey_runs_end_to_end(
    haarlem: asyncpg.Pool,
    dsn: str,
    settings: Settings,
    smtp: tuple[Inbox, int],  # noqa: F811 - the fixture imported above
) -> None:
    inbox, port = smtp
    await survey_partners(haarlem, 6)
    live = settings.model_copy(
        update={
            "scheduler": True,
            "smtp_host": "127.0.0.1",
            "smtp_port": port,
            "mail_poll_seconds": 0.2,
            "public_url": "https://hub.example",
        }
    )
    closes = today() + timedelta(days=14)
    async with TestClient(TestServer(create_app(live, dsn))) as client:
        await admin_client(client, haarlem)
        started = await start_on_page(client, closes.isoformat())
        assert started.status == 303
        done = await (await client.get(started.headers["Location"])).text()
        assert "6 partners krijgen een e-mail" in done
        invitations = await wait_for(inbox, 6)

        # One invitation per partner organisation, to its contact address, about both teams.
        by_address = {message["To"]: message for message in invitations}
        assert set(by_address) == {f"huisartsenpraktijk-{n}@example.invalid" for n in range(1, 7)}
        first = by_address["huisartsenpraktijk-1@example.invalid"]
        assert subject(first).startswith("Hoe werken de wijkteams met u samen?")
        text = body(first)
        assert "Sociaal Wijkteam Oost" in text
        assert "Sociaal Wijkteam Centrum" in text
        assert closes.strftime("%d-%m-%Y") in text
        assert "https://hub.example/enquete/" in text
        tokens = {to: link_token(body(message)) for to, message in by_address.items()}
        assert len(set(tokens.values())) == 6
        assert links.SLOT not in text

        # The database holds no working link: no token, no plain hash of one; the outbox kept
        # the mail with a slot where the link went.
        stored = await every_text(haarlem)
        for token in tokens.values():
            assert token not in stored
            assert hashlib.sha256(token.encode()).hexdigest() not in stored
        queued = [m for m in await queued_mail(haarlem) if "enquête" in m["subject"].lower()]
        assert len(queued) == 6
        assert all(links.SLOT in mail["body"] for mail in queued)

        # Five partners answer through their link, without a login.
        client.session.cookie_jar.clear()
        for n in range(1, 6):
            token = tokens[f"huisartsenpraktijk-{n}@example.invalid"]
            page = await client.get(f"/enquete/{token}")
            assert page.status == 200
            text = await page.text()
            assert f"Huisartsenpraktijk {n}" in text
            assert len(answer_fields(text)) == 2 * 7  # two teams, seven statements
            saved = await answer(client, token, "5" if n <= 3 else "2", comment=f"Opmerking {n}")
            assert saved.status == 303
            again = await (await client.get(saved.headers["Location"])).text()
            assert "Uw antwoorden zijn opgeslagen" in again
            assert again.count("checked") == 2 * 7
            assert f"Opmerking {n}" in again

        # Managers see aggregates: 5 of 6 answered; 3 agree, 2 disagree on every statement.
        admin = await make_admin_token(haarlem)
        listed = await (await client.get("/api/v1/surveys", headers=bearer(admin))).json()
        (survey,) = listed["surveys"]
        assert (survey["invited"], survey["answered"], survey["open"]) == (6, 5, True)
        results = await (
            await client.get(f"/api/v1/surveys/{survey['id']}/results", headers=bearer(admin))
        ).json()
        oost = next(team for team in results["teams"] if team["code"] == "SWT-HLM-OOST")
        assert (oost["invited"], oost["answered"], oost["response_rate"]) == (6, 5, None)
        statement = oost["statements"][0]
        # 3 and 2: each under five, and the total beside them would tell them apart.
        assert (statement["agree"], statement["disagree"], statement["answers"]) == (
            "<5",
            "<5",
            "ca. 10",
        )
        assert statement["agree_share"] is None  # 3 of 5 would tell a count under five
        # Five partners answered about Oost: their comments show, in no telling order.
        assert oost["comments"] == [f"Opmerking {n}" for n in range(1, 6)]
        assert "Huisartsenpraktijk" not in json.dumps(results)

        # Reminders: seven and three days before closing, once each, to the one who did not
        # answer; the same link again.
        pool = haarlem
        assert (
            await send_reminders(pool, at(closes - timedelta(days=8)), "https://hub.example") == 0
        )
        assert (
            await send_reminders(pool, at(closes - timedelta(days=7)), "https://hub.example") == 1
        )
        assert await send_reminders(pool, at(closes - timedelta(days=7), 16), "x") == 0
        assert await send_reminders(pool, at(closes - timedelta(days=5)), "x") == 0
        assert (
            await send_reminders(pool, at(closes - timedelta(days=3)), "https://hub.example") == 1
        )
        assert await send_reminders(pool, at(closes - timedelta(days=1)), "x") == 0
        reminders = (await wait_for(inbox, 8))[6:]
        assert {message["To"] for message in reminders} == {"huisartsenpraktijk-6@example.invalid"}
        assert subject(reminders[0]).startswith("Herinnering")
        assert subject(reminders[1]).startswith("Laatste herinnering")
        assert {link_token(body(m)) for m in reminders} == {
            tokens["huisartsenpraktijk-6@example.invalid"]
        }


async def test_the_link_expires_when_the_survey_closes(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partners = await survey_partners(haarlem, 1, days_ago=60)
    opened = today() - timedelta(days=20)
    closes = opened + timedelta(days=14)
    started = await start_survey(haarlem, closes, None, public_url="", now=at(opened))
    token = (await links_of(haarlem, started.survey_id))[partners[0].id]
    # While it was open, the partner answered.
    await save_answers(haarlem, token, {}, {}, at(opened + timedelta(days=2)))
    # Once closed, the link shows no answers and takes none.
    page = await client.get(f"/enquete/{token}", headers={"Accept": "text/html"})
    assert page.status == 410
    text = await page.text()
    assert "Deze enquête is gesloten" in text
    assert "<form" not in text.split('id="inhoud"', 1)[1]
    for late in (closes + timedelta(days=1), closes + timedelta(days=30)):
        with pytest.raises(SurveyClosed):
            await save_answers(haarlem, token, {}, {}, at(late))
        with pytest.raises(SurveyClosed):
            await withdraw_answers(haarlem, token, at(late))
    # On its last day it still takes them.
    await save_answers(haarlem, token, {}, {}, at(closes, 23))
    # Nor does a closed survey remind anyone.
    assert await send_reminders(haarlem, datetime.now(UTC), "x") == 0


async def open_survey(pool: asyncpg.Pool, count: int = 2) -> tuple[list[Any], dict[Any, str]]:
    """Partners that worked with Oost and Centrum, invited to a survey open two more weeks."""
    partners = await survey_partners(pool, count)
    started = await start_survey(
        pool, today() + timedelta(days=14), None, public_url="", now=datetime.now(UTC)
    )
    return partners, await links_of(pool, started.survey_id)


async def test_a_partner_changes_and_withdraws_its_answers(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partners, tokens = await open_survey(haarlem)
    token = tokens[partners[0].id]
    assert (await answer(client, token, "5", comment="Eerst")).status == 303
    assert (await answer(client, token, "0", comment="")).status == 303  # changed: don't know
    async with haarlem.acquire() as conn:
        scores = await conn.fetch(
            "select a.score, i.partner_id from survey_answers a "
            "join survey_invitations i on i.id = a.invitation_id"
        )
        assert await conn.fetchval("select count(*) from survey_comments") == 0
    # Stored per partner organisation: the invitation names the partner.
    assert {row["partner_id"] for row in scores} == {partners[0].id}
    assert [row["score"] for row in scores] == [None] * 14
    page = await (await client.get(f"/enquete/{token}")).text()
    assert "Uw antwoorden intrekken" in page
    # Withdrawing asks first, then every answer is gone and no reminder follows.
    asked = await client.post(f"/enquete/{token}/intrekken", data={"csrf_token": hidden_csrf(page)})
    assert asked.status == 200
    confirm = await asked.text()
    assert "Ja, intrekken" in confirm
    done = await client.post(
        f"/enquete/{token}/intrekken",
        data={"csrf_token": hidden_csrf(confirm), "bevestigd": "ja"},
        allow_redirects=False,
    )
    assert done.status == 303
    after = await (await client.get(done.headers["Location"])).text()
    assert "Uw antwoorden zijn ingetrokken" in after
    assert "checked" not in after
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from survey_answers") == 0
        withdrawn = await conn.fetchval(
            "select withdrawn_at is not null from survey_invitations where partner_id = $1",
            partners[0].id,
        )
    assert withdrawn
    closes = today() + timedelta(days=14)
    # The other partner, who never answered, is reminded; the one who withdrew is not.
    assert await send_reminders(haarlem, at(closes - timedelta(days=7)), "x") == 1


async def test_the_answer_form_is_csrf_safe_and_refuses_bad_input(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partners, tokens = await open_survey(haarlem)
    token = tokens[partners[0].id]
    page = await (await client.get(f"/enquete/{token}")).text()
    fields = answer_fields(page)
    csrf = hidden_csrf(page)
    # Another site's form: no cookie of ours, or a token of its own.
    client.session.cookie_jar.clear()
    forged = await client.post(f"/enquete/{token}", data={"csrf_token": csrf, fields[0]: "5"})
    assert forged.status == 403
    page = await (await client.get(f"/enquete/{token}")).text()
    csrf = hidden_csrf(page)
    forged = await client.post(f"/enquete/{token}", data={"csrf_token": "x", fields[0]: "5"})
    assert forged.status == 403
    # A score off the scale, or a statement of another survey: a clear refusal, no 500.
    for bad in ({fields[0]: "6"}, {fields[0]: "vijf"}, {"a-999999-1": "5"}):
        refused = await client.post(f"/enquete/{token}", data={"csrf_token": csrf} | bad)
        assert refused.status == 400, bad
        assert "formulier" in await refused.text()
    # A comment too long: the form comes back as typed, the error beside the field.
    comment = re.findall(r'name="(c-[0-9]+)"', page)[0]
    long = await client.post(
        f"/enquete/{token}", data={"csrf_token": csrf, fields[0]: "4", comment: "x" * 1001}
    )
    assert long.status == 422
    text = await long.text()
    assert "Maak de toelichting korter" in text
    assert 'value="4" checked' in text
    # A link that is none, or of no invitation: a Dutch page saying so.
    for wrong in ("kort", "A" * 43, token[:-1] + ("A" if token[-1] != "A" else "B")):
        missing = await client.get(f"/enquete/{wrong}", headers={"Accept": "text/html"})
        assert missing.status == 404
        assert "Deze link werkt niet" in await missing.text()
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from survey_answers") == 0


async def test_the_page_is_rate_limited_per_address(client: Client, haarlem: asyncpg.Pool) -> None:
    statuses = [
        (await client.get("/enquete/" + "B" * 43, headers={"Accept": "text/html"})).status
        for _ in range(40)
    ]
    assert statuses[:30] == [404] * 30
    assert 429 in statuses[30:]
    refused = await client.get("/enquete/" + "B" * 43)
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Wacht" in await refused.text()


async def test_an_administrator_starts_a_survey_and_keeps_its_statements(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await survey_partners(haarlem, 2)
    await admin_client(client, haarlem)
    page = await (await client.get("/beheer/enquetes")).text()
    assert page.count('class="statement"') == 7
    statement_id = re.findall(r'action="/beheer/enquetes/stellingen/([0-9]+)"', page)[0]
    csrf = hidden_csrf(page)
    changed = await client.post(
        f"/beheer/enquetes/stellingen/{statement_id}",
        data={"csrf_token": csrf, "text": "Het wijkteam is goed zichtbaar.", "actie": "wijzigen"},
        allow_redirects=False,
    )
    assert changed.status == 303
    refused = await client.post(
        f"/beheer/enquetes/stellingen/{statement_id}",
        data={"csrf_token": csrf, "text": "  ", "actie": "wijzigen"},
    )
    assert refused.status == 422
    assert "Schrijf een stelling" in await refused.text()
    # A second statement on a theme in use is refused beside the field.
    twice = await client.post(
        "/beheer/enquetes/stellingen",
        data={"csrf_token": csrf, "text": "Nog een.", "theme": "agreements_kept"},
    )
    assert twice.status == 409
    own = await client.post(
        "/beheer/enquetes/stellingen",
        data={"csrf_token": csrf, "text": "Het wijkteam denkt mee.", "theme": ""},
        allow_redirects=False,
    )
    assert own.status == 303
    # A closing day in the past, or beyond three months, or a team that is none.
    for closes, team in (
        (today().isoformat(), ""),
        ((today() + timedelta(days=200)).isoformat(), ""),
        ("31-12-2026", ""),
        ((today() + timedelta(days=10)).isoformat(), "SWT-NERGENS"),
    ):
        refused = await start_on_page(client, closes, team)
        assert refused.status == 422, (closes, team)
    started = await start_on_page(client, (today() + timedelta(days=10)).isoformat())
    assert started.status == 303
    done = await (await client.get(started.headers["Location"])).text()
    assert "2 partners krijgen een e-mail" in done
    assert "Het wijkteam is goed zichtbaar." in done
    # One survey of the same teams at a time.
    again = await start_on_page(client, (today() + timedelta(days=20)).isoformat(), "SWT-HLM-OOST")
    assert again.status == 409
    assert "Er loopt al een enquête" in await again.text()
    async with haarlem.acquire() as conn:
        asked = await conn.fetch("select text from survey_questions order by position")
    assert next(row["text"] for row in asked) == "Het wijkteam is goed zichtbaar."
    assert len(asked) == 8


async def test_partners_verdict_beside_the_measurement_is_a_weak_link(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """Five partners of Oost say agreements are kept; Oost met none of its first contacts in
    time. On the network page: partners rate the feedback higher than it was delivered."""
    await add_agreement(haarlem, step="first_contact", working_days=5)
    partners = await survey_partners(haarlem, 5, postcodes=("2031AA",), days_ago=40)
    opened = today() - timedelta(days=30)
    closes = today() - timedelta(days=10)
    started = await start_survey(haarlem, closes, None, public_url="", now=at(opened))
    tokens = await links_of(haarlem, started.survey_id)
    async with haarlem.acquire() as conn:
        oost = await conn.fetchval("select id from teams where code = 'SWT-HLM-OOST'")
        kept = await conn.fetchval(
            "select statement_id from survey_questions where theme = 'agreements_kept'"
        )
    for partner in partners:
        await save_answers(
            haarlem, tokens[partner.id], {(oost, kept): Score.AGREE}, {}, at(opened, 12)
        )
    admin = await make_admin_token(haarlem)
    results = await (
        await client.get(f"/api/v1/surveys/{started.survey_id}/results", headers=bearer(admin))
    ).json()
    (row,) = results["verdict_by_team"]
    assert row | {"due": row["due"]} == {
        "team": "SWT-HLM-OOST",
        "team_name": "Sociaal Wijkteam Oost",
        "partner_kind": None,
        "answers": 5,
        "rated_kept": 1.0,
        "due": 5,
        "on_time": 0,
        "measured_on_time": 0.0,
        "gap_points": 100,
        "finding": "rated_higher",
    }
    network = await (await client.get("/api/v1/network", headers=bearer(admin))).json()
    gaps = [link for link in network["weak_links"] if link["kind"] == "verdict_gap"]
    # Oost's partners, and the GPs (all five are): both higher than delivered.
    assert sorted((g["nodes"], g["evidence"]["partner_kind"]) for g in gaps) == [
        ([], "gp"),
        (["team:SWT-HLM-OOST"], ""),
    ]
    assert {g["evidence"]["direction"] for g in gaps} == {"higher"}
    # On the page, in words.
    await admin_client(client, haarlem, "manager")
    page = await (await client.get("/beheer/netwerk")).text()
    assert (
        "Oordeel hoger dan gemeten over Sociaal Wijkteam Oost: 100% van de partners vindt dat "
        "afspraken worden nagekomen, maar 0% van de terugkoppeling was op tijd (enquête tot en "
        f"met {closes:%d-%m-%Y})"
    ) in page
    assert (
        "Oordeel hoger dan gemeten bij huisartsen: 100% vindt dat afspraken worden nagekomen, "
        "maar 0% van de terugkoppeling aan hen was op tijd"
    ) in page
    assert "Kijk wat het team in de signaalhub vastlegt" in page
    # Chosen, with its figures.
    number = re.search(r'schakel=([0-9]+)#gekozen">Oordeel hoger dan gemeten over', page)
    assert number is not None
    chosen = await (await client.get(f"/beheer/netwerk?schakel={number.group(1)}")).text()
    assert "Partners die vinden dat afspraken worden nagekomen (enquête)" in chosen
    assert "100% van 5" in chosen
    satisfaction = await client.get(f"/beheer/tevredenheid?enquete={started.survey_id}")
    assert satisfaction.status == 200
    assert "Partners oordelen hoger dan gemeten" in await satisfaction.text()
    download = await client.get(
        f"/beheer/tevredenheid?enquete={started.survey_id}&download=oordeel"
    )
    assert download.headers["Content-Type"].startswith("text/csv")
    assert "Partners oordelen hoger dan gemeten" in (await download.read()).decode("utf-8-sig")


async def test_managers_see_no_small_count_and_no_partner(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """Four partners answer about Centrum, seven about Oost: Centrum's figures are masked and
    its comments not shown; nothing in any output names a partner."""
    oost_only = await survey_partners(haarlem, 3, postcodes=("2031AA",), name="Oost")
    both = await survey_partners(haarlem, 4, name="Beide")
    started = await start_survey(
        haarlem, today() + timedelta(days=7), None, public_url="", now=datetime.now(UTC)
    )
    tokens = await links_of(haarlem, started.survey_id)
    for partner in oost_only + both:
        await answer(client, tokens[partner.id], "4", comment=f"Toelichting van {partner.name}")
    admin = await make_admin_token(haarlem)
    results = await (
        await client.get(f"/api/v1/surveys/{started.survey_id}/results", headers=bearer(admin))
    ).json()
    teams = {team["code"]: team for team in results["teams"]}
    centrum, oost = teams["SWT-HLM-CENTRUM"], teams["SWT-HLM-OOST"]
    assert (centrum["invited"], centrum["answered"], centrum["comments"]) == ("<5", "<5", None)
    assert (oost["invited"], oost["answered"], oost["response_rate"]) == (7, 7, 1.0)
    assert oost["statements"][0]["agree_share"] == 1.0
    assert len(oost["comments"]) == 7

    def small(value: Any, where: str, found: list[str]) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if key in ("statement", "statements"):
                    continue
                if isinstance(item, int) and not isinstance(item, bool) and 1 <= item <= 4:
                    found.append(f"{where}.{key}={item}")
                small(item, f"{where}.{key}", found)
        elif isinstance(value, list):
            for index, item in enumerate(value):
                small(item, f"{where}[{index}]", found)

    found: list[str] = []
    small(results, "results", found)
    assert found == []
    # Comments are the partners' own words: what they wrote, never who wrote it.
    text = json.dumps({k: v for k, v in results.items() if k != "teams"})
    assert "Oost 1" not in text
    assert "Beide" not in text
    await admin_client(client, haarlem, "manager")
    page = await (await client.get("/beheer/tevredenheid")).text()
    assert "minder dan vijf partners antwoordden over dit team" in page
    assert "Toelichting van Oost 1" in page  # Oost's, where seven answered
    csv = (await (await client.get("/beheer/tevredenheid?download=stellingen")).read()).decode(
        "utf-8-sig"
    )
    assert "Sociaal Wijkteam Centrum" in csv
    assert "Toelichting" not in csv
    assert (await client.get("/beheer/tevredenheid?enquete=niet-een-id")).status == 404
    assert (await client.get("/beheer/tevredenheid?download=iets")).status == 404
    missing = await client.get(
        f"/api/v1/surveys/{started.survey_id}x/results", headers=bearer(admin)
    )
    await problem(missing, 404)


async def test_two_tabs_saving_at_once_both_succeed(haarlem: asyncpg.Pool) -> None:
    partners, tokens = await open_survey(haarlem, 1)
    token = tokens[partners[0].id]
    now = datetime.now(UTC)
    await asyncio.gather(
        *(answer_all(haarlem, token, score, now) for score in (Score.AGREE, Score.DISAGREE) * 3)
    )
    async with haarlem.acquire() as conn:
        scores = await conn.fetch("select distinct score from survey_answers")
        counted = await conn.fetchval("select count(*) from survey_answers")
    assert len(scores) == 1  # one save won, whole
    assert counted == 14
