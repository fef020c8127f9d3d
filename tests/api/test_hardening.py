"""Headers on every response (redirects and errors too), and /metrics kept to who may see it."""

from __future__ import annotations

import gzip
import re
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from hub.app import create_app
from hub.platform.config import Settings
from tests.support.factories import make_partner
from tests.support.http import bearer

Client = TestClient[Any, Any]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/inloggen", 200),  # a page
        ("/signalen", 303),  # a redirect to the login page
        ("/api/v1/signals/00000000-0000-0000-0000-000000000000", 401),  # an API error
        ("/bestaat-niet", 404),
        ("/api/v1/openapi.json", 200),
    ],
)
async def test_every_response_is_hardened(client: Client, path: str, status: int) -> None:
    response = await client.get(path, allow_redirects=False)
    assert response.status == status
    headers = response.headers
    assert headers["Cache-Control"] == "no-store"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["Server"] == "signal-hub"  # no software or version to look up flaws for
    assert "Strict-Transport-Security" not in headers  # plain HTTP here: no TLS to insist on


async def test_static_files_may_be_cached_and_tls_is_insisted_on_behind_a_proxy(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings
) -> None:
    behind_tls = settings.model_copy(update={"secure_cookies": True})
    async with TestClient(TestServer(create_app(behind_tls, dsn))) as client:
        static = await client.get("/static/hub.css")
        assert static.status == 200
        assert "no-store" not in static.headers.get("Cache-Control", "")
        page = await client.get("/inloggen")
        assert page.headers["Strict-Transport-Security"].startswith("max-age=")


async def test_pages_link_the_nl_design_system_served_compressed_and_kept_by_digest(
    client: Client,
) -> None:
    page = await (await client.get("/inloggen")).text()
    sheets = re.findall(r'<link rel="stylesheet" href="([^"]+)"', page)
    assert [sheet.split("?")[0] for sheet in sheets] == [
        "/static/nlds/voorbeeld-theme.css",
        "/static/nlds/utrecht-components.css",
        "/static/nlds/utrecht-html.css",
        "/static/hub.css",
    ]
    for sheet in sheets:
        served = await client.get(sheet, headers={"Accept-Encoding": "gzip"}, auto_decompress=False)
        assert served.status == 200
        assert served.headers["Cache-Control"] == "public, max-age=31536000, immutable"
        if "/nlds/" in sheet:
            assert served.headers["Content-Encoding"] == "gzip"  # 400 KB would be 32 KB
            assert b"--utrecht-" in gzip.decompress(await served.read())
    # The licences travel with the vendored files; an unversioned address is not kept forever.
    for licence in ("LICENSE-utrecht.md", "LICENSE-voorbeeld-design-tokens.md"):
        served = await client.get(f"/static/nlds/{licence}")
        assert "EUPL" in await served.text()
        assert "immutable" not in served.headers.get("Cache-Control", "")


async def test_metrics_need_a_token_beyond_loopback(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings
) -> None:
    # The app thinks it listens on every address (the test server itself stays on loopback).
    exposed = settings.model_copy(update={"host": "0.0.0.0"})  # noqa: S104
    async with TestClient(TestServer(create_app(exposed, dsn))) as client:
        assert (await client.get("/metrics")).status == 403
    guarded = exposed.model_copy(update={"metrics_token": SecretStr("scrape-me")})
    async with TestClient(TestServer(create_app(guarded, dsn))) as client:
        assert (await client.get("/metrics")).status == 401
        _, partner_token = await make_partner(haarlem)
        assert (await client.get("/metrics", headers=bearer(partner_token))).status == 401
        assert (await client.get("/metrics", headers=bearer("scrape-me"))).status == 200
