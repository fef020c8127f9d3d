"""Hostile bodies on every route that takes one: oversized, deeply nested, wrongly encoded,
malformed, of the wrong type. Each is refused with a clear 4xx (problem+json on the API, an
OperationOutcome on FHIR, a Dutch page on the pages), never a 5xx; and SQL or markup in a text
field is stored and given back verbatim."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from hub.platform.config import Settings
from hub.web.access import allowed_roles
from tests.support.access import ROUTES, callers, concrete, is_api
from tests.support.factories import make_partner, make_signal, make_user
from tests.support.http import bearer, cases_of

Client = TestClient[Any, Any]
LIMIT = 64 * 1024
DEEP = 20_000


def hostile_bodies() -> dict[str, tuple[str, bytes]]:
    return {
        "oversized": ("application/json", b'{"description": "' + b"x" * (LIMIT * 2) + b'"}'),
        "oversized form": ("application/x-www-form-urlencoded", b"reason=" + b"x" * (LIMIT * 2)),
        "deeply nested": ("application/json", b"[" * DEEP + b"]" * DEEP),
        "deeply nested object": ("application/json", b'{"a":' * DEEP + b"1" + b"}" * DEEP),
        "nested just under the parser's limit": (
            "application/json",
            b'{"resourceType": "ServiceRequest", "kind": "other", "note": '
            + b'[{"text": ' * 450
            + b'"x"'
            + b"}]" * 450
            + b"}",
        ),
        "invalid utf-8": ("application/json", b'{"description": "\xff\xfe\xc3"}'),
        "utf-16": ("application/json", json.dumps({"kind": "other"}).encode("utf-16")),
        "truncated": ("application/json", b'{"kind": "care_concern", "address": {'),
        "not an object": ("application/json", b'"just a string"'),
        "null byte": ("application/json", b'{"description": "a\\u0000b"}'),
        "wrong type": ("text/xml", b"<signal><kind>other</kind></signal>"),
        "csv with a null byte": ("text/csv", b"Postcode;Huisnummer\n2031AA;1\x00\n"),
        "form junk": ("application/x-www-form-urlencoded", b"%zz=%%&&==&csrf_token=%ff"),
        "multipart junk": ("multipart/form-data; boundary=x", b"--x\r\nContent-Disp"),
    }


@pytest.fixture
async def small_client(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings
) -> AsyncIterator[Client]:
    """The app with the batch limit lowered to the signal limit, so an oversized body is cheap
    to send on every route."""
    small = settings.model_copy(update={"max_batch_bytes": LIMIT})
    async with TestClient(TestServer(create_app(small, dsn))) as client:
        yield client


@pytest.mark.slow
async def test_hostile_bodies_are_refused_clearly_on_every_route(
    small_client: Client, haarlem: asyncpg.Pool
) -> None:
    everyone = await callers(haarlem)
    client = small_client
    changing = sorted(
        (m, r) for m, r in ROUTES if m == "POST" and r != "/uitloggen"
    )  # logging out takes no body worth the name
    assert len(changing) >= 10
    for method, route in changing:
        allowed = allowed_roles(method, route)
        caller = next(c for c in everyone if c.role in allowed)
        for name, (content_type, body) in hostile_bodies().items():
            client.session.cookie_jar.clear()
            client.session.cookie_jar.update_cookies(caller.cookies)
            headers = {**caller.headers, "Content-Type": content_type}
            path = concrete(route)
            response = await client.request(
                method, path, data=body, headers=headers, allow_redirects=False
            )
            where = f"{name} -> {method} {route} as {caller.role}: {response.status}"
            text = await response.text()
            assert response.status < 500, f"{where}\n{text[:300]}"
            if response.status < 300:
                continue  # a body this route ignores, or accepted as what it says it is
            if route.startswith("/fhir"):
                assert response.content_type == "application/fhir+json", where
            elif is_api(path):
                assert response.content_type == "application/problem+json", where
            elif response.status != 303:
                assert response.content_type == "text/html", where


async def test_sql_and_markup_are_stored_and_given_back_verbatim(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem)
    _, member = await make_user(haarlem, "member", "SWT-HLM-OOST")
    hostile = "'); drop table signals; -- <script>alert(1)</script> \\ % _ \u202e ñ 🚑"
    body = make_signal(
        description=hostile,
        person={"name": hostile[:200]},
        resident_informed={"informed": False, "reason": hostile},
        address={"postcode": "2031AA", "house_number": 5},
    )
    response = await client.post("/api/v1/signals", json=body, headers=bearer(token))
    assert response.status == 202, await response.text()
    (case,) = await cases_of(client, member)
    view = await (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(member))).json()
    (signal,) = view["signals"]
    assert signal["description"] == hostile
    assert signal["person_name"] == hostile[:200]
    assert signal["resident_informed"]["reason"] == hostile
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 1
