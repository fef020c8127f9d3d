"""CSV batches: a partner hands over a file, and reads back its counts and problems."""

from __future__ import annotations

import asyncio
from uuid import UUID

from aiohttp import web

from hub.intake.batches import batch_view, process_batch, receive_batch
from hub.intake.service import policy_of
from hub.platform.config import public_url
from hub.platform.errors import BadRequest, TooManyRequests, UnsupportedMediaType
from hub.web.access import partner_of
from hub.web.api.common import json_response
from hub.web.appkeys import POOL, SETTINGS, TASKS, UPLOADS, WORK
from hub.web.requests import path_id, read_upload

routes = web.RouteTableDef()
CSV_TYPES = {"text/csv", "application/csv", "text/plain", "application/vnd.ms-excel"}
UPLOADS_A_PARTNER = 2  # files of one partner being received at once


@routes.post("/api/v1/batches")
async def post_batch(request: web.Request) -> web.Response:
    partner = partner_of(request)
    if request.content_type not in CSV_TYPES:
        raise UnsupportedMediaType(
            f"send text/csv, not {request.content_type or 'no content type'}"
        )
    filename = request.query.get("filename")
    if filename is not None and not filename.isprintable():
        raise BadRequest("the file name holds a control character")
    settings = request.app[SETTINGS]
    uploading = request.app[UPLOADS]
    if uploading[partner.id] >= UPLOADS_A_PARTNER:
        # One partner's uploads, however slow, never take every place the hub has.
        raise TooManyRequests(
            f"{UPLOADS_A_PARTNER} files of yours are being received; send the next one after"
        )
    uploading[partner.id] += 1
    try:
        content = await read_upload(request, settings.max_batch_bytes)
    finally:
        uploading[partner.id] -= 1
        if not uploading[partner.id]:
            del uploading[partner.id]
    if not content or content.isspace():
        raise BadRequest("the file is empty")
    received = await receive_batch(
        request.app[POOL],
        partner,
        content,
        filename=filename,
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
