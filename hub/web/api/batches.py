"""CSV batches: a partner hands over a file, and reads back its counts and problems."""

from __future__ import annotations

import asyncio
from uuid import UUID

from aiohttp import web

from hub.intake.batches import batch_view, process_batch, receive_batch
from hub.intake.service import policy_of
from hub.platform.config import public_url
from hub.platform.errors import BadRequest, UnsupportedMediaType
from hub.web.access import partner_of
from hub.web.api.common import json_response
from hub.web.appkeys import POOL, SETTINGS, TASKS, WORK
from hub.web.requests import path_id, read_upload

routes = web.RouteTableDef()
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}


@routes.post("/api/v1/batches")
async def post_batch(request: web.Request) -> web.Response:
    partner = partner_of(request)
    if request.content_type not in CSV_TYPES:
        raise UnsupportedMediaType(
            f"send text/csv, not {request.content_type or 'no content type'}"
        )
    settings = request.app[SETTINGS]
    content = await read_upload(request, settings.max_batch_bytes)
    if not content or content.isspace():
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
    return json_response(
        received.view, status=202, headers={"Location": f"/api/v1/batches/{received.view.id}"}
    )


@routes.get("/api/v1/batches/{id}")
async def get_batch(request: web.Request) -> web.Response:
    partner = partner_of(request)
    batch_id = path_id(request, "batch")
    return json_response(await batch_view(request.app[POOL], partner, batch_id))


def start_processing(app: web.Application, batch_id: UUID) -> None:
    """Process the batch now, beside the request, on the work loop (its chunks' Python would
    hold up every other request); the scheduled sweep catches what this misses."""
    settings = app[SETTINGS]
    work = app[WORK]
    policy, url = policy_of(settings), public_url(settings)
    task = asyncio.create_task(
        work.run(
            lambda pool: process_batch(
                pool, batch_id, policy=policy, public_url=url, stop=work.stopping
            )
        )
    )
    tasks = app[TASKS]
    tasks.add(task)
    task.add_done_callback(tasks.discard)
