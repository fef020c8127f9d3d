from __future__ import annotations

import asyncio
import json
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from hub.directory.tokens import revoke_tokens
from hub.platform.config import Settings
from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind
from tests.support.factories import make_admin_token, make_partner, make_signal, make_user
from tests.support.http import bearer, post, problem

Client = TestClient[Any, Any]


async def test_signal_is_routed_stored_and_acknowledged(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partner, token = await make_partner(haarlem)
    body = make_signal(address={"postcode": "2034je", "house_number": 7})
    response = await post(client, token, body)
    assert response.status == 202
    receipt = await response.json()
    assert receipt["status"] == "routed"
    assert receipt["team"] == {
        "code": "SWT-HLM-SCHALKWIJK-ZUID",
        "name": "Sociaal Wijkteam Schalkwijk-Zuid",
    }
    async with haarlem.acquire() as conn:
        found = await conn.fetchrow(
            """select s.external_ref, s.partner_id, t.code, s.household_id, h.address
               from signals s join teams t on t.id = s.team_id
               join households h on h.id = s.household_id where s.id = $1""",
            UUID(receipt["id"]),
        )
        events = await conn.fetch(
            "select kind from events where signal_id = $1 order by id", UUID(receipt["id"])
        )
    assert found is not None
    row = unsealed(found)
    assert (row["external_ref"], row["partner_id"], row["code"]) == (
        body["external_ref"],
        partner.id,
        "SWT-HLM-SCHALKWIJK-ZUID",
    )
    assert (row["postcode"], row["house_number"]) == ("2034JE", 7)
    assert [event["kind"] for event in events] == ["received", "routed"]


async def test_partner_reads_back_its_own_signal(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem)
    body = make_signal()
    receipt = await (await post(client, token, body)).json()
    response = await client.get(f"/api/v1/signals/{receipt['id']}", headers=bearer(token))
    assert response.status == 200
    view = await response.json()
    assert view["id"] == receipt["id"]
    assert view["external_ref"] == body["external_ref"]
    assert view["status"] == "routed"
    assert "person" not in view
    assert "description" not in view


async def test_address_without_rule_goes_to_the_coordinator_queue(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem)
    response = await post(
        client, token, make_signal(address={"postcode": "2116 AB", "house_number": 3})
    )
    assert response.status == 202
    receipt = await response.json()
    assert (receipt["status"], receipt["team"]) == ("unrouted", None)
    async with haarlem.acquire() as conn:
        status = await conn.fetchval(
            "select status from signals where id = $1::uuid", receipt["id"]
        )
    assert status == "unrouted"


async def test_same_payload_again_answers_the_same_id(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem)
    body = make_signal()
    first = await (await post(client, token, body)).json()
    again = await post(client, token, body)
    assert again.status == 202
    assert (await again.json()) == first
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 1


async def test_same_reference_from_another_partner_is_another_signal(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token_a = await make_partner(haarlem)
    _, token_b = await make_partner(haarlem)
    body = make_signal()
    a = await (await post(client, token_a, body)).json()
    b = await (await post(client, token_b, body)).json()
    assert a["id"] != b["id"]


async def test_concurrent_twins_store_one_signal(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem)
    body = make_signal()
    responses = await asyncio.gather(*(post(client, token, body) for _ in range(12)))
    assert {response.status for response in responses} == {202}
    ids = {(await response.json())["id"] for response in responses}
    assert len(ids) == 1
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 1


async def test_reference_reused_for_other_content_is_a_conflict(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem)
    body = make_signal()
    await post(client, token, body)
    response = await post(client, token, {**body, "description": "Iets anders."})
    found = await problem(response, 409)
    assert found["errors"][0]["loc"] == ["external_ref"]


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"address": {"postcode": "0123 AB", "house_number": 1}}, ["address", "postcode"]),
        ({"address": {"postcode": "2034 SS", "house_number": 1}}, ["address", "postcode"]),
        ({"address": {"postcode": "2034AB", "house_number": 0}}, ["address", "house_number"]),
        ({"address": {"postcode": "2034AB"}}, ["address", "house_number"]),
        ({"resident_informed": {"informed": False}}, ["resident_informed"]),
        ({"description": "x" * 2001}, ["description"]),
        ({"kind": "rent_arrears"}, ["kind"]),  # not a GP's kind
        ({"urgency": "asap"}, ["urgency"]),
        ({"surprise": True}, ["surprise"]),
    ],
)
async def test_invalid_fields_are_named(
    client: Client, haarlem: asyncpg.Pool, change: dict[str, Any], loc: list[str]
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    found = await problem(await post(client, token, make_signal(**change)), 422)
    assert loc in [error["loc"] for error in found["errors"]]
    assert all(error["msg"] for error in found["errors"])
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 0


async def test_body_that_is_not_an_object_is_invalid(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem)
    await problem(await post(client, token, [1, 2]), 422)


@pytest.mark.parametrize(
    "raw",
    [b"{", b'{"external_ref": ', b"\xff\xfe{}", b"   ", b"", b"nul", b"[" * 30000 + b"]" * 30000],
)
async def test_malformed_json_is_400(client: Client, haarlem: asyncpg.Pool, raw: bytes) -> None:
    _, token = await make_partner(haarlem)
    response = await client.post(
        "/api/v1/signals",
        data=raw,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    await problem(response, 400)


async def test_body_over_64_kib_is_413(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem)
    huge = make_signal(description="x" * (65 * 1024))
    await problem(await post(client, token, huge), 413)


async def test_body_over_64_kib_without_length_is_413(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem)

    async def chunks() -> Any:
        for _ in range(70):
            yield b"x" * 1024

    response = await client.post(
        "/api/v1/signals",
        data=chunks(),
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    await problem(response, 413)


@pytest.mark.parametrize("content_type", ["text/plain", "application/x-www-form-urlencoded", ""])
async def test_body_that_is_not_json_is_415(
    client: Client, haarlem: asyncpg.Pool, content_type: str
) -> None:
    _, token = await make_partner(haarlem)
    headers = bearer(token)
    if content_type:
        headers["Content-Type"] = content_type
    response = await client.post(
        "/api/v1/signals",
        data=json.dumps(make_signal()).encode(),
        headers=headers,
        skip_auto_headers=["Content-Type"],
    )
    await problem(response, 415)


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer shub_unknown", "Token abc"],
)
async def test_missing_or_unknown_token_is_401(
    client: Client, haarlem: asyncpg.Pool, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = await client.post("/api/v1/signals", json=make_signal(), headers=headers)
    await problem(response, 401)
    assert response.headers["WWW-Authenticate"] == "Bearer"


async def test_revoked_token_is_401(client: Client, haarlem: asyncpg.Pool) -> None:
    partner, token = await make_partner(haarlem)
    async with haarlem.acquire() as conn:
        await revoke_tokens(conn, partner)
    await problem(await post(client, token, make_signal()), 401)


async def test_a_token_in_use_stops_working_once_revoked(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings
) -> None:
    """A process trusts a checked token for `token_cache_seconds`, no longer."""
    app = create_app(settings.model_copy(update={"token_cache_seconds": 0.3}), dsn)
    async with TestClient(TestServer(app)) as client:
        partner, token = await make_partner(haarlem)
        assert (await post(client, token, make_signal())).status == 202
        async with haarlem.acquire() as conn:
            await revoke_tokens(conn, partner)
        await asyncio.sleep(0.4)
        await problem(await post(client, token, make_signal()), 401)


async def test_token_use_is_noted(client: Client, haarlem: asyncpg.Pool) -> None:
    partner, token = await make_partner(haarlem)
    await post(client, token, make_signal())
    async with haarlem.acquire() as conn:
        used = await conn.fetchval(
            "select last_used_at from api_tokens where partner_id = $1", partner.id
        )
    assert used is not None


async def test_admin_token_cannot_submit(client: Client, haarlem: asyncpg.Pool) -> None:
    await problem(await post(client, await make_admin_token(haarlem), make_signal()), 403)


async def test_another_partners_signal_is_404(client: Client, haarlem: asyncpg.Pool) -> None:
    _, owner = await make_partner(haarlem)
    _, other = await make_partner(haarlem)
    receipt = await (await post(client, owner, make_signal())).json()
    await problem(await client.get(f"/api/v1/signals/{receipt['id']}", headers=bearer(other)), 404)
    await problem(await client.get("/api/v1/signals/not-a-uuid", headers=bearer(owner)), 404)


async def test_unknown_route_and_method_are_problems(client: Client, haarlem: asyncpg.Pool) -> None:
    await problem(await client.get("/api/v1/nothing-here"), 404)
    response = await client.delete("/api/v1/signals")
    await problem(response, 405)
    assert "POST" in response.headers["Allow"]


async def test_team_inbox_is_newest_first_and_paged(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem)
    _, admin = await make_user(haarlem, "admin")
    refs = []
    for number in range(5):
        body = make_signal(address={"postcode": "2031AA", "house_number": number + 1})
        refs.append(body["external_ref"])
        assert (await post(client, token, body)).status == 202
    await post(client, token, make_signal(address={"postcode": "2011AA", "house_number": 1}))

    seen: list[dict[str, Any]] = []
    cursor = None
    for _ in range(3):
        params = {"limit": "2", **({"cursor": cursor} if cursor else {})}
        response = await client.get(
            "/api/v1/teams/SWT-HLM-OOST/signals", params=params, headers=bearer(admin)
        )
        assert response.status == 200
        page = await response.json()
        seen.extend(page["items"])
        cursor = page["next_cursor"]
    assert cursor is None
    numbers = [item["address"]["house_number"] for item in seen]
    assert numbers == [5, 4, 3, 2, 1]
    assert seen[0]["person"]["name"] == "J. de Vries"
    async with haarlem.acquire() as conn:
        logged = await conn.fetch("select subject, household_id, on_behalf_of from access_log")
    # One line per signal read, naming its household: five signals over three pages.
    assert sorted(row["subject"] for row in logged) == sorted(f"signal:{s['id']}" for s in seen)
    assert len({row["household_id"] for row in logged}) == 5
    assert {row["on_behalf_of"] for row in logged} == {"administration"}


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/api/v1/teams/NO-SUCH-TEAM/signals", 404),
        ("/api/v1/teams/SWT-HLM-OOST/signals?limit=0", 422),
        ("/api/v1/teams/SWT-HLM-OOST/signals?limit=abc", 422),
        ("/api/v1/teams/SWT-HLM-OOST/signals?cursor=%%%", 422),
        ("/api/v1/teams/SWT-HLM-OOST/signals?cursor=bm90LWEtY3Vyc29y", 422),
    ],
)
async def test_team_inbox_bad_requests(
    client: Client, haarlem: asyncpg.Pool, path: str, status: int
) -> None:
    _, admin = await make_user(haarlem, "admin")
    await problem(await client.get(path, headers=bearer(admin)), status)


async def test_team_inbox_needs_an_administrator_in_person(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem)
    path = "/api/v1/teams/SWT-HLM-OOST/signals"
    await problem(await client.get(path), 401)
    await problem(await client.get(path, headers=bearer(token)), 403)
    # The machine token manages deliveries; reading residents' data takes a named person.
    machine = await make_admin_token(haarlem)
    await problem(await client.get(path, headers=bearer(machine)), 403)


async def test_openapi_document_describes_the_api(client: Client) -> None:
    response = await client.get("/api/v1/openapi.json")
    assert response.status == 200
    document = await response.json()
    assert document["openapi"].startswith("3.1")
    post_signal = document["paths"]["/api/v1/signals"]["post"]
    assert set(post_signal["responses"]) >= {"202", "400", "401", "409", "413", "415", "422"}
    signal_in = document["components"]["schemas"]["SignalIn"]
    assert set(signal_in["required"]) == {
        "external_ref",
        "kind",
        "address",
        "resident_informed",
        "description",
    }
    assert "112" in document["info"]["description"]


async def test_health_and_readiness(client: Client) -> None:
    assert (await client.get("/healthz")).status == 200
    ready = await client.get("/readyz")
    assert ready.status == 200
    assert (await ready.json()) == {"status": "ready"}


async def test_home_page_warns_it_is_not_for_emergencies(client: Client) -> None:
    response = await client.get("/")
    text = await response.text()
    assert response.status == 200
    assert "112" in text
    assert "Veilig Thuis" in text


async def test_a_partner_over_its_rate_gets_429_with_retry_after(
    haarlem: asyncpg.Pool, dsn: str, settings: Any
) -> None:
    from aiohttp.test_utils import TestServer

    from hub.app import create_app

    slow = settings.model_copy(update={"partner_rate_per_minute": 6, "partner_rate_burst": 2})
    _, token = await make_partner(haarlem)
    _, other = await make_partner(haarlem)
    async with TestClient(TestServer(create_app(slow, dsn))) as limited:
        statuses = [(await post(limited, token, make_signal())).status for _ in range(3)]
        assert statuses == [202, 202, 429]
        refused = await post(limited, token, make_signal())
        found = await problem(refused, 429)
        assert found["title"] == "Too many requests"
        assert 1 <= int(refused.headers["Retry-After"]) <= 10
        assert (await post(limited, other, make_signal())).status == 202


async def test_every_api_route_is_in_the_openapi_document(client: Client) -> None:
    document = await (await client.get("/api/v1/openapi.json")).json()
    documented = {
        (method.upper(), path) for path, item in document["paths"].items() for method in item
    }
    served = {
        (route.method, route.resource.canonical)
        for route in client.server.app.router.routes()
        if route.resource is not None
        and route.resource.canonical.startswith("/api/v1/")
        and route.method != "HEAD"
        and route.resource.canonical != "/api/v1/openapi.json"
    }
    assert served == documented


async def test_a_field_named_twice_is_refused(client: Client, haarlem: asyncpg.Pool) -> None:
    """Parsers disagree on which of two equal keys counts; the hub takes neither."""
    _, token = await make_partner(haarlem)
    body = json.dumps(make_signal())[:-1] + ', "kind": "other"}'
    response = await client.post(
        "/api/v1/signals",
        data=body,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    assert "twice" in (await problem(response, 400))["detail"]
    nested = json.dumps(make_signal()).replace('"postcode"', '"postcode": "2011AA", "postcode"')
    response = await client.post(
        "/api/v1/signals",
        data=nested,
        headers={**bearer(token), "Content-Type": "application/json"},
    )
    await problem(response, 400)
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 0
