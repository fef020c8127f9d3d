"""Optional login through the municipality's single sign-on (OpenID Connect, authorization code
flow with PKCE). ID tokens are verified with `joserfc` (signature against the provider's JWKS,
issuer, audience, expiry, nonce). The provider only says who someone is: what they may do
comes from their account in the hub, matched by e-mail address; nobody is created on the fly.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import urlencode

import aiohttp
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

REQUEST_LIFETIME_SECONDS = 600
ALGORITHMS = ["RS256", "PS256", "ES256"]


class SsoError(Exception):
    """The sign-on did not prove who the person is; the message is for the log, not a person."""


@dataclass(frozen=True)
class Pending:
    """A sign-on in progress: what the callback must match (the state travels in a cookie)."""

    state: str
    nonce: str
    code_verifier: str


@dataclass
class Provider:
    issuer: str
    client_id: str
    client_secret: str
    scopes: str = "openid email"
    _metadata: dict[str, Any] | None = field(default=None, repr=False)
    _keys: KeySet | None = field(default=None, repr=False)

    async def metadata(self, session: aiohttp.ClientSession) -> dict[str, Any]:
        if self._metadata is None:
            url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
            found = await _get_json(session, url)
            if found.get("issuer") != self.issuer:
                raise SsoError("the provider's metadata names another issuer")
            self._metadata = found
        return self._metadata

    async def keys(self, session: aiohttp.ClientSession, *, refresh: bool = False) -> KeySet:
        if self._keys is None or refresh:
            url = (await self.metadata(session))["jwks_uri"]
            found = cast("KeySetSerialization", await _get_json(session, url))
            self._keys = KeySet.import_key_set(found)
        return self._keys

    async def start(self, session: aiohttp.ClientSession, redirect_uri: str) -> tuple[str, Pending]:
        """Where to send the browser, and what to keep for the callback."""
        pending = Pending(
            secrets.token_urlsafe(32), secrets.token_urlsafe(32), secrets.token_urlsafe(48)
        )
        challenge = (
            base64.urlsafe_b64encode(hashlib.sha256(pending.code_verifier.encode()).digest())
            .rstrip(b"=")
            .decode()
        )
        query = urlencode(
            {
                "response_type": "code",
                "client_id": self.client_id,
                "redirect_uri": redirect_uri,
                "scope": self.scopes,
                "state": pending.state,
                "nonce": pending.nonce,
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{(await self.metadata(session))['authorization_endpoint']}?{query}", pending

    async def finish(
        self, session: aiohttp.ClientSession, code: str, redirect_uri: str, pending: Pending
    ) -> dict[str, Any]:
        """Exchange the code for an ID token and return its verified claims."""
        endpoint = (await self.metadata(session))["token_endpoint"]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "code_verifier": pending.code_verifier,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
        }
        async with session.post(endpoint, data=form) as response:
            if response.status != 200:
                raise SsoError(f"the token endpoint answered {response.status}")
            answer = await response.json(content_type=None)
        id_token = answer.get("id_token") if isinstance(answer, dict) else None
        if not isinstance(id_token, str):
            raise SsoError("the token endpoint gave no ID token")
        return await self._verify(session, id_token, pending.nonce)

    async def _verify(
        self, session: aiohttp.ClientSession, id_token: str, nonce: str
    ) -> dict[str, Any]:
        try:
            try:
                token = jwt.decode(id_token, await self.keys(session), algorithms=ALGORITHMS)
            except JoseError:  # perhaps signed with a key the provider added since
                keys = await self.keys(session, refresh=True)
                token = jwt.decode(id_token, keys, algorithms=ALGORITHMS)
            jwt.JWTClaimsRegistry(
                now=int(time.time()),
                leeway=60,
                iss={"essential": True, "value": self.issuer},
                aud={"essential": True, "value": self.client_id},
                exp={"essential": True},
                nonce={"essential": True, "value": nonce},
                sub={"essential": True},
            ).validate(token.claims)
        except (JoseError, ValueError) as error:
            raise SsoError(f"the ID token does not hold: {type(error).__name__}") from None
        claims: dict[str, Any] = dict(token.claims)
        return claims


def email_of(claims: dict[str, Any]) -> str:
    """The verified e-mail address the person signed on with."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        raise SsoError("the ID token carries no e-mail address")
    # Accounts are matched by e-mail address, so an address the provider has not verified (or
    # says nothing about) could be anyone's: only a verified one signs on.
    if claims.get("email_verified") is not True:
        raise SsoError("the provider has not verified the e-mail address")
    return email


async def _get_json(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    async with session.get(url) as response:
        if response.status != 200:
            raise SsoError(f"{url} answered {response.status}")
        found = await response.json(content_type=None)
    if not isinstance(found, dict):
        raise SsoError(f"{url} gave no JSON object")
    return found
