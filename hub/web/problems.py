"""RFC 9457 problem details: how every API error is answered, and the Dutch page error."""

from __future__ import annotations

from aiohttp import web
from pydantic import ValidationError

from hub.platform.errors import PROBLEM_BASE, InvalidFields
from schemas.problems import Problem

PROBLEM_JSON = "application/problem+json"


class PageError(Exception):
    """A page that cannot be shown: answered with a Dutch page, not problem+json."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def is_fhir(request: web.Request) -> bool:
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


_TAG_ERRORS = frozenset({"union_tag_invalid", "union_tag_not_found"})


def field_errors(error: ValidationError, *, tagged: bool = False) -> list[dict[str, object]]:
    """Pydantic's errors as `{loc, msg}`, in words a person understands.

    `tagged`: the body is one of a union told apart by a field (`{"action": "close", ...}`);
    pydantic puts the tag first in `loc`, where the body has no such level, and a bad tag at
    the root: both are given as the path in the body instead."""
    found: list[dict[str, object]] = []
    for item in error.errors(include_url=False, include_input=False):
        loc = list(item["loc"])
        if tagged and item["type"] in _TAG_ERRORS:
            loc = [str(item.get("ctx", {}).get("discriminator", "")).strip("'")]
        elif tagged:
            loc = loc[1:]
        found.append({"loc": loc, "msg": item["msg"].removeprefix("Value error, ")})
    return found


def invalid_fields(error: ValidationError, *, tagged: bool = False) -> InvalidFields:
    errors = field_errors(error, tagged=tagged)
    count = len(errors)
    return InvalidFields(f"{count} field{'s' if count != 1 else ''} at fault", errors=errors)


_SLUGS = {400: "malformed", 404: "not-found", 405: "method-not-allowed", 413: "too-large"}


def http_error_type(status: int) -> str:
    """The problem type of aiohttp's own refusals (no route, wrong method, body too large)."""
    return PROBLEM_BASE + _SLUGS.get(status, "http-error")
