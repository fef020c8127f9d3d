"""Administrators: messages the outbox gave up on, and who read a household's data."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime

from aiohttp import web
from pydantic import ValidationError

from hub.directory.service import partner_names
from hub.platform import outbox
from hub.platform.errors import NotFound
from hub.privacy.audit import household_access_log
from hub.web.access import principal_of
from hub.web.api.common import json_response, plain_json
from hub.web.appkeys import POOL
from hub.web.problems import invalid_fields
from schemas.address import Address, ascii_number

routes = web.RouteTableDef()


@routes.get("/api/v1/admin/deliveries")
async def get_dead_deliveries(request: web.Request) -> web.Response:
    pool = request.app[POOL]
    dead = await outbox.dead_letters(pool)
    names = await partner_names(pool, [d.partner_id for d in dead if d.partner_id])
    return plain_json(
        {
            "dead": [
                {
                    **asdict(letter),
                    "partner": names.get(letter.partner_id) if letter.partner_id else None,
                }
                for letter in dead
            ]
        }
    )


@routes.post("/api/v1/admin/deliveries/{id}/retry")
async def post_retry_delivery(request: web.Request) -> web.Response:
    raw = request.match_info["id"]
    if not ascii_number(raw) or not await outbox.retry(
        request.app[POOL], int(raw), datetime.now(UTC)
    ):
        raise NotFound("no undeliverable message with that id")
    return web.json_response({"status": "queued"}, status=202)


def _address_of_query(request: web.Request) -> Address:
    """The address in the query string (postcode, house_number, house_letter, addition)."""
    query = request.query
    number = query.get("house_number", "")
    fields: dict[str, object] = {
        "postcode": query.get("postcode"),
        "house_number": int(number) if ascii_number(number) else number or None,
        "house_letter": query.get("house_letter") or None,
        "addition": query.get("addition") or None,
    }
    try:
        return Address.model_validate(fields)
    except ValidationError as error:
        raise invalid_fields(error) from None


@routes.get("/api/v1/admin/access-log")
async def get_household_access_log(request: web.Request) -> web.Response:
    """Who read or changed one household's data: for a resident's request (AVG art. 15)."""
    address = _address_of_query(request)
    actor = principal_of(request).actor
    return json_response(await household_access_log(request.app[POOL], actor, address))
