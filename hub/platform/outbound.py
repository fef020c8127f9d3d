"""Requests the hub makes to addresses partners gave it (webhooks): only to the public internet.

A partner registers a URL; the hub then posts to it from inside the municipality's network. Left
unchecked, that URL could name the database server, a cloud metadata service or the hub
itself. So a target must be `https` (plain `http` only with `allow_http`, for development) and
every address its host resolves to must be global: no loopback, private, link-local, shared,
reserved or multicast address (`allow_private` lifts this, for development and tests on
loopback). The check runs when a URL is registered and again on every request, on the addresses
the connection will actually use: `GuardedResolver` is the resolver of the client session, so a
name that resolves to a public address at registration and to an internal one later (DNS
rebinding) is refused before any connection is made. Redirects are never followed.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from aiohttp.resolver import ThreadedResolver

if TYPE_CHECKING:
    from types import TracebackType

    from hub.platform.config import Settings

MAX_URL_LENGTH = 2000


class RefusedTarget(ValueError):
    """A URL the hub will not send to; the message says why (it names no address it resolved)."""


@dataclass(frozen=True)
class OutboundRules:
    allow_http: bool = False
    allow_private: bool = False


def refused_address(address: str) -> str | None:
    """Why the hub must not connect to `address` (an IP literal), or None if it may."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return "is not an IP address"
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour or (ip.teredo[1] if ip.teredo else None)
        if embedded is not None:
            ip = embedded
    if ip.is_loopback:
        return "is a loopback address"
    if ip.is_link_local:
        return "is a link-local address"
    if ip.is_multicast:
        return "is a multicast address"
    if ip.is_private or not ip.is_global:
        return "is not a public address"
    return None


def _literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


def check_url(url: str, rules: OutboundRules) -> str:
    """The host of `url` if its form is allowed; the addresses are checked separately."""
    if len(url) > MAX_URL_LENGTH:
        raise RefusedTarget(f"the URL is longer than {MAX_URL_LENGTH} characters")
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in url):
        raise RefusedTarget("the URL holds spaces or control characters")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as error:
        raise RefusedTarget(f"the URL cannot be read ({error})") from None
    allowed = ("https", "http") if rules.allow_http else ("https",)
    if parts.scheme not in allowed:
        raise RefusedTarget(
            "the URL must start with https://"
            if not rules.allow_http
            else "the URL must start with https:// or http://"
        )
    if parts.username is not None or parts.password is not None:
        raise RefusedTarget("the URL must not hold a user name or password")
    if parts.fragment:
        raise RefusedTarget("the URL must not hold a fragment (#...)")
    host = parts.hostname
    if not host:
        raise RefusedTarget("the URL names no host")
    if port == 0:
        raise RefusedTarget("the URL names port 0")
    if not rules.allow_private and _literal(host):
        reason = refused_address(host)
        if reason:
            raise RefusedTarget(f"the host {reason}")
    return host


async def check_target(url: str, rules: OutboundRules) -> None:
    """Refuse `url` unless its form is allowed and every address its host has now is public;
    nothing is sent to it."""
    host = check_url(url, rules)
    if rules.allow_private or _literal(host):
        return
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise RefusedTarget(f"the host {host} cannot be found") from None
    for info in infos:
        reason = refused_address(str(info[4][0]))
        if reason:
            raise RefusedTarget(f"the host {host} resolves to an address that {reason}")


class GuardedResolver(AbstractResolver):
    """Resolves through the system resolver and drops every address `refused_address` refuses;
    a host left with none fails as unresolvable, before a connection is tried."""

    def __init__(self) -> None:
        self._resolver = ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._resolver.resolve(host, port, family)
        allowed = [result for result in found if refused_address(result["host"]) is None]
        if not allowed:
            raise OSError(f"{host} has no public address")
        return allowed

    async def close(self) -> None:
        await self._resolver.close()


class OutboundClient:
    """The one HTTP client for partners' URLs: refuses what `rules` refuse, at most `in_flight`
    connections at once, no redirects, no proxy from the environment, no cookies."""

    def __init__(self, rules: OutboundRules, *, in_flight: int = 8) -> None:
        self.rules = rules
        self.in_flight = in_flight
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> OutboundClient:
        connector = aiohttp.TCPConnector(
            resolver=None if self.rules.allow_private else GuardedResolver(),
            limit=self.in_flight,
            limit_per_host=self.in_flight,
        )
        self._session = aiohttp.ClientSession(
            connector=connector,
            trust_env=False,
            cookie_jar=aiohttp.DummyCookieJar(),
            headers={"User-Agent": "signal-hub"},
        )
        return self

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def post(
        self, url: str, body: bytes, headers: dict[str, str], timeout_seconds: float
    ) -> str | None:
        """Post `body`; None if the receiver took it (2xx), else what went wrong, in words that
        name no address (a 3xx counts as failure: redirects are not followed)."""
        if self._session is None:
            raise RuntimeError("use the client inside `async with`")
        try:
            check_url(url, self.rules)
        except RefusedTarget as refused:
            return f"refused: {refused}"
        try:
            async with self._session.post(
                url,
                data=body,
                headers=headers,
                allow_redirects=False,
                timeout=aiohttp.ClientTimeout(total=timeout_seconds),
            ) as response:
                if response.status >= 300:
                    return f"HTTP {response.status}"
        except (aiohttp.ClientError, TimeoutError, OSError) as failure:
            return type(failure).__name__
        return None


def rules_of(settings: Settings) -> OutboundRules:
    return OutboundRules(
        allow_http=settings.webhook_allow_http, allow_private=settings.webhook_allow_private
    )
