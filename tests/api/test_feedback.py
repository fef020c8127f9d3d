"""The closed loop on real PostgreSQL: obligations, deadlines, reminders, webhooks, metrics."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from hub.directory.models import Partner
from hub.feedback import store
from hub.feedback.compliance import compliance
from hub.feedback.deadlines import sweep
from hub.feedback.delivery import deliver_feedback
from hub.intake.service import submit_signal
from hub.platform import outbox
from hub.platform.clock import LOCAL_TIME
from hub.platform.outbox import MAX_ATTEMPTS
from schemas.signals import PartnerKind, SignalIn
from tests.support.factories import make_partner, make_signal, make_user
from tests.support.servers import (
    WebhookReceiver,
    free_port,
    give_webhook,
    loopback_client,
    webhook_receiver,
)

OOST = "SWT-HLM-OOST"
FRIDAY = datetime(2026, 11, 20, 10, 0, tzinfo=LOCAL_TIME)


async def agree(pool: asyncpg.Pool, step: str, days: int | None, **scope: Any) -> None:
    async with pool.acquire() as conn:
        await store.add_agreement(conn, step=step, working_days=days, **scope)


async def standard_agreements(pool: asyncpg.Pool) -> None:
    await agree(pool, "received", 0)
    await agree(pool, "first_contact", 5)
    await agree(pool, "outcome", 20)


async def signal(pool: asyncpg.Pool, partner: Partner, at: datetime = FRIDAY, **fields: Any) -> Any:
    fields.setdefault("address", {"postcode": "2031AA", "house_number": 9})
    body = SignalIn.model_validate(make_signal(**fields))
    return (await submit_signal(pool, partner, body, received_at=at)).receipt


async def obligations(pool: asyncpg.Pool) -> dict[str, asyncpg.Record]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("select * from obligations order by id")
    return {row["step"]: row for row in rows}


async def case_action(pool: asyncpg.Pool, user: Any, action: dict[str, Any]) -> None:
    from hub.cases.service import act, inbox
    from schemas.cases import CaseActionIn

    (case,), _ = await inbox(pool, user, "open")
    await act(pool, user, case.id, CaseActionIn.model_validate(action).root)


async def test_obligations_get_deadlines_in_working_days(haarlem: asyncpg.Pool) -> None:
    await standard_agreements(haarlem)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    await signal(haarlem, gp)
    found = await obligations(haarlem)
    assert found["received"]["due_on"] == date(2026, 11, 20)
    assert found["received"]["met_at"] is not None
    assert found["first_contact"]["due_on"] == date(2026, 11, 27)
    assert found["outcome"]["due_on"] == date(2026, 12, 18)
    assert found["outcome"]["met_at"] is None


async def test_the_most_specific_agreement_wins(haarlem: asyncpg.Pool) -> None:
    await standard_agreements(haarlem)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    other_gp, _ = await make_partner(haarlem, PartnerKind.GP)
    police, _ = await make_partner(haarlem, PartnerKind.POLICE)
    await agree(haarlem, "first_contact", 2, partner_kind="gp")
    await agree(haarlem, "first_contact", 1, partner_id=gp.id)
    expired = {"valid_to": date(2026, 1, 1)}
    await agree(haarlem, "first_contact", 0, partner_id=other_gp.id, **expired)
    dues = {}
    for partner in (gp, other_gp, police):
        receipt = await signal(haarlem, partner, kind="other")
        async with haarlem.acquire() as conn:
            dues[partner.name] = await conn.fetchval(
                "select due_on from obligations where signal_id = $1 and step = 'first_contact'",
                receipt.id,
            )
    assert dues == {
        gp.name: date(2026, 11, 23),
        other_gp.name: date(2026, 11, 24),
        police.name: date(2026, 11, 27),
    }


async def test_no_agreement_no_obligation(haarlem: asyncpg.Pool) -> None:
    await agree(haarlem, "first_contact", 5, partner_kind="gp")
    youth, _ = await make_partner(haarlem, PartnerKind.YOUTH)
    await signal(haarlem, youth, kind="youth_concern")
    assert await obligations(haarlem) == {}


async def test_case_events_meet_obligations_and_feedback_is_queued(
    haarlem: asyncpg.Pool,
) -> None:
    await standard_agreements(haarlem)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    async with haarlem.acquire() as conn:
        await give_webhook(conn, gp.id, "http://127.0.0.1:9/hook", "s3cret")
    member, _ = await make_user(haarlem, "member", OOST)
    await signal(haarlem, gp, at=datetime.now(UTC))
    await case_action(haarlem, member, {"action": "take"})
    await case_action(haarlem, member, {"action": "contact_attempt", "reached": False})
    assert (await obligations(haarlem))["first_contact"]["met_at"] is None
    await case_action(haarlem, member, {"action": "contact_attempt", "reached": True})
    assert (await obligations(haarlem))["first_contact"]["met_at"] is not None
    await case_action(haarlem, member, {"action": "close", "outcome": "help_started"})
    assert (await obligations(haarlem))["outcome"]["met_at"] is not None
    async with haarlem.acquire() as conn:
        queued = await conn.fetch(
            "select topic, payload from outbox where channel = 'webhook' order by id"
        )
    assert [row["topic"] for row in queued] == ["received", "first_contact", "outcome"]
    outcome = queued[-1]["payload"]
    assert outcome["outcome"] == "help_started"
    assert outcome["status"] == "closed"
    assert set(outcome) == {"signal_id", "external_ref", "step", "at", "status", "outcome"}


async def test_overdue_and_late_with_a_moved_clock(haarlem: asyncpg.Pool) -> None:
    await standard_agreements(haarlem)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    await signal(haarlem, gp)
    await signal(haarlem, gp, address={"postcode": "2031AB", "house_number": 1})
    async with haarlem.acquire() as conn:  # one reached in time, the other never
        await conn.execute(
            "update obligations set met_at = $1 where step = 'first_contact' and id = "
            "(select min(id) from obligations where step = 'first_contact')",
            datetime(2026, 11, 26, 12, tzinfo=LOCAL_TIME),
        )
    during = await compliance(haarlem, datetime(2026, 11, 27, 9, tzinfo=LOCAL_TIME))
    after = await compliance(haarlem, datetime(2026, 11, 30, 9, tzinfo=LOCAL_TIME))
    first = [row for row in during if row["step"] == "first_contact"]
    assert [(r["due"], r["met_on_time"], r["overdue"]) for r in first] == [(2, 1, 0)]
    late = [row for row in after if row["step"] == "first_contact"]
    assert [(r["due"], r["met_on_time"], r["overdue"]) for r in late] == [(2, 1, 1)]
    assert late[0]["week"] == "2026-W48"


async def test_reminder_and_escalation_once_each_with_two_sweepers(
    haarlem: asyncpg.Pool,
) -> None:
    await standard_agreements(haarlem)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    director, _ = await make_user(haarlem, "member", OOST)
    lead, _ = await make_user(haarlem, "lead", OOST)
    await signal(haarlem, gp, at=datetime(2026, 11, 20, 10, tzinfo=LOCAL_TIME))
    await case_action(haarlem, director, {"action": "take"})

    early = datetime(2026, 11, 25, 9, tzinfo=LOCAL_TIME)  # first contact due on the 27th
    assert await sweep(haarlem, early, "https://hub") == (0, 0)
    thursday = datetime(2026, 11, 26, 9, tzinfo=LOCAL_TIME)
    results = await asyncio.gather(*(sweep(haarlem, thursday, "https://hub") for _ in range(2)))
    assert sorted(results) == [(0, 0), (1, 0)]
    monday = datetime(2026, 11, 30, 9, tzinfo=LOCAL_TIME)
    results = await asyncio.gather(*(sweep(haarlem, monday, "https://hub") for _ in range(2)))
    assert sorted(results) == [(0, 0), (0, 1)]
    async with haarlem.acquire() as conn:
        mails = await conn.fetch(
            "select recipient, payload->>'subject' as subject from outbox "
            "where channel = 'mail' and topic like 'deadline%' order by id"
        )
    assert [(m["recipient"], m["subject"]) for m in mails] == [
        (director.email, "Terugkoppeling morgen verwacht"),
        (lead.email, "Terugkoppeling te laat"),
    ]


@pytest.fixture
async def receiver() -> AsyncIterator[tuple[WebhookReceiver, str]]:
    async with webhook_receiver("partner-secret", ["fail", "hang", "ok"]) as found:
        yield found


async def test_webhook_retries_until_the_receiver_accepts(
    haarlem: asyncpg.Pool, receiver: tuple[WebhookReceiver, str]
) -> None:
    hook, url = receiver
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    async with haarlem.acquire() as conn:
        await give_webhook(conn, gp.id, url, hook.secret)
    receipt = await signal(haarlem, gp, at=datetime.now(UTC))
    now = datetime.now(UTC)
    async with loopback_client() as session:
        for _ in range(3):
            await deliver_feedback(haarlem, session, now, timeout_seconds=0.5)
            now += timedelta(hours=7)  # past any backoff
    assert hook.seen == 3
    assert [body["signal_id"] for body in hook.accepted] == [str(receipt.id)]
    assert hook.accepted[0]["step"] == "received"
    async with haarlem.acquire() as conn:
        row = await conn.fetchrow(
            "select attempts, delivered_at, last_error from outbox where channel = 'webhook'"
        )
    assert row is not None
    assert row["attempts"] == 3
    assert row["delivered_at"] is not None
    assert row["last_error"] is None


async def test_dead_letter_after_the_last_attempt_and_retry(haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    async with haarlem.acquire() as conn:
        await give_webhook(conn, gp.id, f"http://127.0.0.1:{free_port()}/", "s")
    await signal(haarlem, gp, at=datetime.now(UTC))
    now = datetime.now(UTC)
    async with loopback_client() as session:
        for _ in range(MAX_ATTEMPTS + 2):
            await deliver_feedback(haarlem, session, now, timeout_seconds=0.5)
            now += timedelta(hours=7)
    (dead,) = await outbox.dead_letters(haarlem)
    assert dead.attempts == MAX_ATTEMPTS
    assert await outbox.retry(haarlem, dead.id, now)
    assert await outbox.dead_letters(haarlem) == []


async def test_feedback_survives_a_crash_before_delivery(
    haarlem: asyncpg.Pool, dsn: str, receiver: tuple[WebhookReceiver, str]
) -> None:
    from hub.platform.db import create_pool

    hook, url = receiver
    hook.plan = ["ok"]
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    async with haarlem.acquire() as conn:
        await give_webhook(conn, gp.id, url, hook.secret)
    await signal(haarlem, gp, at=datetime.now(UTC))
    await haarlem.close()  # the process that wrote it is gone; the outbox row is committed
    fresh = await create_pool(dsn, min_size=1, max_size=2)
    try:
        async with loopback_client() as session:
            assert await deliver_feedback(fresh, session, datetime.now(UTC)) == 1
    finally:
        await fresh.close()
    assert len(hook.accepted) == 1


async def test_compliance_api_for_managers_only(client: Any, haarlem: asyncpg.Pool) -> None:
    from tests.support.factories import make_admin_token
    from tests.support.http import bearer, problem

    await standard_agreements(haarlem)
    gp, gp_token = await make_partner(haarlem, PartnerKind.GP)
    await signal(haarlem, gp, at=datetime.now(UTC) - timedelta(days=14))
    _, manager = await make_user(haarlem, "manager")
    _, member = await make_user(haarlem, "member", OOST)
    response = await client.get("/api/v1/metrics/feedback", headers=bearer(manager))
    assert response.status == 200
    rows = (await response.json())["rows"]
    steps = {(row["step"], row["partner"]) for row in rows}
    assert ("first_contact", gp.name) in steps
    first = next(row for row in rows if row["step"] == "first_contact")
    assert (first["due"], first["overdue"]) == ("<5", "<5")  # one, masked
    admin = await make_admin_token(haarlem)
    assert (await client.get("/api/v1/metrics/feedback", headers=bearer(admin))).status == 200
    await problem(await client.get("/api/v1/metrics/feedback", headers=bearer(member)), 403)
    await problem(await client.get("/api/v1/metrics/feedback", headers=bearer(gp_token)), 403)
    await problem(
        await client.get("/api/v1/metrics/feedback?weeks=0", headers=bearer(manager)), 422
    )


async def test_the_pages_totals_are_the_detailed_rows_summed_three_ways(
    haarlem: asyncpg.Pool,
) -> None:
    """The managers' page reads sums per step and week, per team and per partner from one
    grouping query; each is what the detailed rows (the API's) add up to, a signal without a
    team included."""
    from collections import Counter

    from hub.feedback.compliance import compliance_totals

    await standard_agreements(haarlem)
    gp, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisarts Een")
    police, _ = await make_partner(haarlem, PartnerKind.POLICE, name="Wijkagent Twee")
    now = datetime.now(UTC)
    for n, (partner, postcode, weeks_ago) in enumerate(
        [
            (gp, "2031AA", 1),
            (gp, "2011AA", 2),
            (gp, "2011AA", 2),
            (police, "2031AA", 3),
            (police, "1012AB", 1),  # outside the region: no team, the coordinator's
        ]
    ):
        await signal(
            haarlem,
            partner,
            at=now - timedelta(weeks=weeks_ago, hours=n),
            address={"postcode": postcode, "house_number": n + 1},
            **({"kind": "care_report"} if partner is police else {}),
        )
    rows = await compliance(haarlem, now)
    totals = await compliance_totals(haarlem, now)
    counts = ("due", "met_on_time", "met_late", "overdue")

    def summed(
        keys: tuple[str, ...], found: list[dict[str, Any]]
    ) -> dict[tuple[Any, ...], Counter[str]]:
        sums: dict[tuple[Any, ...], Counter[str]] = {}
        for row in found:
            sums.setdefault(tuple(row[k] for k in keys), Counter()).update(
                {c: int(row[c]) for c in counts}
            )
        return sums

    assert len({row["team"] for row in rows}) == 3  # two teams and none
    assert summed(("step", "week"), totals.per_week) == summed(("step", "week"), rows)
    assert summed(("team",), totals.per_team) == summed(("team",), rows)
    assert summed(("partner",), totals.per_partner) == summed(("partner",), rows)
    assert sum(int(row["due"]) for row in totals.per_team) == sum(int(r["due"]) for r in rows)


async def test_a_deadline_counts_for_the_team_its_signal_is_with_now(
    haarlem: asyncpg.Pool,
) -> None:
    """Deadlines carry their signal's partner and team (migration 0035): returned to the
    coordinator they count for no team, sent on to another team for that team, sent back out
    of the area for none again."""
    from hub.cases.service import act, coordinator_queue, inbox, send_back_out_of_area, send_to_team
    from schemas.cases import CaseActionIn

    await standard_agreements(haarlem)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    member, _ = await make_user(haarlem, "member", OOST)
    coordinator, _ = await make_user(haarlem, "coordinator")
    now = datetime.now(UTC)
    receipt = await signal(haarlem, gp, at=now - timedelta(days=1))
    outside = await signal(
        haarlem, gp, at=now - timedelta(days=1), address={"postcode": "1012AB", "house_number": 1}
    )

    async def teams_of(signal_id: Any) -> set[str | None]:
        async with haarlem.acquire() as conn:
            rows = await conn.fetch(
                "select t.code from obligations o left join teams t on t.id = o.team_id "
                "where o.signal_id = $1",
                signal_id,
            )
        assert rows  # the signal has deadlines
        return {row["code"] for row in rows}

    assert await teams_of(receipt.id) == {OOST}
    assert await teams_of(outside.id) == {None}
    (case,), _ = await inbox(haarlem, member, "open")
    returned = CaseActionIn.model_validate({"action": "return", "reason": "Hoort bij Noord"})
    await act(haarlem, member, case.id, returned.root)
    assert await teams_of(receipt.id) == {None}
    await send_to_team(
        haarlem,
        coordinator,
        receipt.id,
        "SWT-HLM-NOORDOOST",
        stacking_window=timedelta(days=90),
        public_url="https://hub.example",
    )
    assert await teams_of(receipt.id) == {"SWT-HLM-NOORDOOST"}
    rows = await compliance(haarlem, now)
    assert {row["team"] for row in rows} == {"SWT-HLM-NOORDOOST", None}
    assert [q.id for q in await coordinator_queue(haarlem, coordinator)] == [outside.id]
    await send_back_out_of_area(haarlem, coordinator, outside.id)
    async with haarlem.acquire() as conn:
        partners = await conn.fetch("select distinct partner_id from obligations")
    assert [row["partner_id"] for row in partners] == [gp.id]


async def test_manager_page_charts_each_step_in_order_with_axes_and_target(
    client: Any, haarlem: asyncpg.Pool
) -> None:
    import re

    from hub.platform.clock import today
    from tests.support.factories import signed_in

    await standard_agreements(haarlem)
    gp, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisarts Ten Weeks")
    other, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisarts Aan Het Water")
    for weeks_ago in (1, 2, 3):
        await signal(
            haarlem,
            gp,
            at=datetime.now(UTC) - timedelta(weeks=weeks_ago),
            address={"postcode": "2031AA", "house_number": weeks_ago},
        )
    for n in range(6):  # six signals a week ago, every deadline still open: the worst partner
        await signal(
            haarlem,
            other,
            at=datetime.now(UTC) - timedelta(weeks=1, hours=n),
            address={"postcode": "2011AA", "house_number": n + 1},
        )
    manager, _ = await make_user(haarlem, "manager", password="manager-wachtwoord")
    session = await signed_in(haarlem, manager.email, "manager-wachtwoord")
    assert session is not None
    client.session.cookie_jar.update_cookies({"hub_session": session.token})
    response = await client.get("/beheer/terugkoppeling")
    assert response.status == 200
    html = await response.text()
    headings = re.findall(r'<h2 id="stap-[a-z_]+">([^<]+)</h2>', html)
    assert headings == ["1. Ontvangst", "2. Eerste contact", "3. Uitkomst"]  # process order
    assert html.count('class="compliance-chart"') == 3
    assert f"week {today().isocalendar().week} (loopt nog)" in html
    assert "loopt nog</text>" in html  # the running week marked in the chart itself
    assert not re.findall(r"\d{4}-W\d\d", html)  # no ISO week codes on screen
    assert 'stroke-dasharray="8 5"' in html  # the target line
    assert "doel 90%" in html
    assert 'fill="#b00020"' in html  # overdue, drawn
    teams = re.search(r'id="teams-tabel".*?</table>', html, re.S)
    partners = re.search(r'id="partners-tabel".*?</table>', html, re.S)
    assert teams is not None
    assert partners is not None
    order = re.findall(r'<th scope="row" data-label="Partner">([^<]+)</th>', partners.group())
    assert order[0] == "Huisarts Aan Het Water"  # worst first
    by_name = await (await client.get("/beheer/terugkoppeling?partners=naam")).text()
    named = re.search(r'id="partners-tabel".*?</table>', by_name, re.S)
    assert named is not None
    assert (
        re.findall(r'data-label="Partner">([^<]+)<', named.group())[0] == "Huisarts Aan Het Water"
    )
    assert (await client.get("/beheer/terugkoppeling?partners=raar")).status == 404
    assert "de Vries" not in html
    chart = await client.get("/beheer/terugkoppeling?download=grafiek-first_contact")
    assert chart.content_type == "image/svg+xml"
    per_partner = await client.get("/beheer/terugkoppeling?download=per-partner")
    body = (await per_partner.read()).decode("utf-8-sig")
    assert body.splitlines()[0] == "Partner;Termijnen;Op tijd;Te laat;Verlopen, nog open;Op tijd %"


async def test_dead_letters_are_visible_to_an_administrator_and_retried(
    client: Any, haarlem: asyncpg.Pool
) -> None:
    from tests.support.factories import make_admin_token
    from tests.support.http import bearer, problem

    gp, gp_token = await make_partner(haarlem, PartnerKind.GP)
    async with haarlem.acquire() as conn:
        await give_webhook(conn, gp.id, f"http://127.0.0.1:{free_port()}/", "s")
        await signal(haarlem, gp, at=datetime.now(UTC))
        await conn.execute(
            "update outbox set dead_at = now(), attempts = 8 where channel = 'webhook'"
        )
    admin = await make_admin_token(haarlem)
    listed = await (await client.get("/api/v1/admin/deliveries", headers=bearer(admin))).json()
    (dead,) = listed["dead"]
    assert dead["partner"] == gp.name
    await problem(await client.get("/api/v1/admin/deliveries", headers=bearer(gp_token)), 403)
    retried = await client.post(
        f"/api/v1/admin/deliveries/{dead['id']}/retry", headers=bearer(admin)
    )
    assert retried.status == 202
    await problem(
        await client.post(f"/api/v1/admin/deliveries/{dead['id']}/retry", headers=bearer(admin)),
        404,
    )


async def test_administrator_adds_an_agreement_on_the_page(
    client: Any, haarlem: asyncpg.Pool
) -> None:
    import re

    from tests.support.factories import signed_in

    admin_user, _ = await make_user(haarlem, "admin", password="beheer-wachtwoord")
    session = await signed_in(haarlem, admin_user.email, "beheer-wachtwoord")
    assert session is not None
    client.session.cookie_jar.update_cookies({"hub_session": session.token})
    page = await (await client.get("/beheer/afspraken")).text()
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    form = {
        "csrf_token": token.group(1),
        "partner_kind": "police",
        "team": OOST,
        "step": "first_contact",
        "days": "3",
    }
    added = await client.post("/beheer/afspraken", data=form, allow_redirects=False)
    assert added.status == 303
    bad = await client.post("/beheer/afspraken", data={**form, "days": "veel"})
    assert bad.status == 422
    forged = await client.post("/beheer/afspraken", data={**form, "csrf_token": "x"})
    assert forged.status == 403
    async with haarlem.acquire() as conn:
        rows = await conn.fetch("select partner_kind, step, working_days from feedback_agreements")
    assert [tuple(row) for row in rows] == [("police", "first_contact", 3)]
    listed = await (await client.get("/beheer/afspraken")).text()
    assert "3 werkdagen" in listed
