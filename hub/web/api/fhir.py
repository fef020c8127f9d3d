"""FHIR R4 routes: referrals in, Tasks back, a CapabilityStatement; errors as OperationOutcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from connectors.fhir import (
    FHIR_VERSION,
    FhirInputError,
    referral_from_bundle,
    referral_from_service_request,
)
from hub.intake.fhir import TaskResult, kind_codes, read_task, submit_referral
from hub.intake.service import policy_of
from hub.platform.config import public_url
from hub.platform.errors import UnsupportedMediaType
from hub.web.access import partner_of
from hub.web.appkeys import POOL, SETTINGS
from hub.web.operation_outcome import FHIR_JSON, FhirRequestError, fhir_response
from hub.web.requests import path_id, read_body, refuse_duplicate_keys

routes = web.RouteTableDef()


async def _read_referral(request: web.Request, read: Any) -> Any:
    """The body as a FHIR resource, translated by `read` with the administrator's codes."""
    data = await _read_resource(request)
    codes = await kind_codes(request.app[POOL])
    try:
        return read(data, codes)
    except FhirInputError as error:
        raise FhirRequestError(error) from None


async def _read_resource(request: web.Request) -> Any:
    if request.content_type not in (FHIR_JSON, "application/json"):
        raise UnsupportedMediaType(f"send {FHIR_JSON}, not {request.content_type or 'nothing'}")
    return refuse_duplicate_keys(await read_body(request, request.app[SETTINGS].max_body_bytes))


async def _submit(request: web.Request, referral: Any) -> TaskResult:
    settings = request.app[SETTINGS]
    return await submit_referral(
        request.app[POOL],
        partner_of(request),
        referral,
        policy=policy_of(settings),
        public_url=public_url(settings),
    )


@routes.post("/fhir/ServiceRequest")
async def post_service_request(request: web.Request) -> web.Response:
    referral = await _read_referral(request, referral_from_service_request)
    result = await _submit(request, referral)
    location = f"/fhir/Task/{result.task['id']}"
    return fhir_response(result.task, 201 if result.created else 200, Location=location)


@routes.post("/fhir")
async def post_transaction(request: web.Request) -> web.Response:
    """A transaction Bundle; answered, as FHIR prescribes, with a transaction-response Bundle.

    The ServiceRequest's entry carries the Task that tracks the referral (and its location).
    """
    referral, entry_types = await _read_referral(request, referral_from_bundle)
    result = await _submit(request, referral)
    status = "201 Created" if result.created else "200 OK"
    entries: list[dict[str, Any]] = []
    for kind in entry_types:
        if kind == "ServiceRequest":
            entries.append(
                {
                    "resource": result.task,
                    "response": {"status": status, "location": f"Task/{result.task['id']}"},
                }
            )
        else:  # Patient and Consent are taken into the signal, not kept as resources.
            entries.append({"response": {"status": status}})
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": entries,
    }
    return fhir_response(bundle, 200)


@routes.get("/fhir/Task/{id}")
async def get_task(request: web.Request) -> web.Response:
    partner = partner_of(request)
    task_id = path_id(request, "Task")
    return fhir_response(await read_task(request.app[POOL], partner, task_id))


@routes.get("/fhir/metadata")
async def metadata(request: web.Request) -> web.Response:
    return fhir_response(
        {
            "resourceType": "CapabilityStatement",
            "status": "active",
            "date": "2026-11-22",
            "kind": "instance",
            "fhirVersion": FHIR_VERSION,
            "format": ["json"],
            "software": {"name": "signal hub"},
            "implementation": {"description": "Signal hub for social district teams"},
            "rest": [
                {
                    "mode": "server",
                    "documentation": "Referrals to social district teams. Not for emergencies: "
                    "call 112, or Veilig Thuis (0800-2000).",
                    "security": {
                        "description": "Authorization: Bearer <partner token>",
                    },
                    "interaction": [{"code": "transaction"}],
                    "resource": [
                        {
                            "type": "ServiceRequest",
                            "interaction": [{"code": "create"}],
                            "documentation": "With the Patient contained; identifier, code "
                            "(or category), priority and a note are read.",
                        },
                        {"type": "Task", "interaction": [{"code": "read"}]},
                        {"type": "Patient", "documentation": "Within a transaction or contained."},
                        {"type": "Consent", "documentation": "Within a transaction."},
                    ],
                }
            ],
        }
    )
