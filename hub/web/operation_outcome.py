"""FHIR OperationOutcome: how every error on the FHIR routes is answered."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from connectors.fhir import FhirInputError, FhirIssue
from hub.platform.errors import HubError

FHIR_JSON = "application/fhir+json"

_ISSUE_CODE = {
    400: "structure",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    409: "conflict",
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


def _parts(loc: object) -> list[object]:
    return list(loc) if isinstance(loc, list | tuple) else []


def outcome_for_error(error: HubError, headers: dict[str, str] | None) -> web.Response:
    if isinstance(error, FhirRequestError):
        return operation_outcome(error.status, error.detail, error.issues)
    issues = [
        FhirIssue(
            ".".join(str(part) for part in _parts(item.get("loc"))),
            str(item.get("msg")),
            _ISSUE_CODE.get(error.status, "invalid"),
        )
        for item in error.errors or []
    ]
    return operation_outcome(error.status, error.detail, issues or None, headers)
