"""One middleware turns every error into RFC 9457 problem+json; nothing else reveals a trace."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

import asyncpg
from aiohttp import web
from pydantic import ValidationError

from hub.errors import PROBLEM_BASE, HubError, InvalidFields, Unavailable
from hub.web.outcomes import operation_outcome, outcome_for_error
from schemas.problems import Problem

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class PageError(Exception):
    """A page that cannot be shown: answered with a Dutch page, not problem+json."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _is_fhir(request: web.Request) -> bool:
    return request.path == "/fhir" or request.path.startswith("/fhir/")


def problem_response(
    status: int,
    problem_type: str,
    title: str,
    detail: str,
    errors: list[dict[str, object]] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    problem = Problem.model_validate(
        {"type": problem_type, "title": title, "status": status, "detail": detail, "errors": errors}
    )
    return web.Response(
        status=status,
        body=problem.model_dump_json(exclude_none=True),
        content_type=PROBLEM_JSON,
        headers=headers,
    )


def field_errors(error: ValidationError) -> list[dict[str, object]]:
    """Pydantic's errors as `{loc, msg}`, in words a person understands."""
    return [
        {"loc": list(item["loc"]), "msg": item["msg"].removeprefix("Value error, ")}
        for item in error.errors(include_url=False, include_input=False)
    ]


def invalid_fields(error: ValidationError) -> InvalidFields:
    errors = field_errors(error)
    count = len(errors)
    return InvalidFields(f"{count} field{'s' if count != 1 else ''} at fault", errors=errors)


_SLUGS = {
    404: "not-found",
    405: "method-not-allowed",
    413: "too-large",
    400: "malformed",
}


def _render(
    request: web.Request, error: HubError, headers: dict[str, str] | None = None
) -> web.Response:
    if _is_fhir(request):
        return outcome_for_error(error, headers)
    return problem_response(
        error.status, error.type, error.title, error.detail, error.errors, headers
    )


class _HttpError(HubError):
    """aiohttp's own refusals (no route, wrong method, body too large) in our terms."""

    def __init__(self, error: web.HTTPException) -> None:
        detail = error.text if error.status == 413 and error.text else error.reason
        super().__init__(detail or error.reason)
        self.status_code = error.status
        self.reason = error.reason

    @property
    def type(self) -> str:
        return PROBLEM_BASE + _SLUGS.get(self.status_code, "http-error")


@web.middleware
async def problem_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Our errors as problem+json (OperationOutcome on FHIR routes); the unknown as a bare 500."""
    try:
        return await handler(request)
    except HubError as error:
        headers = {"WWW-Authenticate": "Bearer"} if error.status == 401 else None
        if isinstance(error, Unavailable):
            headers = {"Retry-After": "1"}
        if error.retry_after is not None:
            headers = {"Retry-After": str(error.retry_after)}
        return _render(request, error, headers)
    except web.HTTPException as error:
        if error.status < 400:
            raise
        headers = {"Allow": error.headers["Allow"]} if "Allow" in error.headers else None
        if _is_fhir(request):
            return operation_outcome(error.status, error.reason, None, headers)
        wrapped = _HttpError(error)
        return problem_response(
            error.status, wrapped.type, error.reason, wrapped.detail, None, headers
        )
    except (
        OSError,
        TimeoutError,
        asyncpg.PostgresConnectionError,
        asyncpg.CannotConnectNowError,
        asyncpg.TooManyConnectionsError,
    ) as error:
        log.warning("database unavailable: %s", type(error).__name__)
        return _render(
            request,
            Unavailable("the database is unreachable; try again shortly"),
            {"Retry-After": "1"},
        )
    except Exception:
        log.exception("unexpected error on %s %s", request.method, request.rel_url.path)
        return _render(request, HubError("something went wrong on our side"))
