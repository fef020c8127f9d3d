from __future__ import annotations

import copy
import json
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.intake.fhir import map_code
from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind, SignalKind
from tests.support.factories import make_partner
from tests.support.fhir import (
    FHIR,
    LINE_ADDRESS,
    SNOMED,
    contained,
    outcome,
    post,
    service_request,
    transaction,
    transaction_with,
    without_id,
)
from tests.support.http import bearer

Client = TestClient[Any, Any]


async def stored(pool: asyncpg.Pool) -> dict[str, Any]:
    """The one signal stored, its sealed personal data and address opened."""
    async with pool.acquire() as conn:
        row = await conn.fetchrow(
            """select s.*, h.address, t.code
               from signals s join households h on h.id = s.household_id
               left join teams t on t.id = s.team_id"""
        )
    assert row is not None
    return unsealed(row)


async def test_service_request_with_contained_patient(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    response = await post(client, token, "/fhir/ServiceRequest", contained())
    assert response.status == 201, await response.text()
    created = await response.json()
    # Created, it is answered with itself: the hub's ServiceRequest, at the hub's own id.
    assert created["resourceType"] == "ServiceRequest"
    assert (created["status"], created["intent"], created["priority"]) == (
        "active",
        "order",
        "urgent",
    )
    assert created["identifier"] == [
        {"system": "urn:oid:2.16.840.1.113883.2.4.6.1", "value": "HIS-2026-000123"}
    ]
    assert created["contained"][0]["name"] == [{"text": "J. de Vries"}]
    assert created["meta"]["versionId"] == "1"
    location = response.headers["Location"]
    assert location.endswith(f"/fhir/ServiceRequest/{created['id']}/_history/1")
    assert location.startswith("http://127.0.0.1:")

    read = await client.get(f"/fhir/Task/{created['id']}", headers=bearer(token))
    assert read.status == 200
    task = await read.json()
    assert task["status"] == "requested"
    assert task["intent"] == "order"
    assert task["focus"] == {"reference": f"ServiceRequest/{created['id']}"}
    assert task["basedOn"] == [{"reference": f"ServiceRequest/{created['id']}"}]
    assert task["owner"]["display"] == "Sociaal Wijkteam West"
    assert "de Vries" not in json.dumps(task)  # the Task carries no personal data

    row = await stored(haarlem)
    assert (row["postcode"], row["house_number"], row["house_letter"]) == ("2015GB", 7, "B")
    assert row["urgency"] == "high"
    assert row["code"] == "SWT-HLM-WEST"
    assert row["resident_informed"] is False  # no Consent came with it
    assert row["person_name"] == "J. de Vries"


async def test_transaction_bundle_with_nl_core_address_and_consent(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    response = await post(client, token, "/fhir", transaction())
    assert response.status == 200, await response.text()
    bundle = await response.json()
    assert bundle["type"] == "transaction-response"
    # Each entry answers for its own: the Patient and the Consent were taken into the referral.
    assert [entry["response"]["status"] for entry in bundle["entry"]] == [
        "200 OK",
        "201 Created",
        "200 OK",
    ]
    request = bundle["entry"][1]["resource"]
    assert request["resourceType"] == "ServiceRequest"
    assert (
        bundle["entry"][1]["response"]["location"] == f"ServiceRequest/{request['id']}/_history/1"
    )
    row = await stored(haarlem)
    assert (row["postcode"], row["house_number"], row["house_letter"], row["addition"]) == (
        "2035AB",
        12,
        "A",
        "BIS",
    )
    assert row["resident_informed"] is True

    again = await post(client, token, "/fhir", transaction())
    assert again.status == 200
    replay = await again.json()
    assert replay["entry"][1]["response"]["status"] == "200 OK"
    assert replay["entry"][1]["resource"]["id"] == request["id"]


@pytest.mark.parametrize(
    ("resource", "path", "expression"),
    [
        (
            contained({"line": ["Ramplaan 7"]}),
            "/fhir/ServiceRequest",
            "ServiceRequest.contained[0].address[0].postalCode",
        ),
        (
            contained({"line": ["Ramplaan"], "postalCode": "2015GB"}),
            "/fhir/ServiceRequest",
            "ServiceRequest.contained[0].address[0].line",
        ),
        (
            contained({"line": ["Ramplaan 7"], "postalCode": "0123 AB"}),
            "/fhir/ServiceRequest",
            "ServiceRequest.contained[0].address[0].postalCode",
        ),
        (  # neither an identifier nor an id: nothing to know it by when it comes again
            without_id(contained(LINE_ADDRESS, identifier=[])),
            "/fhir/ServiceRequest",
            "ServiceRequest.identifier",
        ),
        (contained(LINE_ADDRESS, note=[]), "/fhir/ServiceRequest", "ServiceRequest.note"),
        (  # too long to take whole: refused, not cut short
            contained(LINE_ADDRESS, note=[{"text": "Zorgen. " * 300}]),
            "/fhir/ServiceRequest",
            "ServiceRequest.note",
        ),
        (
            service_request(subject={"reference": "Patient/elsewhere"}),
            "/fhir/ServiceRequest",
            "ServiceRequest.subject",
        ),
        ({**transaction(), "type": "batch"}, "/fhir", "Bundle.type"),
        ({"resourceType": "Patient"}, "/fhir", "Patient"),
        (contained(status="actief"), "/fhir/ServiceRequest", "ServiceRequest.status"),
        (contained(priority="spoed"), "/fhir/ServiceRequest", "ServiceRequest.priority"),
        (contained(status="draft"), "/fhir/ServiceRequest", "ServiceRequest.status"),
        (
            contained({**LINE_ADDRESS, "use": "thuis"}),
            "/fhir/ServiceRequest",
            "ServiceRequest.contained[0].address[0].use",
        ),
        (
            {**contained(), "contained": [{"resourceType": "Patiënt", "id": "p1"}]},
            "/fhir/ServiceRequest",
            "ServiceRequest.contained[0]",
        ),
        (  # the path of the ServiceRequest where it stands in the Bundle
            transaction_with(note=[]),
            "/fhir",
            "Bundle.entry[1].resource.note",
        ),
    ],
)
async def test_bad_referrals_are_answered_with_the_path_at_fault(
    client: Client, haarlem: asyncpg.Pool, resource: dict[str, Any], path: str, expression: str
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    issues = await outcome(await post(client, token, path, resource), 422)
    assert expression in [e for issue in issues for e in issue.get("expression", [])]
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 0


async def test_invalid_fhir_is_reported_where_it_is(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    bundle = transaction()
    bundle["entry"][0]["resource"]["birthDate"] = "05-03-1971"
    issues = await outcome(await post(client, token, "/fhir", bundle), 422)
    assert issues[0]["expression"] == ["Bundle.entry[0].resource.birthDate"]


async def test_an_unknown_code_takes_the_partners_default_kind_and_is_kept(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    coding = {"system": SNOMED, "code": "1234", "display": "Zorgen om thuissituatie"}
    referral = contained(code={"coding": [coding]})
    assert (await post(client, token, "/fhir/ServiceRequest", referral)).status == 201
    row = await stored(haarlem)
    assert row["kind"] == "care_concern"  # a GP's default kind
    assert row["coding"] == coding


async def test_administrator_mapped_codes_win(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    # The shipped table maps "Food insecurity" to a care concern; the administrator says other.
    await map_code(haarlem, SNOMED, "733423003", SignalKind.OTHER)
    referral = contained(code={"coding": [{"system": SNOMED, "code": "733423003"}]})
    assert (await post(client, token, "/fhir/ServiceRequest", referral)).status == 201
    assert (await stored(haarlem))["kind"] == "other"


async def test_an_identifier_is_not_needed_where_the_request_has_an_id(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    referral = contained(identifier=[])
    first = await post(client, token, "/fhir/ServiceRequest", referral)
    assert first.status == 201, await first.text()
    assert (await stored(haarlem))["external_ref"] == "sr-1"
    again = await post(client, token, "/fhir/ServiceRequest", referral)
    assert again.status == 200
    assert (await again.json())["id"] == (await first.json())["id"]


async def test_kind_not_for_this_partner(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    issues = await outcome(await post(client, token, "/fhir/ServiceRequest", contained()), 422)
    assert "housing partner can signal" in issues[0]["diagnostics"]


async def test_reused_identifier_with_other_content_conflicts(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    assert (await post(client, token, "/fhir/ServiceRequest", contained())).status == 201
    changed = copy.deepcopy(contained())
    changed["note"] = [{"text": "Iets anders."}]
    issues = await outcome(await post(client, token, "/fhir/ServiceRequest", changed), 409)
    assert issues[0]["code"] == "conflict"


async def test_transport_errors_are_operation_outcomes(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, other = await make_partner(haarlem, PartnerKind.GP)
    await outcome(await client.post("/fhir/ServiceRequest", json=contained()), 401)
    await outcome(
        await client.post(
            "/fhir/ServiceRequest", data=b"{", headers={**bearer(token), "Content-Type": FHIR}
        ),
        400,
    )
    await outcome(
        await client.post(
            "/fhir/ServiceRequest",
            data=b"x",
            headers={**bearer(token), "Content-Type": "text/plain"},
        ),
        415,
    )
    created = await (await post(client, token, "/fhir/ServiceRequest", contained())).json()
    for path in (f"/fhir/Task/{created['id']}", f"/fhir/ServiceRequest/{created['id']}"):
        await outcome(await client.get(path, headers=bearer(other)), 404)
    await outcome(await client.get("/fhir/Task/nope", headers=bearer(token)), 404)
    await outcome(await client.get("/fhir/Observation/1", headers=bearer(token)), 404)


async def test_capability_statement(client: Client) -> None:
    response = await client.get("/fhir/metadata")
    assert response.status == 200
    statement = await response.json()
    assert statement["resourceType"] == "CapabilityStatement"
    assert statement["fhirVersion"] == "4.0.1"
    types = {r["type"] for r in statement["rest"][0]["resource"]}
    assert {"ServiceRequest", "Task", "Bundle", "Composition"} <= types
    (bundle,) = [r for r in statement["rest"][0]["resource"] if r["type"] == "Bundle"]
    assert "ZorgDomein" in bundle["documentation"]


async def test_task_status_follows_the_case(client: Client, haarlem: asyncpg.Pool) -> None:
    from tests.support.factories import make_user

    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", "SWT-HLM-WEST")
    task = await (await post(client, token, "/fhir/ServiceRequest", contained())).json()
    (case,) = (await (await client.get("/api/v1/cases", headers=bearer(member))).json())["items"]
    seen = []
    for action in (
        {"action": "take"},
        {"action": "contact_attempt", "reached": True},
        {"action": "close", "outcome": "help_started"},
    ):
        response = await client.post(
            f"/api/v1/cases/{case['id']}/actions", json=action, headers=bearer(member)
        )
        assert response.status == 200
        read = await client.get(f"/fhir/Task/{task['id']}", headers=bearer(token))
        seen.append((await read.json())["status"])
    assert seen == ["accepted", "in-progress", "completed"]
