"""The FHIR API driven as a client built on a FHIR library drives it (HAPI, Firely): create and
read back what was created, find its Task by search, a conditional create, a transaction, a
referral called off (posted again revoked, or updated), invalid codes, versions and ETags,
`Prefer`, `_summary` and `_elements`, content negotiation, and a CapabilityStatement that says
exactly what works. Real HTTP into a real database; every resource the hub answers with is held
to the same FHIR R4 validation (fhir.resources, required codes) it holds partners to."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from uuid import UUID

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from connectors.fhir import validation_issues
from connectors.fhir_rest import SEARCH_PARAMETERS
from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind
from tests.support.access import ROUTES
from tests.support.factories import make_partner, make_user
from tests.support.fhir import FHIR, contained, transaction
from tests.support.http import act, bearer, cases_of
from tests.support.outbox import queued_mail

Client = TestClient[Any, Any]
WEST = "SWT-HLM-WEST"
SYSTEM = "urn:oid:2.16.840.1.113883.2.4.6.1"
REFERENCE = "HIS-2026-000123"


async def send(
    client: Client,
    token: str,
    method: str,
    path: str,
    resource: Any = None,
    **headers: str,
) -> Any:
    """A request as a FHIR client sends it: FHIR JSON out and asked back."""
    sent = {**bearer(token), "Accept": FHIR, **headers}
    if resource is not None:
        sent["Content-Type"] = FHIR
        return await client.request(method, path, data=json.dumps(resource), headers=sent)
    return await client.request(method, path, headers=sent)


async def body(response: Any, status: int) -> dict[str, Any]:
    """The answer's resource, held to FHIR R4 as partners' resources are."""
    assert response.status == status, await response.text()
    assert response.content_type == FHIR
    resource: dict[str, Any] = await response.json()
    assert validation_issues(resource) == [], resource
    for entry in resource.get("entry", []):
        for part in (entry.get("resource"), entry.get("response", {}).get("outcome")):
            assert part is None or validation_issues(part) == [], part
    return resource


async def issues(response: Any, status: int) -> list[dict[str, Any]]:
    outcome = await body(response, status)
    assert outcome["resourceType"] == "OperationOutcome"
    found: list[dict[str, Any]] = outcome["issue"]
    return found


def path_of(location: str) -> str:
    return urlsplit(location).path


async def signal_rows(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch("select * from signals order by received_at")
    return [unsealed(row) for row in rows]


async def create(client: Client, token: str, resource: Any = None, **headers: str) -> Any:
    return await send(
        client, token, "POST", "/fhir/ServiceRequest", resource or contained(), **headers
    )


async def test_create_read_and_search_as_a_client_library_does(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partner, token = await make_partner(haarlem, PartnerKind.GP)
    _, other = await make_partner(haarlem, PartnerKind.GP)
    response = await create(client, token)
    created = await body(response, 201)
    assert created["resourceType"] == "ServiceRequest"  # what a client casts the outcome to
    request_id = created["id"]
    assert response.headers["ETag"] == 'W/"1"'
    assert response.headers["Last-Modified"].endswith(" GMT")
    assert path_of(response.headers["Location"]) == (
        f"/fhir/ServiceRequest/{request_id}/_history/1"
    )
    # Rebuilt from its signal: what the partner sent, as the hub keeps it.
    (patient,) = created["contained"]
    assert created["subject"] == {"reference": f"#{patient['id']}"}
    assert (patient["name"], patient["birthDate"]) == ([{"text": "J. de Vries"}], "1971-03-05")
    (address,) = patient["address"]
    assert (address["postalCode"], address["line"]) == ("2015GB", ["7 B"])
    assert created["note"] == [{"text": "Mist afspraken, noemt geldzorgen."}]
    assert created["code"]["coding"][0]["code"] == "care_concern"

    # Read back, at the location it was given, and at the location without its version.
    for path in (path_of(response.headers["Location"]), f"/fhir/ServiceRequest/{request_id}"):
        read = await send(client, token, "GET", path)
        assert await body(read, 200) == created
        assert read.headers["ETag"] == 'W/"1"'
    unchanged = await send(
        client, token, "GET", f"/fhir/ServiceRequest/{request_id}", **{"If-None-Match": 'W/"1"'}
    )
    assert unchanged.status == 304
    assert await unchanged.read() == b""

    # Its Task, by the ServiceRequest it is about, however the reference is written.
    base = response.headers["Location"].split("/ServiceRequest/")[0]
    for query in (
        f"focus=ServiceRequest/{request_id}",
        f"based-on=ServiceRequest/{request_id}",
        f"focus={base}/ServiceRequest/{request_id}",
        f"focus={request_id}",
        f"_id={request_id}",
    ):
        found = await body(await send(client, token, "GET", f"/fhir/Task?{query}"), 200)
        assert (found["type"], found["total"]) == ("searchset", 1), query
        (entry,) = found["entry"]
        assert entry["fullUrl"] == f"{base}/Task/{request_id}"
        assert entry["resource"]["focus"] == {"reference": f"ServiceRequest/{request_id}"}
    nothing = await body(await send(client, token, "GET", "/fhir/Task?focus=Patient/1"), 200)
    assert (nothing["total"], nothing.get("entry")) == (0, None)
    by_identifier = await body(
        await send(client, token, "GET", f"/fhir/ServiceRequest?identifier={SYSTEM}|{REFERENCE}"),
        200,
    )
    assert [entry["resource"]["id"] for entry in by_identifier["entry"]] == [request_id]

    # The Task read with its version; another partner finds none of it.
    task_read = await send(client, token, "GET", f"/fhir/Task/{request_id}")
    task = await body(task_read, 200)
    assert task_read.headers["ETag"] == f'W/"{task["meta"]["versionId"]}"'
    assert "Sociaal Wijkteam West" in task["text"]["div"]
    again = await send(
        client,
        token,
        "GET",
        f"/fhir/Task/{request_id}",
        **{"If-None-Match": task_read.headers["ETag"]},
    )
    assert again.status == 304
    for path in (f"/fhir/ServiceRequest/{request_id}", f"/fhir/Task/{request_id}"):
        await issues(await send(client, other, "GET", path), 404)
    for path in (
        f"/fhir/Task?focus=ServiceRequest/{request_id}",
        f"/fhir/ServiceRequest?_id={request_id}",
    ):
        assert (await body(await send(client, other, "GET", path), 200))["total"] == 0

    # Every read of the personal data is in the access log, as the partner's.
    async with haarlem.acquire() as conn:
        logged = await conn.fetch(
            "select action, subject, purpose, on_behalf_of from access_log "
            "where subject = $1 order by id",
            f"signal:{request_id}",
        )
    assert [row["action"] for row in logged] == [
        "read_service_request",  # the create's answer
        "read_service_request",
        "read_service_request",  # (not the 304)
        "search_service_requests",
    ]
    assert {row["on_behalf_of"] for row in logged} == {f"partner:{partner.id}"}


async def test_prefer_says_what_a_create_returns(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    minimal = await create(client, token, Prefer="return=minimal")
    assert minimal.status == 201
    assert await minimal.read() == b""
    assert minimal.headers["Preference-Applied"] == "return=minimal"
    request_id = path_of(minimal.headers["Location"]).split("/")[3]
    said = await issues(await create(client, token, Prefer="return=OperationOutcome"), 200)
    assert said[0]["severity"] == "information"
    assert f"ServiceRequest/{request_id}" in said[0]["diagnostics"]
    assert f"Task/{request_id}" in said[0]["diagnostics"]
    full = await body(await create(client, token, Prefer="return=representation"), 200)
    assert full["id"] == request_id
    async with haarlem.acquire() as conn:  # only the answer that showed the data was a read
        reads = await conn.fetchval(
            "select count(*) from access_log where subject = $1", f"signal:{request_id}"
        )
    assert reads == 1


async def test_conditional_create_on_the_identifier(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    first = await body(await create(client, token), 201)
    changed = contained(note=[{"text": "Een andere tekst."}])
    # Without the condition the same identifier with other content conflicts; with it, the
    # referral found is the answer and the post is ignored, as the specification says.
    await issues(await create(client, token, changed), 409)
    for condition in (f"identifier={SYSTEM}|{REFERENCE}", f"identifier={REFERENCE}"):
        found = await create(client, token, changed, **{"If-None-Exist": condition})
        assert (await body(found, 200))["id"] == first["id"]
    assert len(await signal_rows(haarlem)) == 1
    other = contained(identifier=[{"system": SYSTEM, "value": "HIS-2"}])
    made = await create(client, token, other, **{"If-None-Exist": f"identifier={SYSTEM}|HIS-2"})
    assert (await body(made, 201))["id"] != first["id"]
    # A system the referral was not sent with is another identifier.
    elsewhere = await create(
        client, token, changed, **{"If-None-Exist": f"identifier=urn:x|{REFERENCE}"}
    )
    await issues(elsewhere, 409)
    refused = await issues(await create(client, token, **{"If-None-Exist": "name=Vries"}), 400)
    assert "identifier" in refused[0]["diagnostics"]
    assert "expression" not in refused[0]  # a header is no element of a resource

    # A transaction's conditional create, the same way.
    bundle = transaction(note=[{"text": "Nog een tekst."}])
    bundle["entry"][1]["request"]["ifNoneExist"] = f"identifier={SYSTEM}|{REFERENCE}"
    answer = await body(await send(client, token, "POST", "/fhir", bundle), 200)
    assert answer["entry"][1]["response"]["status"] == "200 OK"
    assert answer["entry"][1]["resource"]["id"] == first["id"]


async def test_a_transaction_answers_entry_by_entry_and_its_task_is_found(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    bundle = transaction()
    bundle["entry"].append(
        {
            "resource": {"resourceType": "Organization", "name": "Praktijk"},
            "request": {"method": "POST", "url": "Organization"},
        }
    )
    answer = await body(await send(client, token, "POST", "/fhir", bundle), 200)
    patient, request, consent, organization = answer["entry"]
    created = request["resource"]
    assert request["response"]["status"] == "201 Created"
    assert request["response"]["location"] == f"ServiceRequest/{created['id']}/_history/1"
    assert request["response"]["etag"] == 'W/"1"'
    # The Patient was not stored as a Patient: it says where it went, and has no location.
    assert patient["response"]["status"] == "200 OK"
    assert "location" not in patient["response"]
    said = patient["response"]["outcome"]["issue"][0]["diagnostics"]
    assert f"contained in ServiceRequest/{created['id']}" in said
    assert created["contained"][0]["name"] == [{"text": "J. de Vries"}]
    assert "informed" in consent["response"]["outcome"]["issue"][0]["diagnostics"]
    assert "Not kept" in organization["response"]["outcome"]["issue"][0]["diagnostics"]
    assert "location" not in consent["response"]
    assert "location" not in organization["response"]
    tasks = await body(
        await send(client, token, "GET", f"/fhir/Task?focus=ServiceRequest/{created['id']}"), 200
    )
    assert tasks["entry"][0]["resource"]["status"] == "requested"
    minimal = await send(client, token, "POST", "/fhir", bundle, Prefer="return=minimal")
    entry = (await body(minimal, 200))["entry"][1]
    assert entry == {
        "response": {
            "status": "200 OK",
            "location": f"ServiceRequest/{created['id']}/_history/1",
            "etag": 'W/"1"',
            "lastModified": entry["response"]["lastModified"],
        }
    }

    # Entries must say what to do; a transaction here only creates.
    for change, expression in (
        (lambda b: b["entry"][0].pop("request"), "Bundle.entry[0].request"),
        (
            lambda b: b["entry"][1]["request"].update(method="DELETE"),
            "Bundle.entry[1].request.method",
        ),
        (lambda b: b["entry"][1]["request"].update(method="PUT"), "Bundle.entry[1].request.method"),
        (
            lambda b: b["entry"][0]["resource"]["address"][0].update(use="thuis"),
            "Bundle.entry[0].resource.address[0].use",
        ),
    ):
        bad = transaction()
        change(bad)
        found = await issues(await send(client, token, "POST", "/fhir", bad), 422)
        assert expression in [e for issue in found for e in issue.get("expression", [])]


async def test_a_referral_posted_again_revoked_is_withdrawn(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk Ramplaan")
    _, member = await make_user(haarlem, "member", WEST)
    created = await body(await create(client, token), 201)
    (case,) = await cases_of(client, member)
    mails_before = len(await queued_mail(haarlem))

    response = await create(client, token, contained(status="revoked"))
    revoked = await body(response, 200)
    assert (revoked["id"], revoked["status"], revoked["meta"]["versionId"]) == (
        created["id"],
        "revoked",
        "2",
    )
    assert response.headers["ETag"] == 'W/"2"'
    task = await body(await send(client, token, "GET", f"/fhir/Task/{created['id']}"), 200)
    assert (task["status"], task["businessStatus"]["text"]) == (
        "cancelled",
        "Ingetrokken door uw organisatie",
    )
    # Nothing deleted; the case's timeline shows it; the team is told.
    (row,) = await signal_rows(haarlem)
    assert (row["status"], row["person_name"]) == ("withdrawn", "J. de Vries")
    view = await (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(member))).json()
    (withdrawn,) = [entry for entry in view["timeline"] if entry["kind"] == "withdrawn"]
    assert withdrawn["actor_name"] == "Huisartsenpraktijk Ramplaan"
    assert len(await queued_mail(haarlem)) == mails_before + 1

    # Both versions can be read; sent again, the same answer and no second mail.
    path = f"/fhir/ServiceRequest/{created['id']}/_history"
    assert (await body(await send(client, token, "GET", f"{path}/1"), 200))["status"] == "active"
    assert (await body(await send(client, token, "GET", f"{path}/2"), 200))["status"] == "revoked"
    await issues(await send(client, token, "GET", f"{path}/3"), 404)
    assert (await body(await create(client, token, contained(status="revoked")), 200))[
        "status"
    ] == "revoked"
    assert len(await queued_mail(haarlem)) == mails_before + 1

    # Calling off what was never sent names the identifier.
    unknown = contained(status="revoked", identifier=[{"system": SYSTEM, "value": "HIS-nooit"}])
    found = await issues(await create(client, token, unknown), 422)
    assert found[0]["expression"] == ["ServiceRequest.identifier"]


async def test_an_update_calls_a_referral_off_and_nothing_else(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, other = await make_partner(haarlem, PartnerKind.GP)
    created = await body(await create(client, token), 201)
    path = f"/fhir/ServiceRequest/{created['id']}"
    changed = {**created, "note": [{"text": "Anders."}]}
    found = await issues(await send(client, token, "PUT", path, changed), 422)
    assert found[0]["expression"] == ["ServiceRequest.status"]
    cancelled = {**created, "status": "entered-in-error"}
    await issues(await send(client, token, "PUT", path, {**cancelled, "id": "x"}), 400)
    await issues(await send(client, other, "PUT", path, cancelled), 404)
    stale = await send(client, token, "PUT", path, cancelled, **{"If-Match": 'W/"7"'})
    await issues(stale, 412)
    done = await send(client, token, "PUT", path, cancelled, **{"If-Match": 'W/"1"'})
    assert (await body(done, 200))["status"] == "entered-in-error"
    task = await body(await send(client, token, "GET", f"/fhir/Task/{created['id']}"), 200)
    assert task["status"] == "cancelled"
    nowhere = f"/fhir/ServiceRequest/{UUID(int=1)}"
    await issues(
        await send(client, token, "PUT", nowhere, {**cancelled, "id": str(UUID(int=1))}), 404
    )


async def test_a_finished_referral_cannot_be_called_off(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", WEST)
    await body(await create(client, token), 201)
    (case,) = await cases_of(client, member)
    for action in (
        {"action": "take"},
        {"action": "contact_attempt", "reached": True},
        {"action": "close", "outcome": "help_started"},
    ):
        assert (await act(client, member, case["id"], **action)).status == 200
    found = await issues(await create(client, token, contained(status="revoked")), 409)
    assert "can no longer be withdrawn" in found[0]["diagnostics"]


async def test_a_referral_whose_data_is_gone_is_gone(client: Client, haarlem: asyncpg.Pool) -> None:
    """Withdrawn before any team had it (no team's area), its personal data goes at once: the
    ServiceRequest cannot be shown any more (410), its Task still tells what became of it."""
    _, token = await make_partner(haarlem, PartnerKind.GP)
    nowhere = contained({"line": ["Dorpsstraat 1"], "postalCode": "9999 ZZ"})
    created = await body(await create(client, token, nowhere), 201)
    said = await issues(await create(client, token, {**nowhere, "status": "revoked"}), 200)
    assert "removed" in said[0]["diagnostics"]
    await issues(await send(client, token, "GET", f"/fhir/ServiceRequest/{created['id']}"), 410)
    task = await body(await send(client, token, "GET", f"/fhir/Task/{created['id']}"), 200)
    assert task["status"] == "cancelled"


@pytest.mark.parametrize(
    ("headers", "query"),
    [
        ({"Accept": "application/fhir+xml"}, ""),
        ({"Accept": "application/xml, text/xml"}, ""),
        ({"Accept": "application/fhir+json;q=0, application/fhir+xml"}, ""),
        ({}, "?_format=xml"),
        ({}, "?_format=application/fhir%2Bxml"),
    ],
)
async def test_xml_is_not_served(
    client: Client, haarlem: asyncpg.Pool, headers: dict[str, str], query: str
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    response = await send(
        client, token, "POST", f"/fhir/ServiceRequest{query}", contained(), **headers
    )
    found = await issues(response, 406)  # an OperationOutcome, in the one format there is
    assert found[0]["code"] == "not-supported"
    assert await signal_rows(haarlem) == []  # refused before anything was done
    for path in (f"/fhir/metadata{query}", f"/fhir/Task{query or '?'}&_id={UUID(int=1)}"):
        await issues(await send(client, token, "GET", path, **headers), 406)


@pytest.mark.parametrize(
    "accept",
    [
        # What HAPI's client sends by default: both, XML first.
        "application/fhir+xml;q=1.0, application/fhir+json;q=1.0, "
        "application/xml+fhir;q=0.9, application/json+fhir;q=0.9",
        "application/json",
        "*/*",
        "",
    ],
)
async def test_json_is_served_to_whoever_takes_it(
    client: Client, haarlem: asyncpg.Pool, accept: str
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    await body(await create(client, token, Accept=accept), 201)
    await body(await send(client, token, "GET", "/fhir/metadata?_format=json", Accept=accept), 200)


async def test_summary_and_elements(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    created = await body(await create(client, token), 201)
    path = f"/fhir/ServiceRequest/{created['id']}"
    summary = await (await send(client, token, "GET", f"{path}?_summary=true")).json()
    assert "contained" not in summary  # not a summary element
    assert "note" not in summary
    assert summary["code"] == created["code"]
    assert summary["meta"]["tag"][0]["code"] == "SUBSETTED"
    elements = await (await send(client, token, "GET", f"{path}?_elements=status,priority")).json()
    assert set(elements) == {"resourceType", "id", "meta", "status", "intent", "priority"}
    data = await (
        await send(client, token, "GET", f"/fhir/Task/{created['id']}?_summary=data")
    ).json()
    assert "text" not in data
    assert data["status"] == "requested"
    text = await (
        await send(client, token, "GET", f"/fhir/Task/{created['id']}?_summary=text")
    ).json()
    assert set(text) == {"resourceType", "id", "meta", "text", "status", "intent"}
    count = await body(
        await send(client, token, "GET", f"/fhir/Task?_id={created['id']}&_summary=count"), 200
    )
    assert (count["total"], count.get("entry")) == (1, None)
    await issues(await send(client, token, "GET", f"{path}?_summary=count"), 400)
    await issues(await send(client, token, "GET", f"{path}?_summary=alles"), 400)


async def test_unknown_search_parameters_are_ignored_unless_strict(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    created = await body(await create(client, token), 201)
    query = f"/fhir/Task?_id={created['id']}&status=requested"
    assert (await body(await send(client, token, "GET", query), 200))["total"] == 1
    strict = await issues(await send(client, token, "GET", query, Prefer="handling=strict"), 400)
    assert "status" in strict[0]["diagnostics"]
    await issues(await send(client, token, "GET", "/fhir/Task"), 400)  # not a list of all


def _interaction_routes(statement: dict[str, Any]) -> set[tuple[str, str]]:
    """The (method, route) each interaction the CapabilityStatement lists is served at."""
    at = {
        "create": [("POST", "/fhir/{type}")],
        "read": [("GET", "/fhir/{type}/{id}")],
        "vread": [("GET", "/fhir/{type}/{id}/_history/{vid}")],
        "update": [("PUT", "/fhir/{type}/{id}")],
        "search-type": [("GET", "/fhir/{type}")],
    }
    rest = statement["rest"][0]
    routes = {("GET", "/fhir/metadata")}
    routes |= {("POST", "/fhir") for i in rest["interaction"] if i["code"] == "transaction"}
    for resource in rest["resource"]:
        for interaction in resource.get("interaction", []):
            for method, route in at[interaction["code"]]:
                routes.add((method, route.replace("{type}", resource["type"])))
    return routes


async def test_the_capability_statement_lists_exactly_what_works(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    statement = await body(await client.get("/fhir/metadata"), 200)
    assert _interaction_routes(statement) == {
        (method, route) for method, route in ROUTES if route.startswith("/fhir")
    }
    rest = statement["rest"][0]
    listed = {
        resource["type"]: {p["name"] for p in resource.get("searchParam", [])}
        for resource in rest["resource"]
        if resource.get("searchParam")
    }
    assert listed == {kind: set(names) for kind, names in SEARCH_PARAMETERS.items()}
    # Each parameter listed finds what it says.
    _, token = await make_partner(haarlem, PartnerKind.GP)
    created = await body(await create(client, token), 201)
    values = {
        "_id": created["id"],
        "identifier": f"{SYSTEM}|{REFERENCE}",
        "focus": f"ServiceRequest/{created['id']}",
        "based-on": f"ServiceRequest/{created['id']}",
    }
    for kind, names in listed.items():
        for name in names:
            found = await send(client, token, "GET", f"/fhir/{kind}?{name}={values[name]}")
            assert (await body(found, 200))["total"] == 1, (kind, name)
    # Read as a person: a narrative, and no text that reads as markup.
    assert statement["text"]["status"] == "generated"
    assert "<table>" in statement["text"]["div"]
    texts = [rest["security"]["description"], rest["documentation"]]
    texts += [i["documentation"] for i in rest["interaction"]]
    for resource in rest["resource"]:
        texts.append(resource["documentation"])
        texts += [i["documentation"] for i in resource.get("interaction", [])]
    assert not [text for text in texts if "<" in text or ">" in text or "&" in text]


async def test_the_readmes_create_and_cancel(client: Client, haarlem: asyncpg.Pool) -> None:
    """The README's two examples, as written there (the cancel is the file with `"active"`
    replaced by `"revoked"`), answer as it says."""
    _, token = await make_partner(haarlem, PartnerKind.GP)
    text = (Path(__file__).parents[1] / "data" / "servicerequest.json").read_text(encoding="utf-8")
    created = await send(client, token, "POST", "/fhir/ServiceRequest", json.loads(text))
    request = await body(created, 201)
    assert (created.headers["ETag"], request["status"], request["priority"]) == (
        'W/"1"',
        "active",
        "urgent",
    )
    assert request["contained"][0]["name"] == [{"text": "J. de Vries"}]
    revoked_text = text.replace('"active"', '"revoked"')
    cancelled = await send(client, token, "POST", "/fhir/ServiceRequest", json.loads(revoked_text))
    assert (await body(cancelled, 200))["status"] == "revoked"
    assert cancelled.headers["ETag"] == 'W/"2"'
    task = await body(await send(client, token, "GET", f"/fhir/Task/{request['id']}"), 200)
    assert (task["status"], task["businessStatus"]["text"]) == (
        "cancelled",
        "Ingetrokken door uw organisatie",
    )


async def test_referrals_taken_before_the_upgrade_are_served(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """Before migration 0030 a Task pointed at the partner's own id (`ServiceRequest/sr-1`),
    which the hub does not serve; the migration gives each such referral the hub's own."""
    _, token = await make_partner(haarlem, PartnerKind.GP)
    created = await body(await create(client, token), 201)
    migration = Path(__file__).parents[2] / "hub/platform/migrations/0030_fhir_service_requests.sql"
    backfill = migration.read_text(encoding="utf-8").split("\ninsert into ", 1)[1]
    async with haarlem.acquire() as conn:  # the referral as an older hub left it
        await conn.execute("delete from fhir_service_requests")
        await conn.execute("update signals set fhir_focus = 'ServiceRequest/sr-1'")
        await conn.execute("insert into " + backfill)
    task = await body(await send(client, token, "GET", f"/fhir/Task/{created['id']}"), 200)
    assert task["focus"] == {"reference": f"ServiceRequest/{created['id']}"}
    served = await body(
        await send(client, token, "GET", f"/fhir/ServiceRequest/{created['id']}"), 200
    )
    assert (served["status"], served["priority"], served["identifier"]) == (
        "active",
        "urgent",
        [{"value": REFERENCE}],  # the system was not kept then
    )


async def test_hostile_updates_and_queries_are_refused_clearly(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    created = await body(await create(client, token), 201)
    path = f"/fhir/ServiceRequest/{created['id']}"
    for content_type, sent in (
        (FHIR, b"{"),
        (FHIR, b'"just a string"'),
        (FHIR, b'{"resourceType": "ServiceRequest", "id": 5, "status": ["revoked"]}'),
        (FHIR, b'{"resourceType": "ServiceRequest", "contained": [{"resourceType": {}}]}'),
        ("application/fhir+xml", b"<ServiceRequest/>"),
    ):
        headers = {**bearer(token), "Content-Type": content_type}
        response = await client.put(path, data=sent, headers=headers)
        assert 400 <= response.status < 500, await response.text()
        assert response.content_type == FHIR
    for query in (
        "/fhir/Task?focus=%00",
        "/fhir/Task?_id=" + "a," * 2000,
        "/fhir/ServiceRequest?identifier=%7C",
        "/fhir/ServiceRequest?identifier=a%00b",
        f"{path}?_elements=" + "x," * 500,
        f"{path}/_history/%00",
        f"{path}?_summary=%00",
    ):
        response = await send(client, token, "GET", query)
        assert response.status < 500, (query, await response.text())
    nul = contained(status="revoked", identifier=[{"system": SYSTEM, "value": "a\u0000b"}])
    assert (await create(client, token, nul)).status == 422
    conditional = await create(client, token, **{"If-None-Exist": "identifier=a%00b"})
    assert conditional.status == 200  # nothing has that identifier: taken as posted (sent before)
    assert (await signal_rows(haarlem))[0]["status"] == "routed"  # none of it changed a thing


async def test_a_referral_withdrawn_through_the_api_reads_as_revoked(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    created = await body(await create(client, token), 201)
    withdrawn = await client.post(
        f"/api/v1/signals/{created['id']}/withdrawal", headers=bearer(token)
    )
    assert withdrawn.status == 202
    read = await send(client, token, "GET", f"/fhir/ServiceRequest/{created['id']}")
    assert ((await body(read, 200))["status"], read.headers["ETag"]) == ("revoked", 'W/"2"')
