"""The partner and team API under /api/v1: thin handlers over the services."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from uuid import UUID

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub import cases
from hub.audit import household_access_log
from hub.batches import batch_view, process_batch, receive_batch
from hub.errors import BadRequest, InvalidFields, NotFound, UnsupportedMediaType
from hub.feedback import compliance
from hub.intake import policy_of
from hub.signals import partner_signal, team_inbox
from hub.store import feedback as feedback_store
from hub.web.access import partner_of, principal_of, user_of
from hub.web.keys import INTAKE, POOL, SETTINGS, TASKS
from hub.web.problems import invalid_fields
from hub.web.requests import path_id, read_body, read_model
from schemas.address import Address
from schemas.batches import BatchView
from schemas.cases import CaseActionIn, CaseList
from schemas.signals import SignalIn

routes = web.RouteTableDef()


def json_response(
    model: BaseModel, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    return web.Response(
        status=status,
        body=model.model_dump_json(),
        content_type="application/json",
        headers=headers,
    )


@routes.post("/api/v1/signals")
async def post_signal(request: web.Request) -> web.Response:
    partner = partner_of(request)
    signal = await read_model(request, SignalIn)
    submitted = await request.app[INTAKE].submit(partner, signal)
    return json_response(submitted.receipt, status=202)


@routes.get("/api/v1/signals/{id}")
async def get_signal(request: web.Request) -> web.Response:
    partner = partner_of(request)
    signal_id = path_id(request, "signal")
    return json_response(await partner_signal(request.app[POOL], partner, signal_id))


def _limit(request: web.Request) -> int:
    raw = request.query.get("limit", "50")
    if not raw.isdigit() or not 1 <= int(raw) <= 200:
        message = "limit is a whole number from 1 to 200"
        raise InvalidFields(message, errors=[{"loc": ["limit"], "msg": message}])
    return int(raw)


@routes.get("/api/v1/teams/{code}/signals")
async def get_team_signals(request: web.Request) -> web.Response:
    page = await team_inbox(
        request.app[POOL],
        principal_of(request).actor,
        request.match_info["code"],
        limit=_limit(request),
        cursor=request.query.get("cursor"),
    )
    return json_response(page)


CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}


def _batch_location(view: BatchView) -> dict[str, str]:
    return {"Location": f"/api/v1/batches/{view.id}"}


@routes.post("/api/v1/batches")
async def post_batch(request: web.Request) -> web.Response:
    partner = partner_of(request)
    if request.content_type not in CSV_TYPES:
        raise UnsupportedMediaType(
            f"send text/csv, not {request.content_type or 'no content type'}"
        )
    settings = request.app[SETTINGS]
    content = await read_body(request, settings.max_batch_bytes)
    if not content.strip():
        raise BadRequest("the file is empty")
    received = await receive_batch(
        request.app[POOL],
        partner,
        content,
        filename=request.query.get("filename"),
        source="upload",
        profile_name=request.query.get("profile"),
    )
    if received.created:
        start_processing(request.app, received.view.id)
    return json_response(received.view, status=202, headers=_batch_location(received.view))


@routes.get("/api/v1/batches/{id}")
async def get_batch(request: web.Request) -> web.Response:
    partner = partner_of(request)
    batch_id = path_id(request, "batch")
    return json_response(await batch_view(request.app[POOL], partner, batch_id))


def start_processing(app: web.Application, batch_id: UUID) -> None:
    """Process the batch now, beside the request; the scheduled sweep catches what this misses."""
    settings = app[SETTINGS]
    task = asyncio.create_task(process_batch(app[POOL], batch_id, policy=policy_of(settings)))
    tasks = app[TASKS]
    tasks.add(task)
    task.add_done_callback(tasks.discard)


@routes.get("/api/v1/cases")
async def get_cases(request: web.Request) -> web.Response:
    user = user_of(request)
    items, _ = await cases.inbox(request.app[POOL], user, request.query.get("tab", "open"))
    return json_response(CaseList(items=items))


@routes.get("/api/v1/cases/counts")
async def get_case_counts(request: web.Request) -> web.Response:
    user = user_of(request)
    return web.json_response(await cases.counts(request.app[POOL], user))


@routes.get("/api/v1/cases/{id}")
async def get_case(request: web.Request) -> web.Response:
    user = user_of(request)
    case_id = path_id(request, "case")
    return json_response(await cases.case_view(request.app[POOL], user, case_id))


@routes.post("/api/v1/cases/{id}/actions")
async def post_case_action(request: web.Request) -> web.Response:
    user = user_of(request)
    case_id = path_id(request, "case")
    body = await read_model(request, CaseActionIn)
    return json_response(await cases.act(request.app[POOL], user, case_id, body.action))


def _weeks(request: web.Request) -> int:
    raw = request.query.get("weeks", "12")
    if not raw.isdigit() or not 1 <= int(raw) <= 104:
        message = "weeks is a whole number from 1 to 104"
        raise InvalidFields(message, errors=[{"loc": ["weeks"], "msg": message}])
    return int(raw)


@routes.get("/api/v1/metrics/feedback")
async def get_feedback_metrics(request: web.Request) -> web.Response:
    rows = await compliance(request.app[POOL], datetime.now(UTC), _weeks(request))
    return web.json_response({"rows": rows})


@routes.get("/api/v1/admin/deliveries")
async def get_dead_deliveries(request: web.Request) -> web.Response:
    async with request.app[POOL].acquire() as conn:
        rows = await feedback_store.dead_letters(conn)
    return web.json_response({"dead": [dict(row) for row in rows]}, dumps=_dumps)


@routes.post("/api/v1/admin/deliveries/{id}/retry")
async def post_retry_delivery(request: web.Request) -> web.Response:
    raw = request.match_info["id"]
    if not raw.isdigit():
        raise NotFound("no such delivery")
    async with request.app[POOL].acquire() as conn:
        if not await feedback_store.retry_dead(conn, int(raw), datetime.now(UTC)):
            raise NotFound("no undeliverable feedback with that id")
    return web.json_response({"status": "queued"}, status=202)


def _address_of_query(request: web.Request) -> Address:
    """The address in the query string (postcode, house_number, house_letter, addition)."""
    query = request.query
    number = query.get("house_number", "")
    fields: dict[str, object] = {
        "postcode": query.get("postcode"),
        "house_number": int(number) if number.isdigit() else number or None,
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


def _dumps(value: object) -> str:
    return json.dumps(value, default=str)
