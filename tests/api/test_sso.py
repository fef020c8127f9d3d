"""Single sign-on against a real OpenID provider on loopback: discovery, authorization code with
PKCE, an RS256-signed ID token checked against the provider's JWKS. The provider below is a small
but honest one: it checks the client, the redirect URI and the PKCE verifier, and signs tokens
with its own key. Knobs let a test make it lie (another audience, a stale token, a forged key)."""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlparse

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from joserfc import jwt
from joserfc.jwk import RSAKey
from pydantic import SecretStr

from hub.app import create_app
from hub.platform.config import Settings
from tests.support.factories import make_user

CLIENT_ID = "signaalhub"
CLIENT_SECRET = "s3cret-for-the-test-provider"


@dataclass
class Provider:
    """An OpenID provider that signs in whoever `email` says."""

    email: str = ""
    claims: dict[str, Any] = field(default_factory=dict)  # overrides, to make it lie
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "a"}))
    signing_key: RSAKey | None = None  # another key than the published one
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    issuer: str = ""

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/.well-known/openid-configuration", self.discovery)
        app.router.add_get("/authorize", self.authorize)
        app.router.add_post("/token", self.token)
        app.router.add_get("/jwks", self.jwks)
        return app

    async def discovery(self, request: web.Request) -> web.Response:
        return web.json_response(
            {
                "issuer": self.issuer,
                "authorization_endpoint": f"{self.issuer}/authorize",
                "token_endpoint": f"{self.issuer}/token",
                "jwks_uri": f"{self.issuer}/jwks",
                "response_types_supported": ["code"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "code_challenge_methods_supported": ["S256"],
            }
        )

    async def authorize(self, request: web.Request) -> web.Response:
        query = request.query
        assert query["client_id"] == CLIENT_ID
        assert query["response_type"] == "code"
        assert query["code_challenge_method"] == "S256"
        assert "openid" in query["scope"].split()
        code = secrets.token_urlsafe(16)
        self.codes[code] = {
            "nonce": query["nonce"],
            "challenge": query["code_challenge"],
            "redirect_uri": query["redirect_uri"],
        }
        back = f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
        raise web.HTTPFound(back)

    async def token(self, request: web.Request) -> web.Response:
        form = await request.post()
        grant = self.codes.pop(str(form.get("code")), None)
        verifier = str(form.get("code_verifier", ""))
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        if (
            grant is None
            or form.get("client_id") != CLIENT_ID
            or form.get("client_secret") != CLIENT_SECRET
            or form.get("redirect_uri") != grant["redirect_uri"]
            or challenge != grant["challenge"]
        ):
            return web.json_response({"error": "invalid_grant"}, status=400)
        now = int(time.time())
        claims = {
            "iss": self.issuer,
            "sub": "medewerker-1",
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + 300,
            "nonce": grant["nonce"],
            "email": self.email,
            "email_verified": True,
            **self.claims,
        }
        key = self.signing_key or self.key
        id_token = jwt.encode({"alg": "RS256", "kid": "a"}, claims, key)
        return web.json_response(
            {"access_token": "at", "token_type": "Bearer", "id_token": id_token}
        )

    async def jwks(self, request: web.Request) -> web.Response:
        return web.json_response({"keys": [self.key.as_dict(private=False)]})


@pytest.fixture
async def provider() -> AsyncIterator[Provider]:
    found = Provider()
    server = TestServer(found.app())
    await server.start_server()
    found.issuer = str(server.make_url("")).rstrip("/")
    yield found
    await server.close()


@pytest.fixture
async def hub(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings, provider: Provider
) -> AsyncIterator[TestServer]:
    configured = settings.model_copy(
        update={
            "oidc_issuer": provider.issuer,
            "oidc_client_id": CLIENT_ID,
            "oidc_client_secret": SecretStr(CLIENT_SECRET),
        }
    )
    server = TestServer(create_app(configured, dsn))
    await server.start_server()
    yield server
    await server.close()


async def sign_on(hub: TestServer) -> tuple[aiohttp.ClientResponse, str, aiohttp.ClientSession]:
    """Follow the whole round trip as a browser would; returns the last answer and its body."""
    session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    response = await session.get(hub.make_url("/inloggen/sso"))
    return response, await response.text(), session


async def test_a_known_person_signs_on_and_gets_a_session(
    hub: TestServer, provider: Provider, haarlem: asyncpg.Pool
) -> None:
    member, _ = await make_user(haarlem, "member", "SWT-HLM-OOST")
    provider.email = member.email.upper()  # e-mail addresses compare case-insensitively
    login_page = await aiohttp.ClientSession().get(hub.make_url("/inloggen"))
    assert "Inloggen met uw gemeente-account" in await login_page.text()
    response, body, session = await sign_on(hub)
    try:
        assert response.status == 200, body
        assert response.url.path == "/inbox"
        assert "Inbox Sociaal Wijkteam Oost" in body
        assert [r.status for r in response.history][-1] == 303
        assert "hub_session" in {c.key for c in session.cookie_jar}
        assert "hub_sso" not in {c.key for c in session.cookie_jar if c.value}
    finally:
        await session.close()
        await login_page.release()


@pytest.mark.parametrize(
    ("lie", "value"),
    [
        ("aud", "another-client"),
        ("iss", "https://evil.example"),
        ("exp", int(time.time()) - 3600),
        ("nonce", "replayed"),
        ("email_verified", False),
        ("email_verified", None),  # the provider says nothing about it
        ("email_verified", "true"),  # a string is not a verification
        ("signing_key", None),
    ],
)
async def test_a_token_that_does_not_hold_gives_no_session(
    hub: TestServer, provider: Provider, haarlem: asyncpg.Pool, lie: str, value: Any
) -> None:
    member, _ = await make_user(haarlem, "member", "SWT-HLM-OOST")
    provider.email = member.email
    if lie == "signing_key":
        provider.signing_key = RSAKey.generate_key(2048, parameters={"kid": "a"})
    else:
        provider.claims[lie] = value
    response, body, session = await sign_on(hub)
    try:
        assert response.status == 401, body
        assert "niet gelukt" in body
        assert "hub_session" not in {c.key for c in session.cookie_jar}
    finally:
        await session.close()


async def test_a_stranger_or_a_forged_callback_gets_no_session(
    hub: TestServer, provider: Provider
) -> None:
    provider.email = "onbekend@gemeente.example"
    response, body, session = await sign_on(hub)
    try:
        assert response.status == 403, body
        assert "geen account in de signaalhub" in body
    finally:
        await session.close()
    # A callback without the browser's own pending sign-on (login CSRF) is refused.
    async with aiohttp.ClientSession() as stranger:
        forged = await stranger.get(
            hub.make_url("/inloggen/sso/terug"), params={"code": "x", "state": "y"}
        )
        assert forged.status == 400
    # The state in the callback must be the one this browser set out with.
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as browser:
        started = await browser.get(hub.make_url("/inloggen/sso"), allow_redirects=False)
        location = urlparse(started.headers["Location"])
        state = parse_qs(location.query)["state"][0]
        swapped = await browser.get(
            hub.make_url("/inloggen/sso/terug"), params={"code": "x", "state": state + "x"}
        )
        assert swapped.status == 400


async def test_without_configuration_there_is_no_sign_on(
    client: Any,
) -> None:
    response = await client.get("/inloggen/sso", allow_redirects=False)
    assert response.status == 404
    assert "gemeente-account" not in await (await client.get("/inloggen")).text()
