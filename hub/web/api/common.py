"""What the API's handlers share: JSON answers and paging parameters."""

from __future__ import annotations

import json

from aiohttp import web
from pydantic import BaseModel

from hub.platform.errors import InvalidFields
from schemas.address import ascii_number


def json_response(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=model.model_dump_json(),
        content_type="application/json",
        headers=headers,
    )


def plain_json(value: object, status: int = 200) -> web.Response:
    """A JSON answer of plain values (dates and ids as text)."""
    return web.json_response(value, status=status, dumps=lambda v: json.dumps(v, default=str))


def bounded_int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    """A whole-number query parameter within [low, high]; anything else is InvalidFields."""
    raw = request.query.get(name, str(default))
    if not ascii_number(raw) or not low <= int(raw) <= high:
        message = f"{name} is a whole number from {low} to {high}"
        raise InvalidFields(message, errors=[{"loc": [name], "msg": message}])
    return int(raw)
