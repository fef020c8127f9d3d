"""The access matrix, walked whole: every route against every role.

A probe middleware placed after the access control records which requests reached a handler;
a request reaches one exactly when the matrix lets the caller's role through. Refusals answer as
documented: 401 or the login page for anonymous callers, 404 for pages and resources that are
not for the caller, 403 for API operations not for the caller's role.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.app import create_app
from hub.platform.config import Settings
from hub.web.access import MATRIX, ROLES, allowed_roles
from tests.support.access import ROUTES, callers, concrete, is_api

OOST = "SWT-HLM-OOST"


def test_the_matrix_names_every_route_and_nothing_else() -> None:
    assert set(MATRIX) == set(ROUTES)
    assert all(roles <= set(ROLES) for roles in MATRIX.values())


def test_a_route_missing_from_the_matrix_is_refused_to_everyone() -> None:
    assert allowed_roles("GET", "/api/v1/not-in-the-matrix") == frozenset()
    assert allowed_roles("DELETE", "/api/v1/signals/{id}") == frozenset()
    assert allowed_roles("HEAD", "/healthz") == allowed_roles("GET", "/healthz")


@dataclass
class Probe:
    reached: list[tuple[str, str]] = field(default_factory=list)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[Any]]
    ) -> Any:
        route = request.match_info.route
        if route.resource is not None:
            self.reached.append((request.method, route.resource.canonical))
        return await handler(request)


@pytest.fixture
async def probed(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings
) -> AsyncIterator[tuple[TestClient[Any, Any], Probe]]:
    app = create_app(settings, dsn)
    probe = Probe()
    app.middlewares.append(probe.middleware)  # innermost: after the access control
    async with TestClient(TestServer(app)) as client:
        yield client, probe


@pytest.mark.slow
async def test_each_role_reaches_each_route_exactly_when_the_matrix_allows(
    probed: tuple[TestClient[Any, Any], Probe], haarlem: asyncpg.Pool
) -> None:
    client, probe = probed
    everyone = await callers(haarlem)
    # Logging out ends the sessions, so that route comes last.
    for method, route in sorted(ROUTES, key=lambda r: r == ("POST", "/uitloggen")):
        allowed = allowed_roles(method, route)
        for caller in everyone:
            probe.reached.clear()
            client.session.cookie_jar.clear()
            client.session.cookie_jar.update_cookies(caller.cookies)
            path = concrete(route)
            response = await client.request(
                method, path, headers=caller.headers, allow_redirects=False
            )
            reached = probe.reached == [(method, route)]
            where = f"{caller.role} {method} {path}: {response.status}"
            if caller.role in allowed:
                assert reached, where
                continue
            assert not reached, where
            if caller.role == "anonymous":
                if is_api(path):
                    assert response.status == 401, where
                else:
                    assert response.status == 303, where
                    assert response.headers["Location"] == "/inloggen", where
            elif not is_api(path) or "{id}" in route:
                assert response.status == 404, where
            else:
                assert response.status == 403, where


async def test_a_changing_request_in_a_session_needs_its_csrf_token(
    probed: tuple[TestClient[Any, Any], Probe], haarlem: asyncpg.Pool
) -> None:
    client, probe = probed
    by_role = {caller.role: caller for caller in await callers(haarlem) if caller.cookies}
    changing = [
        (m, r)
        for m, r in ROUTES
        if m != "GET" and r != "/inloggen" and allowed_roles(m, r) & set(by_role)
    ]
    assert len(changing) >= 5
    for method, route in changing:
        role = sorted(allowed_roles(method, route) & set(by_role))[0]
        client.session.cookie_jar.clear()
        client.session.cookie_jar.update_cookies(by_role[role].cookies)
        for headers in ({}, {"X-CSRF-Token": "forged"}):
            probe.reached.clear()
            response = await client.request(
                method, concrete(route), headers=headers, data={"csrf_token": "forged"}
            )
            assert response.status == 403, (method, route, headers)
            assert probe.reached == [], (method, route, headers)


def test_the_matrix_keeps_residents_data_to_those_who_work_with_it() -> None:
    """The matrix itself, read as a privacy officer would: who may see residents' data."""
    residents_data = {
        ("GET", "/api/v1/cases"): {"member", "lead"},
        ("GET", "/api/v1/cases/{id}"): {"member", "lead"},
        ("GET", "/inbox"): {"member", "lead"},
        ("GET", "/inbox/zaken/{id}"): {"member", "lead"},
        ("GET", "/coordinator"): {"coordinator"},
        ("GET", "/api/v1/teams/{code}/signals"): {"admin"},
        ("GET", "/api/v1/admin/access-log"): {"admin"},
        # A partner's own referrals as it sent them (its system's token; each read logged).
        ("GET", "/fhir/ServiceRequest"): {"partner_token"},
        ("GET", "/fhir/ServiceRequest/{id}"): {"partner_token"},
        ("GET", "/fhir/ServiceRequest/{id}/_history/{vid}"): {"partner_token"},
    }
    # The machine token of an administrator reads no resident's data: every read names a person.
    assert not [key for key in residents_data if "admin_token" in MATRIX[key]]
    for key, roles in residents_data.items():
        assert MATRIX[key] == roles, key
    open_to_all = {key for key, roles in MATRIX.items() if "anonymous" in roles}
    assert open_to_all == {
        ("GET", "/healthz"),
        ("GET", "/readyz"),
        ("GET", "/metrics"),
        ("GET", "/api/v1/openapi.json"),
        ("GET", "/fhir/metadata"),
        ("GET", "/static"),
        ("GET", "/"),
        ("GET", "/inloggen"),
        ("POST", "/inloggen"),
        ("GET", "/inloggen/sso"),
        ("GET", "/inloggen/sso/terug"),
        # The partner survey, through a partner's personal link: the link's token is the key.
        ("GET", "/enquete/{token}"),
        ("POST", "/enquete/{token}"),
        ("POST", "/enquete/{token}/intrekken"),
    }
    # Managers see figures about the network, never a household.
    for_managers = {
        route
        for (_, route), roles in MATRIX.items()
        if "manager" in roles and "anonymous" not in roles
    }
    assert for_managers == {
        "/api/v1/metrics/feedback",
        "/api/v1/network",
        "/api/v1/metrics/teams",
        "/beheer/terugkoppeling",
        "/beheer/netwerk",
        "/beheer/teams",
        "/api/v1/surveys",
        "/api/v1/surveys/{id}/results",
        "/beheer/tevredenheid",
        "/uitloggen",
    }
