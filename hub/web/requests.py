"""Reading requests: the caller behind a bearer token, and a JSON body as a schema model."""

from __future__ import annotations

import math
import secrets
from typing import TypeVar
from uuid import UUID

from aiohttp import web
from pydantic import BaseModel, ValidationError

from hub.accounts import session_for
from hub.errors import (
    BadRequest,
    Forbidden,
    NotFound,
    PayloadTooLarge,
    TooManyRequests,
    Unauthorized,
    UnsupportedMediaType,
)
from hub.store.partners import Caller, Partner, caller_for_token
from hub.store.users import User, user_by_id
from hub.web.keys import LIMITS, POOL, SETTINGS
from hub.web.problems import invalid_fields

Model = TypeVar("Model", bound=BaseModel)


async def authenticate(request: web.Request) -> Caller:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("send the token as 'Authorization: Bearer <token>'")
    async with request.app[POOL].acquire() as conn:
        caller = await caller_for_token(conn, token.strip())
    if caller is None:
        raise Unauthorized("the token is unknown or revoked")
    return caller


SESSION_COOKIE = "hub_session"


async def require_user(request: web.Request) -> User:
    """A person: by personal token (`Authorization: Bearer`), or by the session cookie of the
    pages, in which case a changing request must also carry the session's X-CSRF-Token."""
    pool = request.app[POOL]
    if request.headers.get("Authorization"):
        caller = await authenticate(request)
        if caller.user_id is None:
            raise Forbidden("only a person's own token can do this")
        async with pool.acquire() as conn:
            user = await user_by_id(conn, caller.user_id)
        if user is None:
            raise Unauthorized("the token's user is gone")
        return user
    token = request.cookies.get(SESSION_COOKIE)
    session = await session_for(pool, token) if token else None
    if session is None:
        raise Unauthorized("log in, or send a personal token as 'Authorization: Bearer <token>'")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        given = request.headers.get("X-CSRF-Token", "")
        if not secrets.compare_digest(given, session.csrf_token):
            raise Forbidden("send the session's CSRF token as X-CSRF-Token")
    return session.user


MANAGING_ROLES = ("manager", "admin")


async def require_manager(request: web.Request) -> str:
    """A manager or administrator (personal token or session), or an admin token; returns the
    actor for the access log."""
    if request.headers.get("Authorization"):
        caller = await authenticate(request)
        if caller.role == "admin":
            return caller.actor
    user = await require_user(request)
    if user.role not in MANAGING_ROLES:
        raise Forbidden("only managers and administrators see these figures")
    return f"user:{user.id}"


async def require_partner(request: web.Request) -> Partner:
    """The partner behind the token, within its rate limit (429 with Retry-After beyond)."""
    caller = await authenticate(request)
    if caller.partner is None:
        raise Forbidden("only a partner's token can do this")
    wait = request.app[LIMITS].take(str(caller.partner.id))
    if wait is not None:
        raise TooManyRequests(
            "too many requests for this partner; slow down", retry_after=max(1, math.ceil(wait))
        )
    return caller.partner


async def require_admin(request: web.Request) -> Caller:
    caller = await authenticate(request)
    if caller.role != "admin":
        raise Forbidden("only an administrator's token can do this")
    return caller


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


async def read_model(request: web.Request, model: type[Model]) -> Model:
    """The body as `model`: 415 if not JSON, 413 if too large, 400 if malformed, 422 if invalid."""
    if not _is_json(request.content_type):
        raise UnsupportedMediaType(
            f"send application/json, not {request.content_type or 'no content type'}"
        )
    body = await read_body(request, request.app[SETTINGS].max_body_bytes)
    if not body.strip():
        raise BadRequest("the body is empty; send a JSON object")
    try:
        return model.model_validate_json(body)
    except ValidationError as error:
        if any(item["type"] == "json_invalid" for item in error.errors()):
            raise BadRequest("the body is not valid JSON (UTF-8)") from None
        raise invalid_fields(error) from None
