"""The OpenAPI 3.1 document, generated from the pydantic models of `schemas`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from schemas.audit import HouseholdAccessLog
from schemas.batches import BatchView
from schemas.cases import CaseActionIn, CaseList, CaseStatus, CaseView
from schemas.metrics import TeamLoadReport
from schemas.problems import Problem
from schemas.signals import (
    EMERGENCY_NOTICE,
    PartnerKind,
    PartnerSignalView,
    SignalIn,
    SignalKind,
    SignalReceipt,
    TeamSignalPage,
    WithdrawalIn,
)
from schemas.surveys import SurveyList, SurveyResults

ERROR_TEXT = {
    400: "Malformed JSON or an empty body",
    401: "Missing, unknown or revoked token",
    403: "The token's role may not do this",
    408: "The body stopped arriving: nothing for 30 seconds",
    404: "Not found, or not yours",
    409: "A reference used before for a different signal, or a step that does not fit the "
    "current status",
    413: "Body larger than 64 KiB",
    415: "Body is not JSON",
    422: "Fields at fault, listed in `errors`",
    429: "Over the partner's rate limit; retry after `Retry-After` seconds",
    503: "Database unreachable; retry after `Retry-After` seconds",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    summary: str
    response: type[BaseModel] | None
    status: int = 200
    request: type[BaseModel] | None = None
    errors: tuple[int, ...] = ()
    parameters: list[dict[str, Any]] = field(default_factory=list)
    secured: bool = True
    raw_request: dict[str, Any] | None = None
    raw_response: dict[str, Any] | None = None
    optional_body: bool = False
    # Other successful answers with the same body: status -> what it means.
    also: dict[int, str] = field(default_factory=dict)
    # Where an error means something more particular here than ERROR_TEXT says.
    error_text: dict[int, str] = field(default_factory=dict)


CSV_BODY = {
    "required": True,
    "description": "A CSV file: `;` or `,` separated, UTF-8 (with or without BOM) or "
    "Windows-1252, decimal commas and dd-mm-jjjj dates; columns named as the profile says.",
    "content": {"text/csv": {"schema": {"type": "string"}}},
}


def path_id(description: str = "uuid") -> dict[str, Any]:
    return {
        "name": "id",
        "in": "path",
        "required": True,
        "schema": {"type": "string", "format": description},
    }


def query(name: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema}


JSON_OBJECT = {"application/json": {"schema": {"type": "object"}}}
NETWORK_FILTERS = [
    query("from", {"type": "string", "format": "date"}),
    query("to", {"type": "string", "format": "date"}),
    query("municipality", {"type": "string"}),
    query("partner_kind", {"type": "string", "enum": [kind.value for kind in PartnerKind]}),
    query("team", {"type": "string"}),
]
TEAM_ERRORS = (401, 403, 404, 503)

OPERATIONS = [
    Operation(
        "post",
        "/api/v1/signals",
        "Hand over a signal (partner token)",
        SignalReceipt,
        202,
        SignalIn,
        (400, 401, 403, 409, 413, 415, 422, 429, 503),
    ),
    Operation(
        "get",
        "/api/v1/signals/{id}",
        "Read back your own signal's status (partner token)",
        PartnerSignalView,
        errors=(401, 403, 404, 429, 503),
        parameters=[path_id()],
    ),
    Operation(
        "post",
        "/api/v1/signals/{id}/withdrawal",
        "Withdraw your own signal (partner token): it is kept as withdrawn, its team is told and "
        "keeps the case to close. The body, with a reason for the team, is optional",
        PartnerSignalView,
        202,
        WithdrawalIn,
        (400, 401, 403, 404, 409, 413, 415, 422, 429, 503),
        parameters=[path_id()],
        optional_body=True,
        also={200: "Withdrawn before: the same answer again"},
    ),
    Operation(
        "get",
        "/api/v1/teams/{code}/signals",
        "A team's routed signals, newest first (admin token)",
        TeamSignalPage,
        errors=(401, 403, 404, 422, 503),
        parameters=[
            {"name": "code", "in": "path", "required": True, "schema": {"type": "string"}},
            query("limit", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50}),
            query("cursor", {"type": "string"}),
        ],
    ),
    Operation(
        "post",
        "/api/v1/batches",
        "Hand over a CSV batch (partner token); processed row by row after the 202",
        BatchView,
        202,
        errors=(400, 401, 403, 408, 413, 415, 422, 429, 503),
        error_text={
            400: "An empty file, or a control character in the file name",
            413: "File larger than 20 MiB (`HUB_MAX_BATCH_BYTES`)",
            415: "Not `text/csv`, or sent compressed (`Content-Encoding`)",
            429: "Two of the partner's files are still arriving, or over the rate limit; "
            "retry after `Retry-After` seconds",
        },
        parameters=[
            query(
                "profile",
                {
                    "type": "string",
                    "enum": ["rent_arrears", "non_responder", "early_debt", "custom"],
                },
            ),
            query("filename", {"type": "string"}),
        ],
        raw_request=CSV_BODY,
    ),
    Operation(
        "get",
        "/api/v1/batches/{id}",
        "A batch's counts and per-row problems (partner token)",
        BatchView,
        errors=(401, 403, 404, 429, 503),
        parameters=[path_id()],
    ),
    Operation(
        "get",
        "/api/v1/cases",
        "The caller's team's cases (personal token or session)",
        CaseList,
        errors=(401, 403, 422, 503),
        parameters=[
            query(
                "tab",
                {"type": "string", "enum": ["new", "mine", "open", "closed"], "default": "open"},
            ),
            query("status", {"type": "string", "enum": [status.value for status in CaseStatus]}),
            query("kind", {"type": "string", "enum": [kind.value for kind in SignalKind]}),
            query("partner", {"type": "string", "format": "uuid"}),
            query("director", {"type": "string", "enum": ["me", "nobody"]}),
            query("overdue", {"type": "boolean", "default": False}),
        ],
    ),
    Operation(
        "get",
        "/api/v1/cases/counts",
        "How many cases each inbox tab holds",
        None,
        errors=(401, 403, 404, 503),
        raw_response=JSON_OBJECT,
    ),
    Operation(
        "get",
        "/api/v1/cases/{id}",
        "A case with its signals and timeline",
        CaseView,
        errors=TEAM_ERRORS,
        parameters=[path_id()],
    ),
    Operation(
        "post",
        "/api/v1/cases/{id}/actions",
        "Take, assign, record a contact attempt, close, return or decline a case: one action, "
        'named by its `action` field (`{"action": "take"}`, '
        '`{"action": "close", "outcome": "help_started"}`)',
        CaseView,
        request=CaseActionIn,
        errors=(400, 401, 403, 404, 409, 413, 415, 422, 503),
        parameters=[path_id()],
    ),
    Operation(
        "get",
        "/api/v1/metrics/feedback",
        "Feedback kept per partner, team, step and week (managers)",
        None,
        errors=(401, 403, 422, 503),
        parameters=[query("weeks", {"type": "integer", "minimum": 1, "maximum": 104})],
        raw_response=JSON_OBJECT,
    ),
    Operation(
        "get",
        "/api/v1/metrics/teams",
        "Each team's open cases against its capacity, inflow per week, wait for a first "
        'contact, overdue feedback and spread over its people; counts 1-4 as "<5", above '
        "capacity first (managers)",
        TeamLoadReport,
        errors=(401, 403, 422, 503),
        parameters=[query("municipality", {"type": "string", "examples": ["Haarlem"]})],
    ),
    Operation(
        "get",
        "/api/v1/reports/ddas",
        "Early-debt signalling for CBS: the DDAS Vroegsignalering v1.2 delivery "
        "(json_schema_Uitwisselmodel.json) of the signals received from `from` to `to`, per "
        "municipality; clients by postcode and house number, never a BSN (administrators; "
        "every read is in the access log)",
        None,
        errors=(401, 403, 422, 503),
        parameters=[
            query("from", {"type": "string", "format": "date"}, required=True),
            query("to", {"type": "string", "format": "date"}, required=True),
            query("municipality", {"type": "string", "examples": ["GM0392"]}),
        ],
        raw_response=JSON_OBJECT,
    ),
    Operation(
        "get",
        "/api/v1/network",
        'The partner network with its weak links; counts 1-4 as "<5" (managers)',
        None,
        errors=(401, 403, 422, 503),
        parameters=[
            *NETWORK_FILTERS,
            query("format", {"type": "string", "enum": ["json", "graphml", "gexf"]}),
        ],
        raw_response={**JSON_OBJECT, "application/xml": {"schema": {"type": "string"}}},
    ),
    Operation(
        "get",
        "/api/v1/surveys",
        "The partner surveys, newest first, with how many partners were invited and answered "
        "(managers)",
        SurveyList,
        errors=(401, 403, 503),
    ),
    Operation(
        "get",
        "/api/v1/surveys/{id}/results",
        "A partner survey's results: per team and statement the shares agreeing, neutral and "
        "disagreeing, the response rate, the trend against earlier surveys, comments where at "
        "least five partners answered; partners' verdict on feedback beside the share of "
        'deadlines met on time in the same period. Counts 1-4 as "<5" (managers)',
        SurveyResults,
        errors=(401, 403, 404, 503),
        parameters=[path_id()],
    ),
    Operation(
        "get",
        "/api/v1/admin/deliveries",
        "Messages (mail, feedback) the outbox gave up on: dead letters (administrators)",
        None,
        errors=(401, 403, 503),
        raw_response=JSON_OBJECT,
    ),
    Operation(
        "post",
        "/api/v1/admin/deliveries/{id}/retry",
        "Deliver a dead letter again",
        None,
        202,
        errors=(401, 403, 404, 503),
        parameters=[path_id("int64")],
        raw_response=JSON_OBJECT,
    ),
    Operation(
        "get",
        "/api/v1/admin/access-log",
        "Who read or changed one household's data, for a resident's request (administrators)",
        HouseholdAccessLog,
        errors=(401, 403, 404, 422, 503),
        parameters=[
            {**query("postcode", {"type": "string", "examples": ["2034AB"]}), "required": True},
            {**query("house_number", {"type": "integer", "minimum": 1}), "required": True},
            query("house_letter", {"type": "string"}),
            query("addition", {"type": "string"}),
        ],
    ),
]


def openapi_document() -> dict[str, Any]:
    models: list[tuple[type[BaseModel], Any]] = [(Problem, "serialization")]
    for op in OPERATIONS:
        if op.request:
            models.append((op.request, "validation"))
        if op.response:
            models.append((op.response, "serialization"))
    refs, definitions = models_json_schema(models, ref_template="#/components/schemas/{model}")
    paths: dict[str, dict[str, Any]] = {}
    problem_ref = refs[(Problem, "serialization")]
    for op in OPERATIONS:
        responses: dict[str, Any] = {}
        if op.response:
            content = {"application/json": {"schema": refs[(op.response, "serialization")]}}
            responses[str(op.status)] = {"description": op.summary, "content": content}
            for status, meaning in op.also.items():
                responses[str(status)] = {"description": meaning, "content": content}
        elif op.raw_response:
            responses[str(op.status)] = {"description": op.summary, "content": op.raw_response}
        for status in op.errors:
            responses[str(status)] = {
                "description": op.error_text.get(status, ERROR_TEXT[status]),
                "content": {"application/problem+json": {"schema": problem_ref}},
            }
        operation: dict[str, Any] = {"summary": op.summary, "responses": responses}
        if op.parameters:
            operation["parameters"] = op.parameters
        if op.raw_request:
            operation["requestBody"] = op.raw_request
        if op.request:
            operation["requestBody"] = {
                "required": not op.optional_body,
                "content": {"application/json": {"schema": refs[(op.request, "validation")]}},
            }
        if op.secured:
            operation["security"] = [{"bearer": []}]
        paths.setdefault(op.path, {})[op.method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Signal hub API",
            "version": "1",
            "description": "Partners hand over signals about households; the hub routes each to "
            "the social district team that serves the address. " + EMERGENCY_NOTICE,
        },
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }


routes = web.RouteTableDef()


@routes.get("/api/v1/openapi.json")
async def get_openapi(request: web.Request) -> web.Response:
    return web.json_response(openapi_document())
