"""FHIR OperationOutcome: how every error on the FHIR routes is answered, each issue with the
FHIRPath of the element at fault where there is one (a header or a parameter is named in the
diagnostics instead)."""

from __future__ import annotations

import json
import re
from typing import Any

from aiohttp import web

from connectors.fhir import FhirInputError, FhirIssue
from connectors.fhir_rest import FHIR_JSON as FHIR_JSON
from hub.platform.errors import HubError

_ISSUE_CODE = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    413: "too-costly",
    415: "not-supported",
    422: "processing",
    429: "throttled",
    503: "transient",
}


class FhirRequestError(HubError):
    status = 422
    slug = "fhir-invalid"
    title = "The FHIR resource cannot be taken in"

    def __init__(self, error: FhirInputError) -> None:
        super().__init__(str(error))
        self.issues = error.issues


class FhirQueryError(FhirRequestError):
    """A parameter or header the hub cannot act on (a search, `_summary`, a condition)."""

    status = 400
    slug = "fhir-query"
    title = "The FHIR request cannot be answered as asked"


def fhir_response(resource: dict[str, Any], status: int = 200, **headers: str) -> web.Response:
    return web.Response(
        status=status,
        body=json.dumps(resource, ensure_ascii=False, default=str),
        content_type=FHIR_JSON,
        headers=headers or None,
    )


def operation_outcome(
    status: int,
    detail: str,
    issues: list[FhirIssue] | None = None,
    headers: dict[str, str] | None = None,
) -> web.Response:
    listed = issues or [FhirIssue("", detail, _ISSUE_CODE.get(status, "exception"))]
    outcome = {
        "resourceType": "OperationOutcome",
        "issue": [
            {
                "severity": "error",
                "code": issue.code if issues else _ISSUE_CODE.get(status, "exception"),
                "diagnostics": issue.message,
                **({"expression": [issue.expression]} if issue.expression else {}),
            }
            for issue in listed
        ],
    }
    return fhir_response(outcome, status, **(headers or {}))


def information(message: str) -> dict[str, Any]:
    """An OperationOutcome that only tells (`Prefer: return=OperationOutcome`, a transaction
    entry kept otherwise than posted)."""
    return {
        "resourceType": "OperationOutcome",
        "issue": [{"severity": "information", "code": "informational", "diagnostics": message}],
    }


def _parts(loc: object) -> list[object]:
    return list(loc) if isinstance(loc, list | tuple) else []


_PATH = re.compile(r"[A-Z][A-Za-z]*(\[[0-9]+\])?(\.[A-Za-z][A-Za-z0-9]*(\[[0-9]+\])?)*")


def _issue(loc: object, message: str, code: str) -> FhirIssue:
    """A location our errors give (`loc`) as an issue: a path in the resource posted (it begins
    with a resource type) is its expression; any other (a field of the body the hub reads, a
    parameter) goes into the diagnostics, as it is no FHIRPath."""
    path = ".".join(str(part) for part in _parts(loc))
    if _PATH.fullmatch(path):
        return FhirIssue(path, message, code)
    return FhirIssue("", f"{path}: {message}" if path else message, code)


def outcome_for_error(error: HubError, headers: dict[str, str] | None) -> web.Response:
    if isinstance(error, FhirRequestError):
        return operation_outcome(error.status, error.detail, error.issues, headers)
    issues = [
        _issue(item.get("loc"), str(item.get("msg")), _ISSUE_CODE.get(error.status, "invalid"))
        for item in error.errors or []
    ]
    return operation_outcome(error.status, error.detail, issues or None, headers)
