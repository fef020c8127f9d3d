"""FHIR R4 routes: referrals in, Tasks back, a CapabilityStatement; errors as OperationOutcome."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiohttp import web

from connectors.fhir import (
    FHIR_VERSION,
    Cancellation,
    FhirInputError,
    Referral,
    Transaction,
    read_bundle,
    read_document,
    referral_from_service_request,
)
from hub.intake.fhir import TaskResult, cancel_referral, kind_codes, read_task, submit_referral
from hub.intake.service import policy_of
from hub.platform.config import public_url
from hub.platform.errors import UnsupportedMediaType
from hub.web.access import partner_of
from hub.web.appkeys import POOL, SETTINGS
from hub.web.operation_outcome import FHIR_JSON, FhirRequestError, fhir_response
from hub.web.requests import path_id, read_body, refuse_duplicate_keys

routes = web.RouteTableDef()


async def _read_referral(request: web.Request, read: Any) -> Any:
    """The body as a FHIR resource, translated by `read` with the codes the partner's kind and
    the administrator's mappings give."""
    data = await _read_resource(request)
    codes = await kind_codes(request.app[POOL], partner_of(request))
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


def _task_response(result: TaskResult) -> web.Response:
    location = f"/fhir/Task/{result.task['id']}"
    return fhir_response(result.task, 201 if result.created else 200, Location=location)


@routes.post("/fhir/ServiceRequest")
async def post_service_request(request: web.Request) -> web.Response:
    referral = await _read_referral(request, referral_from_service_request)
    return _task_response(await _submit(request, referral))


@routes.post("/fhir")
async def post_bundle(request: web.Request) -> web.Response:
    """A transaction Bundle, or a document (as ZorgDomein delivers a referral)."""
    content = await _read_referral(request, read_bundle)
    if isinstance(content, Transaction):
        return await _transaction_response(request, content)
    return await _document_response(request, content)


@routes.post("/fhir/Bundle")
async def post_document(request: web.Request) -> web.Response:
    return await _document_response(request, await _read_referral(request, read_document))


async def _document_response(
    request: web.Request, content: Referral | Cancellation
) -> web.Response:
    """A document is answered with the Task of its referral: 201 for a new one, 200 for one
    sent before or called off by this document (the Task is then cancelled)."""
    if isinstance(content, Cancellation):
        result = await cancel_referral(
            request.app[POOL],
            partner_of(request),
            content,
            public_url=public_url(request.app[SETTINGS]),
        )
    else:
        result = await _submit(request, content)
    return _task_response(result)


async def _transaction_response(request: web.Request, transaction: Transaction) -> web.Response:
    """A transaction is answered, as FHIR prescribes, with a transaction-response Bundle; the
    ServiceRequest's entry carries the Task that tracks the referral (and its location)."""
    result = await _submit(request, transaction.referral)
    status = "201 Created" if result.created else "200 OK"
    entries: list[dict[str, Any]] = []
    for kind in transaction.entry_types:
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
                    "interaction": [
                        {
                            "code": "transaction",
                            "documentation": "POST [base] a transaction Bundle (Patient, "
                            "ServiceRequest, optionally Consent), or a document Bundle (as "
                            "below).",
                        }
                    ],
                    "resource": [
                        {
                            "type": "ServiceRequest",
                            "interaction": [{"code": "create"}],
                            "documentation": "With the Patient contained; identifier (else "
                            "id), code or category (SNOMED CT and SDOH categories are mapped to "
                            "a kind; any other code gives the partner's default kind and is "
                            "kept), priority, and a note (else the code's text or display) are "
                            "read. Answered with the Task.",
                        },
                        {
                            "type": "Bundle",
                            "interaction": [{"code": "create"}],
                            "documentation": "A document (type document, POST [base] or "
                            "[base]/Bundle), as ZorgDomein delivers a referral: the first "
                            "entry a Composition whose identifier is the referral's number "
                            "(the ZD number), subject the Patient entry, and sections whose "
                            "narrative is read as plain text. A later document of the same "
                            "number of ZorgDomein's type cancellation (or a Composition "
                            "entered-in-error) withdraws the referral. Answered with the Task.",
                        },
                        {
                            "type": "Composition",
                            "documentation": "The first entry of a document Bundle.",
                        },
                        {"type": "Task", "interaction": [{"code": "read"}]},
                        {
                            "type": "Patient",
                            "documentation": "Within a transaction or document, or contained.",
                        },
                        {"type": "Consent", "documentation": "Within a transaction or document."},
                    ],
                }
            ],
        }
    )
