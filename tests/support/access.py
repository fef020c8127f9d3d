"""One caller per role, and every route of the app with its path made concrete."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field

import asyncpg

from hub.app import create_app
from hub.directory.accounts import create_user
from hub.platform.config import Settings
from tests.support.factories import OOST, make_admin_token, make_partner, make_user, signed_in

PASSWORD = "wachtwoord-123"


def app_routes() -> list[tuple[str, str]]:
    app = create_app(Settings(scheduler=False), "postgresql://unused")
    return sorted(
        {
            (route.method, route.resource.canonical)
            for route in app.router.routes()
            if route.resource is not None and route.method != "HEAD"
        }
    )


ROUTES = app_routes()


@dataclass
class Caller:
    """One caller per role; `admin_token` is the administrator's machine token."""

    role: str
    headers: dict[str, str] = field(default_factory=dict)
    cookies: dict[str, str] = field(default_factory=dict)


async def callers(pool: asyncpg.Pool) -> list[Caller]:
    partner, partner_token = await make_partner(pool)
    result = [
        Caller("anonymous"),
        Caller("partner_token", headers={"Authorization": f"Bearer {partner_token}"}),
        Caller("admin_token", headers={"Authorization": f"Bearer {await make_admin_token(pool)}"}),
    ]
    partner_user = await create_user(
        pool, f"p-{uuid.uuid4().hex[:6]}@example.invalid", PASSWORD, "partner", partner
    )
    people = [partner_user]
    for role in ("member", "lead", "coordinator", "manager", "admin"):
        user, _ = await make_user(pool, role, OOST if role in ("member", "lead") else None)
        people.append(user)
    for user in people:
        session = await signed_in(pool, user.email, PASSWORD)
        assert session is not None
        result.append(
            Caller(
                user.role,
                headers={"X-CSRF-Token": session.csrf_token},
                cookies={"hub_session": session.token},
            )
        )
    return result


def concrete(route: str) -> str:
    return (
        route.replace("{id}", str(uuid.uuid4()))
        .replace("{vid}", "1")
        .replace("{code}", OOST)
        .replace("{token}", "A" * 43)
        .replace("/static", "/static/hub.css")
    )


def is_api(path: str) -> bool:
    return path.startswith(("/api/", "/fhir"))
