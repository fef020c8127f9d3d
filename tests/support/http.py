"""Talking to the hub as a client would: tokens, problem answers, cases."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp.test_utils import TestClient

Client = TestClient[Any, Any]


PROBLEM = "application/problem+json"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def post(client: Client, token: str, body: Any, **kwargs: Any) -> Any:
    return await client.post("/api/v1/signals", json=body, headers=bearer(token), **kwargs)


async def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status == status, await response.text()
    assert response.content_type == PROBLEM
    body: dict[str, Any] = await response.json()
    assert body["status"] == status
    assert {"type", "title", "detail"} <= body.keys()
    assert "Traceback" not in json.dumps(body)
    return body


async def cases_of(client: Client, token: str, tab: str = "open") -> list[dict[str, Any]]:
    response = await client.get("/api/v1/cases", params={"tab": tab}, headers=bearer(token))
    assert response.status == 200, await response.text()
    items: list[dict[str, Any]] = (await response.json())["items"]
    return items


async def act(client: Client, token: str, case_id: str, **action: Any) -> Any:
    return await client.post(f"/api/v1/cases/{case_id}/actions", json=action, headers=bearer(token))


def hidden(html: str, name: str) -> str:
    """The value of a hidden form field on a page."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no {name} in the page"
    return match.group(1)


def signal_form(page: str, **values: str) -> dict[str, str]:
    """What a partner posts from the signal form on `page`: a complete signal about a resident
    who was not told, with `values` instead where given."""
    body = {
        "csrf_token": hidden(page, "csrf_token"),
        "form_ref": hidden(page, "form_ref"),
        "kind": "care_concern",
        "urgency": "normal",
        "postcode": "2011 AA",
        "house_number": "5",
        "informed": "no",
        "reason": "Niet bereikbaar",
        "description": "Zorgen over welzijn.",
        "action": "send",
    }
    body.update(values)
    return body


async def log_in(client: Client, email: str, password: str) -> None:
    """Log in through the login page (its CSRF cookie and token), as a browser would."""
    page = await (await client.get("/inloggen")).text()
    response = await client.post(
        "/inloggen",
        data={"email": email, "password": password, "csrf_token": hidden(page, "csrf_token")},
        allow_redirects=False,
    )
    assert response.status == 303
