"""Reading requests: the path's id, and a body (raw or as a schema model) within its limit."""

from __future__ import annotations

import asyncio
import json
from typing import Any, TypeVar
from uuid import UUID

from aiohttp import web
from pydantic import BaseModel, RootModel, ValidationError

from hub.platform.errors import (
    BadRequest,
    NotFound,
    PayloadTooLarge,
    RequestTimeout,
    UnsupportedMediaType,
)
from hub.web.appkeys import SETTINGS
from hub.web.problems import invalid_fields

Model = TypeVar("Model", bound=BaseModel)


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or (
        content_type.startswith("application/") and content_type.endswith("+json")
    )


def path_id(request: web.Request, what: str) -> UUID:
    """The `{id}` of the path; one that is not a UUID names nothing, so it is a 404."""
    try:
        return UUID(request.match_info["id"])
    except ValueError:
        raise NotFound(f"no such {what}") from None


async def read_body(request: web.Request, limit: int) -> bytes:
    """The raw body, refused with 413 as soon as it passes `limit` bytes."""
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the body may be at most {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"the body may be at most {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


UPLOAD_STALL_SECONDS = 30.0  # an upload that sends nothing for this long is cut off (408)


async def read_upload(
    request: web.Request, limit: int, stall_seconds: float = UPLOAD_STALL_SECONDS
) -> bytearray:
    """A file's body (up to `limit` bytes, else 413) in one buffer: a 20 MiB file is held once,
    not as its pieces and their join (benchmarks/batch_memory.py). The announced length is
    reserved once half of it has arrived (growing the buffer bit by bit left 10 MB more at the
    peak): a client that announces 20 MiB and sends little gets no 20 MiB. A compressed body is
    refused (415): a few KiB of gzip would unpack to megabytes before they are counted. An upload
    that sends nothing for `stall_seconds` is cut off (408), so a silent one holds no place."""
    encoding = request.headers.get("Content-Encoding", "identity").strip().lower()
    if encoding != "identity":
        raise UnsupportedMediaType("send the file uncompressed (no Content-Encoding)")
    length = request.content_length
    if length is not None and length > limit:
        raise PayloadTooLarge(f"the body may be at most {limit} bytes")
    body = bytearray()
    size = 0
    pieces = request.content.iter_chunked(64 * 1024)
    try:
        while True:
            try:
                async with asyncio.timeout(stall_seconds):
                    chunk = await anext(pieces)
            except StopAsyncIteration:
                break
            except TimeoutError:
                raise RequestTimeout(
                    f"nothing arrived for {stall_seconds:g} seconds; send the file again"
                ) from None
            end = size + len(chunk)
            if end > limit:
                raise PayloadTooLarge(f"the body may be at most {limit} bytes")
            if length is not None and len(body) < length <= 2 * end:
                reserved = bytearray(length)
                reserved[:size] = memoryview(body)[:size]
                body = reserved
            body[size:end] = chunk  # within what is reserved, else it grows
            size = end
    except BaseException:
        # Refused or broken off: let the buffer go now, not when the error's traceback (which
        # holds this frame) is collected.
        body.clear()
        raise
    del body[size:]
    return body


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    seen: dict[str, Any] = {}
    for key, value in pairs:
        if key in seen:
            raise BadRequest(f"the body names the field {key!r} twice; send each field once")
        seen[key] = value
    return seen


def refuse_duplicate_keys(body: bytes) -> Any:
    """The body as JSON, refused (400) when an object names a key twice: parsers disagree on
    which of the two counts (pydantic takes the last), so a reviewer and the hub could read two
    different signals in one body."""
    try:
        return json.loads(body, object_pairs_hook=_unique_keys)
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("the body is not valid JSON (UTF-8)") from None
    except RecursionError:
        raise BadRequest("the body is nested too deeply") from None


async def read_model(request: web.Request, model: type[Model]) -> Model:
    """The body as `model`: 415 if not JSON, 413 if too large, 400 if malformed, 422 if invalid."""
    if not _is_json(request.content_type):
        raise UnsupportedMediaType(
            f"send application/json, not {request.content_type or 'no content type'}"
        )
    body = await read_body(request, request.app[SETTINGS].max_body_bytes)
    if not body.strip():
        raise BadRequest("the body is empty; send a JSON object")
    refuse_duplicate_keys(body)
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise BadRequest("the body is not valid JSON (UTF-8)") from None
        raise invalid_fields(error, tagged=issubclass(model, RootModel)) from None
