from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any
from uuid import UUID
from zoneinfo import ZoneInfo

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.feedback.agreements import add_agreement
from hub.intake.service import submit_signal
from hub.platform.errors import Forbidden, NotFound
from schemas.cases import Outcome
from schemas.signals import PartnerKind, SignalIn
from tests.support.factories import ADDRESS, OOST, make_partner, make_signal, make_user, signal_from
from tests.support.http import act, bearer, cases_of, post, problem
from tests.support.outbox import queued_mail

Client = TestClient[Any, Any]


async def one_case(
    client: Client, pool: asyncpg.Pool, role: str = "member"
) -> tuple[str, dict[str, Any]]:
    """A member (or lead) of team Oost with one new case from a GP: their token and the case."""
    gp, _ = await make_partner(pool, PartnerKind.GP)
    _, token = await make_user(pool, role, OOST)
    await signal_from(pool, gp)
    (case,) = await cases_of(client, token)
    return token, case


async def test_signals_about_one_household_join_one_case(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    await signal_from(haarlem, gp)
    same = {**ADDRESS, "postcode": "2031aa", "house_letter": "B", "addition": "BIS"}
    await signal_from(haarlem, gp, address=same, description="Tweede zorg.")
    await signal_from(haarlem, gp, address={**ADDRESS, "house_letter": "C"})
    cases = await cases_of(client, member)
    assert sorted(case["signal_count"] for case in cases) == [1, 2]
    assert all(case["team"]["code"] == OOST for case in cases)


async def test_several_partners_within_the_window_stack(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    police, _ = await make_partner(haarlem, PartnerKind.POLICE)
    _, member = await make_user(haarlem, "member", OOST)
    other = {"postcode": "2031AB", "house_number": 1}
    old = datetime.now(UTC) - timedelta(days=120)
    await signal_from(haarlem, gp)
    await signal_from(haarlem, gp, description="Nog een zorg.")  # one partner twice: no stack
    await signal_from(haarlem, police, address=other, external_ref="OLD-1")
    await submit_signal(
        haarlem,
        housing,
        SignalIn.model_validate(make_signal(kind="rent_arrears", address=other)),
        received_at=old,
    )  # outside the 90 days
    cases = {c["household"]["postcode"]: c for c in await cases_of(client, member)}
    assert cases["2031AA"]["stacked"] is False
    assert cases["2031AB"]["stacked"] is False
    await signal_from(haarlem, housing)
    cases = {c["household"]["postcode"]: c for c in await cases_of(client, member)}
    assert cases["2031AA"]["stacked"] is True
    first = (await cases_of(client, member))[0]
    assert first["household"]["postcode"] == "2031AA"  # stacked cases rise


async def test_a_case_from_new_to_closed(client: Client, haarlem: asyncpg.Pool) -> None:
    gp, gp_token = await make_partner(haarlem, PartnerKind.GP)
    member, token = await make_user(haarlem, "member", OOST)
    submitted = await signal_from(haarlem, gp)
    (case,) = await cases_of(client, token, "new")

    taken = await act(client, token, case["id"], action="take")
    assert taken.status == 200, await taken.text()
    assert (await taken.json())["director"] == member.email
    assert await cases_of(client, token, "new") == []
    assert [c["id"] for c in await cases_of(client, token, "mine")] == [case["id"]]

    tried = await (
        await act(client, token, case["id"], action="contact_attempt", reached=False)
    ).json()
    assert tried["status"] == "contacting"
    reached = await (
        await act(client, token, case["id"], action="contact_attempt", reached=True)
    ).json()
    assert reached["status"] == "reached"
    closed = await (
        await act(client, token, case["id"], action="close", outcome="help_started")
    ).json()
    assert closed["status"] == "closed"
    assert closed["outcome"] == "help_started"
    assert [e["kind"] for e in closed["timeline"]] == [
        "received",
        "routed",
        "take",
        "contact_attempt",
        "contact_attempt",
        "close",
    ]
    assert closed["timeline"][2]["actor"] == member.email
    assert [c["id"] for c in await cases_of(client, token, "closed")] == [case["id"]]

    # The partner sees the step, never the team's work.
    seen = await client.get(f"/api/v1/signals/{submitted.receipt.id}", headers=bearer(gp_token))
    assert (await seen.json())["status"] == "closed"

    # A new signal about the household after closing opens a new case.
    await signal_from(haarlem, gp, description="Weer zorgen.")
    assert len(await cases_of(client, token, "new")) == 1


async def test_refused_actions_answer_409_or_403(client: Client, haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    _, colleague = await make_user(haarlem, "member", OOST)
    await signal_from(haarlem, gp)
    (case,) = await cases_of(client, member)
    await problem(await act(client, member, case["id"], action="close", outcome="other"), 409)
    await problem(await act(client, member, case["id"], action="assign", user="x@y.z"), 403)
    assert (await act(client, member, case["id"], action="take")).status == 200
    await problem(await act(client, colleague, case["id"], action="take"), 409)
    await problem(
        await act(client, colleague, case["id"], action="contact_attempt", reached=True), 403
    )
    found = await problem(await act(client, member, case["id"], action="dance"), 422)
    assert found["errors"][0]["loc"] == ["action"]
    wrong = await problem(
        await act(client, member, case["id"], action="close", outcome="great"), 422
    )
    assert wrong["errors"][0]["loc"] == ["outcome"]


async def test_an_assignment_to_an_address_with_a_nul_is_refused(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    lead, case = await one_case(client, haarlem, "lead")
    await problem(await act(client, lead, case["id"], action="assign", user="ab\x00c@x"), 422)


async def test_lead_assigns_to_a_colleague_of_the_team_only(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, lead = await make_user(haarlem, "lead", OOST)
    colleague, _ = await make_user(haarlem, "member", OOST)
    stranger, _ = await make_user(haarlem, "member", "SWT-HLM-ZUID")
    await signal_from(haarlem, gp)
    (case,) = await cases_of(client, lead)
    await problem(await act(client, lead, case["id"], action="assign", user=stranger.email), 422)
    assigned = await act(client, lead, case["id"], action="assign", user=colleague.email)
    assert (await assigned.json())["director"] == colleague.email


async def test_other_teams_and_roles_cannot_see_a_case(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, gp_token = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    _, stranger = await make_user(haarlem, "lead", "SWT-HLM-ZUID")
    _, coordinator = await make_user(haarlem, "coordinator")
    _, manager = await make_user(haarlem, "manager")
    await signal_from(haarlem, gp)
    (case,) = await cases_of(client, member)
    for token in (stranger, coordinator, manager):
        await problem(await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(token)), 404)
        await problem(await act(client, token, case["id"], action="take"), 404)
    assert await cases_of(client, stranger) == []
    await problem(await client.get("/api/v1/cases", headers=bearer(gp_token)), 403)
    await problem(await client.get("/api/v1/cases"), 401)
    await problem(await client.get("/api/v1/cases?tab=everything", headers=bearer(member)), 422)


async def test_returned_signal_goes_to_the_coordinator_and_on_to_another_team(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    from hub.cases.service import coordinator_queue, send_back_out_of_area, send_to_team

    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    _, other_team = await make_user(haarlem, "member", "SWT-HLM-NOORDOOST")
    coordinator, _ = await make_user(haarlem, "coordinator")
    submitted = await signal_from(haarlem, gp)
    (case,) = await cases_of(client, member)
    returned = await act(client, member, case["id"], action="return", reason="Hoort bij Noord")
    assert (await returned.json())["status"] == "returned"

    queued = await coordinator_queue(haarlem, coordinator)
    assert [q.id for q in queued] == [submitted.receipt.id]
    assert queued[0].returned_reason == "Hoort bij Noord"
    assert queued[0].returned_by == "Sociaal Wijkteam Oost"
    assert queued[0].returned_by_code == OOST  # marked in the coordinator's list of teams
    with pytest.raises(NotFound):  # a rule covers its address: not "outside our area"
        await send_back_out_of_area(haarlem, coordinator, submitted.receipt.id)

    await send_to_team(
        haarlem,
        coordinator,
        submitted.receipt.id,
        "SWT-HLM-NOORDOOST",
        stacking_window=timedelta(days=90),
        public_url="https://hub.example",
    )
    assert await coordinator_queue(haarlem, coordinator) == []
    (moved,) = await cases_of(client, other_team, "new")
    assert moved["signal_count"] == 1
    assert await cases_of(client, member, "open") == []


async def test_unrouted_signal_is_explained_in_the_queue(haarlem: asyncpg.Pool) -> None:
    from hub.cases.service import coordinator_queue

    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    coordinator, _ = await make_user(haarlem, "coordinator")
    await signal_from(haarlem, gp, address={"postcode": "2116AB", "house_number": 3})
    (queued,) = await coordinator_queue(haarlem, coordinator)
    assert (queued.status, queued.returned_by) == ("unrouted", None)
    assert queued.household.postcode == "2116AB"
    assert (queued.waiting_days, queued.overdue) == (0, False)


async def test_the_queue_counts_working_days_and_marks_past_two(haarlem: asyncpg.Pool) -> None:
    """Waiting is counted in working days (weekends and holidays do not count); past two
    working days a signal is marked, and what waits longest comes first."""
    from hub.cases.service import coordinator_queue
    from hub.feedback.workdays import WorkingDays

    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    coordinator, _ = await make_user(haarlem, "coordinator")
    days = WorkingDays()
    today = datetime.now(ZoneInfo("Europe/Amsterdam")).date()
    four_back = today
    for _ in range(4):
        four_back = days.previous(four_back)
    moments = (
        datetime.now(UTC),
        datetime.combine(four_back, time(12), ZoneInfo("Europe/Amsterdam")),
    )
    for house, moment in zip((3, 5), moments, strict=True):
        await submit_signal(
            haarlem,
            gp,
            SignalIn.model_validate(
                make_signal(address={"postcode": "2116AB", "house_number": house})
            ),
            received_at=moment,
        )
    older, newer = await coordinator_queue(haarlem, coordinator)
    # Counted back from a working day, four working days back is four days of waiting; counted
    # back from a weekend day, Friday is the first of the four, so three have passed since.
    waited = 4 if days.is_working_day(today) else 3
    assert (older.household.house_number, older.waiting_days, older.overdue) == (5, waited, True)
    assert (newer.household.house_number, newer.waiting_days, newer.overdue) == (3, 0, False)


async def test_decline_closes_the_case_for_its_signals(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, gp_token = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    submitted = await signal_from(haarlem, gp)
    (case,) = await cases_of(client, member)
    declined = await act(client, member, case["id"], action="decline", reason="Geen wijkteamtaak")
    assert (await declined.json())["status"] == "declined"
    seen = await client.get(f"/api/v1/signals/{submitted.receipt.id}", headers=bearer(gp_token))
    assert (await seen.json())["status"] == "declined"


async def test_new_signal_on_a_taken_case_tells_the_director(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, police_token = await make_partner(haarlem, PartnerKind.POLICE)
    director, token = await make_user(haarlem, "member", OOST)
    async with haarlem.acquire() as conn:
        await conn.execute("update teams set email = 'oost@example.invalid' where code = $1", OOST)
    await signal_from(haarlem, gp)
    (case,) = await cases_of(client, token)
    await act(client, token, case["id"], action="take")
    response = await post(client, police_token, make_signal(kind="care_report", address=ADDRESS))
    # It joined a case being worked on, yet the police are told what a new household gets.
    assert (await response.json())["status"] == "routed"
    mails = await queued_mail(haarlem)
    assert [m["recipient"] for m in mails] == ["oost@example.invalid", director.email]
    for mail in mails:
        assert case["id"] in mail["body"]
        assert "de Vries" not in mail["body"]
        assert "2031" not in mail["body"]


async def test_session_cookie_needs_the_csrf_header_for_actions(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    from tests.support.factories import signed_in

    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    member, _ = await make_user(haarlem, "member", OOST, password="een-wachtwoord")
    await signal_from(haarlem, gp)
    session = await signed_in(haarlem, member.email, "een-wachtwoord")
    assert session is not None
    client.session.cookie_jar.update_cookies({"hub_session": session.token})
    listed = await client.get("/api/v1/cases")
    case_id = (await listed.json())["items"][0]["id"]
    await problem(
        await client.post(f"/api/v1/cases/{case_id}/actions", json={"action": "take"}),
        403,
    )
    taken = await client.post(
        f"/api/v1/cases/{case_id}/actions",
        json={"action": "take"},
        headers={"X-CSRF-Token": session.csrf_token},
    )
    assert taken.status == 200


@pytest.mark.parametrize("tab", ["new", "mine", "open", "closed"])
async def test_counts_match_the_tabs(client: Client, haarlem: asyncpg.Pool, tab: str) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    await signal_from(haarlem, gp)
    await signal_from(haarlem, gp, address={"postcode": "2031AB", "house_number": 2})
    (first, _second) = await cases_of(client, member)
    await act(client, member, first["id"], action="take")
    await act(client, member, first["id"], action="contact_attempt", reached=True)
    await act(client, member, first["id"], action="close", outcome="no_help_needed")
    counts = await (await client.get("/api/v1/cases/counts", headers=bearer(member))).json()
    assert counts[tab] == len(await cases_of(client, member, tab))


async def test_the_inbox_puts_what_is_due_first(client: Client, haarlem: asyncpg.Pool) -> None:
    """A deadline today or past first, then urgent, then the nearest deadline, then the rest;
    each case says which step its next deadline is for, and by which partners and kinds."""
    await add_agreement(haarlem, step="first_contact", working_days=3)
    gp, _ = await make_partner(haarlem, PartnerKind.GP, name="Praktijk Oost")
    _, member = await make_user(haarlem, "member", OOST)
    places = {
        "old": {"postcode": "2031AA", "house_number": 11},
        "urgent": {"postcode": "2031AB", "house_number": 1},
        "soon": {"postcode": "2032AB", "house_number": 4},
        "overdue": {"postcode": "2031AA", "house_number": 13},
    }
    for name, place in places.items():
        await signal_from(
            haarlem, gp, address=place, urgency="high" if name == "urgent" else "normal"
        )
    due = {  # days from today; None: its deadline was met
        "old": None,
        "urgent": 10,
        "soon": 2,
        "overdue": -1,
    }
    case_of = {
        (c["household"]["postcode"], c["household"]["house_number"]): c["id"]
        for c in await cases_of(client, member)
    }
    async with haarlem.acquire() as conn:
        for name, days in due.items():
            await conn.execute(
                "update obligations o set due_on = current_date + $2::int, "
                "met_at = case when $3 then now() end from signals s "
                "where o.signal_id = s.id and s.case_id = $1",
                case_of[(places[name]["postcode"], places[name]["house_number"])],
                days or 0,
                days is None,
            )
    cases = await cases_of(client, member)
    order = {(c["household"]["postcode"], c["household"]["house_number"]): c for c in cases}
    listed = [(c["household"]["postcode"], c["household"]["house_number"]) for c in cases]
    assert listed == [
        (places[name]["postcode"], places[name]["house_number"])
        for name in ("overdue", "urgent", "soon", "old")
    ]
    overdue = order[("2031AA", 13)]
    assert overdue["feedback_step"] == "first_contact"
    assert overdue["kinds"] == ["care_concern"]
    assert overdue["partners"] == ["Praktijk Oost"]
    assert order[("2031AA", 11)]["feedback_due"] is None


async def test_a_case_closed_days_ago_still_counts_for_stacking_and_is_linked(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """One household, one plan: a partner's signal the day after another partner's case was
    closed opens a new case that is marked as signalled by several partners, and links the
    closed one."""
    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    await signal_from(haarlem, housing)
    (closed,) = await cases_of(client, member)
    await act(client, member, closed["id"], action="take")
    await act(client, member, closed["id"], action="close", outcome="not_reached")
    await signal_from(haarlem, gp)
    (new,) = await cases_of(client, member)
    assert new["id"] != closed["id"]
    assert new["stacked"] is True
    view = await (await client.get(f"/api/v1/cases/{new['id']}", headers=bearer(member))).json()
    assert [(e["id"], e["outcome"]) for e in view["earlier"]] == [(closed["id"], "not_reached")]


async def test_notes_are_sealed_in_the_timeline_with_their_author(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """A line on a contact attempt, on closing, or on its own: in the team's timeline with who
    wrote it; sealed in the database; never in what a partner reads."""
    _, partner = await make_partner(haarlem, PartnerKind.GP, name="Praktijk Noot")
    worker, member = await make_user(haarlem, "member", OOST, name="Anouk Brouwer")
    sent = await (await post(client, partner, make_signal(address=ADDRESS))).json()
    (case,) = await cases_of(client, member)
    await act(client, member, case["id"], action="take")
    lines = ["Voicemail ingesproken, morgen opnieuw.", "Buurvrouw weet meer.", "Budgetcoach."]
    await act(client, member, case["id"], action="contact_attempt", reached=False, note=lines[0])
    await act(client, member, case["id"], action="note", note=lines[1])
    closed = await act(
        client, member, case["id"], action="close", outcome="help_started", note=lines[2]
    )
    view = await closed.json()
    noted = [(e["kind"], e["detail"].get("reason"), e["actor_name"]) for e in view["timeline"]]
    assert [n for n in noted if n[1]] == [
        ("contact_attempt", lines[0], "Anouk Brouwer"),
        ("note", lines[1], "Anouk Brouwer"),
        ("close", lines[2], "Anouk Brouwer"),
    ]
    assert view["status"] == "closed"  # the note on its own changed nothing
    assert view["timeline"][0]["actor_name"] == "Praktijk Noot"  # who sent it, by name
    async with haarlem.acquire() as conn:
        stored = " ".join(str(r["data"]) for r in await conn.fetch("select data from events"))
    assert not any(line in stored for line in lines)
    told = await (await client.get(f"/api/v1/signals/{sent['id']}", headers=bearer(partner))).text()
    assert not any(line in told for line in lines)
    assert worker.email not in told
    empty = await act(client, member, case["id"], action="note", note="   ")
    await problem(empty, 422)


async def test_a_lead_reopens_a_case_within_thirty_days(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    _, lead = await make_user(haarlem, "lead", OOST)
    await signal_from(haarlem, gp)
    (case,) = await cases_of(client, member)
    await act(client, member, case["id"], action="take")
    await act(client, member, case["id"], action="close", outcome="no_help_needed")
    assert (await act(client, member, case["id"], action="reopen")).status == 403
    reopened = await act(client, lead, case["id"], action="reopen", note="Toch zorgen.")
    assert reopened.status == 200
    body = await reopened.json()
    assert (body["status"], body["outcome"], body["closed_at"]) == ("accepted", None, None)
    assert body["director"] is not None  # its director picks it up again
    await act(client, member, case["id"], action="close", outcome="help_started")
    async with haarlem.acquire() as conn:
        await conn.execute(
            "update cases set closed_at = now() - interval '31 days' where id = $1", case["id"]
        )
    await problem(await act(client, lead, case["id"], action="reopen"), 409)


async def test_reopening_never_makes_two_open_cases_of_a_household(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    _, lead = await make_user(haarlem, "lead", OOST)
    await signal_from(haarlem, gp)
    (first,) = await cases_of(client, lead)
    await act(client, lead, first["id"], action="decline", reason="Geen zorgen gevonden")
    await signal_from(haarlem, gp, description="Nieuwe zorg.")  # a new case for the household
    refused = await act(client, lead, first["id"], action="reopen")
    await problem(refused, 409)


async def test_an_address_outside_every_area_goes_back_to_its_partner(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """The coordinator gives a signal about 1012 AB (Amsterdam) back: the partner reads why, as
    its outcome kept; the queue is empty; no personal data of it is kept."""
    from hub.cases.service import coordinator_queue, send_back_out_of_area

    await add_agreement(haarlem, step="outcome", working_days=10)
    await add_agreement(haarlem, step="first_contact", working_days=3)
    _, partner = await make_partner(haarlem, PartnerKind.GP)
    coordinator, _ = await make_user(haarlem, "coordinator")
    member, _ = await make_user(haarlem, "member", OOST)
    body = make_signal(
        address={"postcode": "1012AB", "house_number": 5}, person={"name": "J. Amsterdammer"}
    )
    sent = await (await post(client, partner, body)).json()
    assert sent["status"] == "unrouted"
    with pytest.raises(Forbidden):
        await send_back_out_of_area(haarlem, member, UUID(sent["id"]))
    await send_back_out_of_area(haarlem, coordinator, UUID(sent["id"]))
    assert await coordinator_queue(haarlem, coordinator) == []
    with pytest.raises(NotFound):  # once only
        await send_back_out_of_area(haarlem, coordinator, UUID(sent["id"]))

    told = await (await client.get(f"/api/v1/signals/{sent['id']}", headers=bearer(partner))).json()
    assert told["status"] == "out_of_area"
    steps = {step["step"]: step for step in told["feedback"]}
    assert steps["outcome"]["met_at"] is not None
    assert steps["outcome"]["late"] is False
    assert "first_contact" not in steps  # nobody will make it: no longer promised, never "done"
    async with haarlem.acquire() as conn:
        row = await conn.fetchrow(
            "select s.personal, s.pseudonymised_at, h.address from signals s "
            "join households h on h.id = s.household_id where s.id = $1",
            UUID(sent["id"]),
        )
    assert row is not None
    assert (row["personal"], row["address"]) == (None, None)
    assert row["pseudonymised_at"] is not None


@pytest.mark.parametrize("outcome", [outcome.value for outcome in Outcome])
async def test_a_case_closes_with_every_outcome_a_page_offers(
    client: Client, haarlem: asyncpg.Pool, outcome: str
) -> None:
    member, case = await one_case(client, haarlem)
    await act(client, member, case["id"], action="take")
    closed = await act(client, member, case["id"], action="close", outcome=outcome)
    assert closed.status == 200, await closed.text()
    assert (await closed.json())["outcome"] == outcome


async def test_a_person_keeps_at_most_twenty_work_queues(haarlem: asyncpg.Pool) -> None:
    from hub.cases.service import MAX_WORK_QUEUES, TooMany, save_work_queue, work_queues
    from schemas.cases import CaseFilter

    member, _ = await make_user(haarlem, "member", OOST)
    for number in range(MAX_WORK_QUEUES):
        await save_work_queue(haarlem, member, f"Lijst {number}", "open", CaseFilter())
    with pytest.raises(TooMany):
        await save_work_queue(haarlem, member, "Nog een", "open", CaseFilter())
    assert len(await work_queues(haarlem, member)) == MAX_WORK_QUEUES


async def test_the_case_list_takes_the_pages_filters(client: Client, haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP)
    housing, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    _, member = await make_user(haarlem, "member", OOST)
    await signal_from(haarlem, gp, address={"postcode": "2031AA", "house_number": 1})
    await signal_from(haarlem, housing, address={"postcode": "2031AA", "house_number": 3})
    rent = await client.get(
        "/api/v1/cases", params={"kind": "rent_arrears"}, headers=bearer(member)
    )
    assert [c["household"]["house_number"] for c in (await rent.json())["items"]] == [3]
    by_gp = await client.get(
        "/api/v1/cases", params={"partner": str(gp.id)}, headers=bearer(member)
    )
    assert [c["household"]["house_number"] for c in (await by_gp.json())["items"]] == [1]
    mine = await client.get("/api/v1/cases", params={"director": "me"}, headers=bearer(member))
    assert (await mine.json())["items"] == []
    wrong = await client.get("/api/v1/cases", params={"kind": "poison"}, headers=bearer(member))
    body = await problem(wrong, 422)
    assert "kind" in str(body)
