"""Early-debt signalling end to end: a collection system's monthly list by the national field
names, a creditor's own signal, the team's contact attempts and national end result, what the
creditor is told back, and the DDAS delivery for CBS validated against the published schema."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema
from aiohttp.test_utils import TestClient

from hub.feedback.agreements import add_agreement
from hub.feedback.workdays import WorkingDays
from hub.platform.clock import local_day
from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind
from tests.support.batches import finished, upload
from tests.support.factories import OOST, make_admin_token, make_partner, make_user
from tests.support.http import act, bearer, cases_of, problem
from tests.support.servers import give_webhook

Client = TestClient[Any, Any]
SCHEMA = json.loads(
    (Path(__file__).parents[1] / "data" / "ddas" / "json_schema_Uitwisselmodel.json").read_text()
)
CUT_OFF = date.today() + timedelta(days=10)  # the supply ends in ten days
# A collection system's export (RIS-like), with the national field names as its header.
LIST = (
    "ID;signaalpartner;bedrag;ontstaansdatum;signaaldatum;crisissignaal;warmeOverdracht;"
    "einddatum levering;postcode;huisnummer;huisnummertoevoeging\r\n"
    "VS-1;Energie;412,50;01-09-2026;20-11-2026;ja;nee;"
    f"{CUT_OFF.strftime('%d-%m-%Y')};2031 AA;7;\r\n"
    "VS-2;Zorg;1.180,00;01-08-2026;21-11-2026;nee;ja;;2034AB;12;A\r\n"
    "VS-3;Waterbedrijf;99;;21-11-2026;nee;nee;;2031AA;8;\r\n"
).encode()


def validate(document: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(
        SCHEMA, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    ).validate(document)


async def test_a_collection_systems_list_becomes_early_debt_signals(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await add_agreement(haarlem, step="first_contact", working_days=20)
    _, token = await make_partner(haarlem, PartnerKind.COLLECTION_SYSTEM, name="RIS Haarlem")
    accepted = await (await upload(client, token, LIST)).json()
    view = await finished(client, token, accepted["id"])
    assert view["profile"] == "early_debt"
    assert view["counts"]["accepted"] == 2
    (refused,) = view["problems"]
    assert (refused["line"], refused["column"]) == (4, "signaalpartner")  # not a national kind
    async with haarlem.acquire() as conn:
        rows = await conn.fetch(
            """select s.id, s.urgency, s.kind, s.personal, s.household_id, h.address,
                      o.due_on as first_contact_due, s.received_at
               from signals s join households h on h.id = s.household_id
               left join obligations o on o.signal_id = s.id and o.step = 'first_contact'
               order by s.received_at, s.external_ref"""
        )
    signals = {row["postcode"]: row for row in map(unsealed, rows)}
    crisis, handover = signals["2031AA"], signals["2034AB"]
    assert crisis["kind"] == "payment_arrears"
    assert crisis["urgency"] == "high"  # a cut-off announced: urgent
    assert crisis["early_debt"] == {
        "creditor": "energy",
        "signalled_on": "2026-11-20",
        "crisis": True,
        "ends_on": CUT_OFF.isoformat(),
        "warm_handover": False,
    }
    assert str(crisis["arrears_amount"]) == "412.50"
    # First contact before the supply ends, sooner than the agreement's twenty working days.
    days = WorkingDays()
    assert crisis["first_contact_due"] == days.previous(CUT_OFF)
    assert handover["first_contact_due"] == days.add(local_day(handover["received_at"]), 20)
    assert handover["urgency"] == "normal"
    assert handover["early_debt"]["creditor"] == "health_insurer"
    assert handover["early_debt"]["warm_handover"] is True


async def test_creditors_signal_their_own_arrears_and_collection_systems_name_them(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, energy = await make_partner(haarlem, PartnerKind.ENERGY, name="Stroom BV")
    _, system = await make_partner(haarlem, PartnerKind.COLLECTION_SYSTEM)
    body = {
        "external_ref": "E-1",
        "kind": "payment_arrears",
        "address": {"postcode": "2031AA", "house_number": 3},
        "resident_informed": {"informed": False, "reason": "vroegsignaal zonder toestemming"},
        "description": "Achterstand energie.",
        "arrears": {"amount_eur": "250.00", "since": "2026-09-01", "crisis": True},
    }
    created = await client.post("/api/v1/signals", json=body, headers=bearer(energy))
    assert created.status in (201, 202), await created.text()
    other = {**body, "external_ref": "E-2", "arrears": {"amount_eur": "10", "creditor": "water"}}
    refused = await client.post("/api/v1/signals", json=other, headers=bearer(energy))
    found = await problem(refused, 422)
    assert found["errors"][0]["loc"] == ["arrears", "creditor"]
    nameless = {**body, "external_ref": "S-1"}
    found = await problem(
        await client.post("/api/v1/signals", json=nameless, headers=bearer(system)), 422
    )
    assert found["errors"][0]["loc"] == ["arrears", "creditor"]
    missing = {k: v for k, v in body.items() if k != "arrears"} | {"external_ref": "E-3"}
    found = await problem(
        await client.post("/api/v1/signals", json=missing, headers=bearer(energy)), 422
    )
    assert found["errors"][0]["loc"] == ["arrears"]


async def test_the_team_records_attempts_and_a_national_result_the_creditor_hears_little(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    energy, energy_token = await make_partner(haarlem, PartnerKind.ENERGY, name="Stroom BV")
    async with haarlem.acquire() as conn:
        await give_webhook(conn, energy.id, "http://127.0.0.1:9/", "geheim")
    _, member = await make_user(haarlem, "member", OOST)
    _, admin = await make_user(haarlem, "admin")  # a person: the machine token reads no one
    body = {
        "external_ref": "E-10",
        "kind": "payment_arrears",
        "address": {"postcode": "2031AA", "house_number": 5, "house_letter": "B"},
        "resident_informed": {"informed": False, "reason": "vroegsignaal"},
        "description": "Achterstand energie.",
        "arrears": {"amount_eur": "1234.49", "since": "2026-08-15", "signalled_on": "2026-11-02"},
    }
    assert (await client.post("/api/v1/signals", json=body, headers=bearer(energy_token))).ok
    (case,) = await cases_of(client, member)
    assert (await act(client, member, case["id"], action="take")).status == 200
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    tried = await act(
        client,
        member,
        case["id"],
        action="contact_attempt",
        reached=False,
        how="phone",
        on=yesterday,
        part_of_day="evening",
    )
    assert tried.status == 200, await tried.text()
    future = (date.today() + timedelta(days=2)).isoformat()
    await problem(
        await act(client, member, case["id"], action="contact_attempt", reached=True, on=future),
        422,
    )
    reached = await act(
        client, member, case["id"], action="contact_attempt", reached=True, how="home_visit"
    )
    assert reached.status == 200
    closed = await act(
        client,
        member,
        case["id"],
        action="close",
        early_debt_result="follow_up_financial",
    )
    assert closed.status == 200, await closed.text()
    assert (await closed.json())["outcome"] == "help_started"
    async with haarlem.acquire() as conn:
        told = await conn.fetch(
            "select payload from outbox where channel = 'webhook' and topic = 'outcome'"
        )
    (payload,) = [row["payload"] for row in told]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    assert payload["outcome"] is None  # not the help the resident got
    assert payload["early_debt_status"] == "taken"
    assert payload["early_debt_status_text"] == "Opgepakt"

    today = date.today()
    response = await client.get(
        "/api/v1/reports/ddas",
        params={"from": (today - timedelta(days=3)).isoformat(), "to": today.isoformat()},
        headers=bearer(admin),
    )
    assert response.status == 200, await response.text()
    document = await response.json()
    validate(document)
    (delivery,) = document["leveringen"]
    assert delivery["gemeentecode"] == "0392"
    (signal,) = delivery["vroegsignalen"]
    assert signal["bedrag"] == 1234
    assert signal["signaalpartner"] == {"type": "Energie"}
    assert signal["client"] == {
        "postcode": "2031AA",
        "huisnummer": "5",
        "huisnummertoevoeging": "B",
    }
    assert signal["status"] == "Opgepakt"
    assert (signal["ontstaansdatum"], signal["signaaldatum"]) == ("2026-08-15", "2026-11-02")
    (zaak,) = delivery["vroegsignaalzaken"]
    assert zaak["resultaat"] == "Vervolghulp en/of verwijzing financieel"
    assert zaak["vroegsignalen"] == [{"ID": signal["ID"]}]
    assert zaak["datumOpgepakt"] == today.isoformat()
    assert zaak["contactpogingen"] == [
        {"soort": "Telefoon", "bereikt": False, "datum": yesterday, "dagdeel": "Avond"},
        {"soort": "Huisbezoek", "bereikt": True, "datum": today.isoformat()},
    ]
    async with haarlem.acquire() as conn:
        logged = await conn.fetchval("select count(*) from access_log where action = 'ddas_export'")
    assert logged == 1  # reading residents' addresses for CBS is in the access log
    await problem(
        await client.get(
            "/api/v1/reports/ddas",
            params={"from": today.isoformat(), "to": today.isoformat()},
            headers=bearer(member),
        ),
        403,
    )
    await problem(
        await client.get(
            "/api/v1/reports/ddas",
            params={"from": "gisteren", "to": today.isoformat()},
            headers=bearer(admin),
        ),
        422,
    )


async def test_a_delivery_for_a_month_of_many_signals_validates(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.COLLECTION_SYSTEM)
    kinds = ["Energie", "Zorg", "Water", "Huur", "DUO", "CAK Zorgverzekeringen", "Belastingdienst"]
    rows = [
        f"M-{n};{kinds[n % len(kinds)]};{100 + n},00;01-10-2026;15-11-2026;"
        f"{'ja' if n % 5 == 0 else 'nee'};nee;;2031AA;{n + 1};"
        for n in range(40)
    ]
    data = (
        "ID;signaalpartner;bedrag;ontstaansdatum;signaaldatum;crisissignaal;warmeOverdracht;"
        "einddatum levering;postcode;huisnummer;huisnummertoevoeging\r\n"
        + "\r\n".join(rows)
        + "\r\n"
    ).encode()
    accepted = await (await upload(client, token, data)).json()
    assert (await finished(client, token, accepted["id"]))["counts"]["accepted"] == 40
    # A housing corporation's own rent-arrears list: early-debt signals of the kind "Huur".
    _, corporation = await make_partner(haarlem, PartnerKind.HOUSING)
    rent = b"Referentie;Postcode;Huisnummer;Achterstand\r\nHV-1;2031AA;90;1.234,56\r\n"
    taken = await (await upload(client, corporation, rent)).json()
    assert (await finished(client, corporation, taken["id"]))["counts"]["accepted"] == 1
    _, admin = await make_user(haarlem, "admin")  # a person: the machine token reads no one
    today = datetime.now(UTC).date()
    document = await (
        await client.get(
            "/api/v1/reports/ddas",
            params={
                "from": (today - timedelta(days=31)).isoformat(),
                "to": today.isoformat(),
                "municipality": "GM0392",
            },
            headers=bearer(admin),
        )
    ).json()
    validate(document)
    (delivery,) = document["leveringen"]
    assert len(delivery["vroegsignalen"]) == 41
    (huur,) = [s for s in delivery["vroegsignalen"] if s["client"]["huisnummer"] == "90"]
    assert (huur["bedrag"], huur["signaalpartner"]["type"]) == (1235, "Huur")
    assert {s["status"] for s in delivery["vroegsignalen"]} == {"Nog niet opgepakt"}
    assert sum(s["crisissignaal"] for s in delivery["vroegsignalen"]) == 8
    assert len(delivery["vroegsignaalzaken"]) == 41
    nowhere = await (
        await client.get(
            "/api/v1/reports/ddas",
            params={"from": today.isoformat(), "to": today.isoformat(), "municipality": "0473"},
            headers=bearer(admin),
        )
    ).json()
    validate(nowhere)
    assert "leveringen" not in nowhere


async def test_what_the_probe_found_is_refused_or_told_right(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """A hostile tester's findings: each answered as it should be now."""
    machine = await make_admin_token(haarlem)
    _, admin = await make_user(haarlem, "admin")
    today = date.today().isoformat()
    # The machine admin token reads no resident's data, DDAS included.
    await problem(
        await client.get(
            "/api/v1/reports/ddas", params={"from": today, "to": today}, headers=bearer(machine)
        ),
        403,
    )
    for far in ("0001-01-01", "9999-12-31"):
        found = await problem(
            await client.get(
                "/api/v1/reports/ddas", params={"from": far, "to": far}, headers=bearer(admin)
            ),
            422,
        )
        assert found["errors"][0]["loc"] == ["query", "from"]
    # Implausible early-debt dates and odd amounts are refused with the field named, not a 500.
    energy, energy_token = await make_partner(haarlem, PartnerKind.ENERGY)
    base = {
        "external_ref": "P-1",
        "kind": "payment_arrears",
        "address": {"postcode": "2031AA", "house_number": 60},
        "resident_informed": {"informed": False, "reason": "vroegsignaal"},
        "description": "Achterstand.",
    }
    for arrears, loc in (
        ({"amount_eur": 800, "ends_on": "0001-01-01"}, ["arrears", "ends_on"]),
        ({"amount_eur": 800, "signalled_on": "1700-01-01"}, ["arrears", "signalled_on"]),
        ({"amount_eur": "٤١٢"}, ["arrears", "amount_eur"]),
        ({"amount_eur": "1_000"}, ["arrears", "amount_eur"]),
        ({"amount_eur": 5, "crisis": 1}, ["arrears", "crisis"]),
        ({"amount_eur": 5, "since": "2026-11-20", "signalled_on": "2026-11-01"}, ["arrears"]),
    ):
        found = await problem(
            await client.post(
                "/api/v1/signals", json={**base, "arrears": arrears}, headers=bearer(energy_token)
            ),
            422,
        )
        assert found["errors"][0]["loc"][: len(loc)] == loc, (arrears, found["errors"])
    control = {**base, "person": {"name": "A\u0000B\u001b[31m"}, "arrears": {"amount_eur": 5}}
    found = await problem(
        await client.post("/api/v1/signals", json=control, headers=bearer(energy_token)), 422
    )
    assert found["errors"][0]["loc"][-2:] == ["person", "name"]
    # A creditor hears no outcome even of a signal of another kind, and a declined case is
    # told as not taken up.
    async with haarlem.acquire() as conn:
        await give_webhook(conn, energy.id, "http://127.0.0.1:9/", "geheim")
    _, member = await make_user(haarlem, "member", OOST)
    other = {**base, "external_ref": "P-2", "kind": "other"}
    assert (await client.post("/api/v1/signals", json=other, headers=bearer(energy_token))).ok
    debt = {**base, "external_ref": "P-3", "arrears": {"amount_eur": 50}}
    debt["address"] = {"postcode": "2031AA", "house_number": 61}
    assert (await client.post("/api/v1/signals", json=debt, headers=bearer(energy_token))).ok
    async with haarlem.acquire() as conn:
        by_number = {
            number: {
                "id": str(
                    await conn.fetchval("select case_id from signals where external_ref = $1", ref)
                )
            }
            for number, ref in ((60, "P-2"), (61, "P-3"))
        }
    await act(client, member, by_number[60]["id"], action="take")
    await act(client, member, by_number[60]["id"], action="contact_attempt", reached=True)
    closed = await act(client, member, by_number[60]["id"], action="close", outcome="help_started")
    assert closed.status == 200, await closed.text()
    declined = await act(client, member, by_number[61]["id"], action="decline", reason="Dubbel")
    assert declined.status == 200, await declined.text()
    contradiction = await act(
        client,
        member,
        by_number[60]["id"],
        action="close",
        outcome="help_started",
        early_debt_result="deceased",
    )
    assert contradiction.status in (409, 422)
    async with haarlem.acquire() as conn:
        told = [
            json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
            for row in await conn.fetch(
                "select payload from outbox where channel = 'webhook' and topic = 'outcome'"
                " order by id"
            )
        ]
    assert [(t["external_ref"], t["outcome"], t["early_debt_status"]) for t in told] == [
        ("P-2", None, "taken"),
        ("P-3", None, "not_taken_other_reason"),
    ]


async def test_early_debt_rules_name_their_field_and_column(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, energy_token = await make_partner(haarlem, PartnerKind.ENERGY)
    zero = {
        "external_ref": "Z-1",
        "kind": "payment_arrears",
        "address": {"postcode": "2031AA", "house_number": 70},
        "resident_informed": {"informed": False, "reason": "vroegsignaal"},
        "description": "Achterstand.",
        "arrears": {"amount_eur": "0"},
    }
    found = await problem(
        await client.post("/api/v1/signals", json=zero, headers=bearer(energy_token)), 422
    )
    assert found["errors"][0]["loc"] == ["arrears", "amount_eur"]
    # A creditor's list naming another creditor: refused on its row, in the column at fault.
    listed = (
        b"ID;signaalpartner;bedrag;postcode;huisnummer\r\n"
        b"E1;Water;10;2031AA;71\r\n"
        b"E2;;12;2031AA;72\r\n"
    )
    accepted = await (await upload(client, energy_token, listed)).json()
    view = await finished(client, energy_token, accepted["id"])
    assert view["counts"]["accepted"] == 1
    (refused,) = view["problems"]
    assert (refused["line"], refused["column"]) == (2, "signaalpartner")
    # The national end result belongs to a case with arrears, not to a GP's concern.
    _, gp_token = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    concern = {
        "external_ref": "G-1",
        "kind": "care_concern",
        "address": {"postcode": "2031AA", "house_number": 73},
        "resident_informed": {"informed": True},
        "description": "Zorgen.",
    }
    assert (await client.post("/api/v1/signals", json=concern, headers=bearer(gp_token))).ok
    async with haarlem.acquire() as conn:
        case_id = str(await conn.fetchval("select case_id from signals where external_ref = 'G-1'"))
    await act(client, member, case_id, action="take")
    found = await problem(
        await act(client, member, case_id, action="close", early_debt_result="advice_quick_fix"),
        422,
    )
    assert found["errors"][0]["loc"] == ["early_debt_result"]
