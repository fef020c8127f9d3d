"""FHIR R4 routes, as a client built on a FHIR library expects them: a ServiceRequest created is
answered with the hub's ServiceRequest (`Prefer` honoured, Location with its version), read back
with ETag and Last-Modified, found by search with its Task; a transaction answered entry by entry;
a referral called off by posting (or updating) its ServiceRequest revoked; documents as ZorgDomein
sends them answered with their Task; JSON only; every error an OperationOutcome."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import format_datetime
from typing import Any
from uuid import UUID

from aiohttp import web

from connectors.fhir import (
    ENTRY_CONSENT,
    ENTRY_REQUEST,
    ENTRY_SUBJECT,
    PATIENT_ID,
    Cancellation,
    FhirInputError,
    FhirIssue,
    Referral,
    Transaction,
    read_bundle,
    read_document,
    referral_from_service_request,
    request_update,
)
from connectors.fhir_capability import capability_statement
from connectors.fhir_rest import (
    Preferences,
    check_summary,
    etag,
    identifier_token,
    if_none_exist,
    matches,
    preferences,
    read_search,
    referenced_id,
    searchset,
    serves_json,
    subset,
)
from hub.intake.fhir import (
    RequestResult,
    Served,
    TaskResult,
    call_off_request,
    cancel_referral,
    existing_request,
    find_requests,
    find_tasks,
    kind_codes,
    read_request,
    read_task,
    submit_referral,
    submit_request,
)
from hub.intake.service import policy_of
from hub.platform.config import public_url
from hub.platform.errors import InvalidFields, NotAcceptable, NotFound, UnsupportedMediaType
from hub.web.access import partner_of, principal_of
from hub.web.appkeys import POOL, SETTINGS
from hub.web.operation_outcome import (
    FHIR_JSON,
    FhirQueryError,
    FhirRequestError,
    fhir_response,
    information,
)
from hub.web.requests import path_id, read_body, refuse_duplicate_keys

routes = web.RouteTableDef()


# --- the parts every route shares ------------------------------------------------------------


def _negotiate(request: web.Request) -> None:
    """The hub writes FHIR JSON only: a client that takes nothing else is told so (406) before
    anything is done."""
    if not serves_json(request.headers.get("Accept"), request.query.get("_format")):
        raise NotAcceptable(
            f"the hub answers in {FHIR_JSON} only (Accept, _format); FHIR XML is not served"
        )


def _query(read: Any, *args: Any) -> Any:
    """`read(*args)`, its refusal of a parameter or header answered 400."""
    try:
        return read(*args)
    except FhirInputError as error:
        raise FhirQueryError(error) from None


def _base(request: web.Request) -> str:
    """The FHIR base URL, as the hub is reached (HUB_PUBLIC_URL, else the request's own)."""
    root = request.app[SETTINGS].public_url or f"{request.scheme}://{request.host}"
    return f"{root.rstrip('/')}/fhir"


def _version_headers(version: str, last_modified: datetime) -> dict[str, str]:
    return {
        "ETag": etag(version),
        "Last-Modified": format_datetime(last_modified.astimezone(UTC), usegmt=True),
    }


async def _read_resource(request: web.Request) -> Any:
    if request.content_type not in (FHIR_JSON, "application/json"):
        raise UnsupportedMediaType(f"send {FHIR_JSON}, not {request.content_type or 'nothing'}")
    return refuse_duplicate_keys(await read_body(request, request.app[SETTINGS].max_body_bytes))


async def _read_referral(request: web.Request, read: Any) -> Any:
    """The body as a FHIR resource, translated by `read` with the codes the partner's kind and
    the administrator's mappings give."""
    data = await _read_resource(request)
    codes = await kind_codes(request.app[POOL], partner_of(request))
    try:
        return read(data, codes)
    except FhirInputError as error:
        raise FhirRequestError(error) from None


def _read_view(request: web.Request, *, search: bool = False) -> tuple[str | None, str | None]:
    summary, elements = request.query.get("_summary"), request.query.get("_elements")
    _query(lambda: check_summary(summary, search=search))
    return summary, elements


def _shown(resource: dict[str, Any], summary: str | None, elements: str | None) -> dict[str, Any]:
    shown: dict[str, Any] = _query(subset, resource, summary, elements)
    return shown


# --- ServiceRequest: create, read, vread, update (to call off), search ------------------------


def _answer(
    request: web.Request,
    served: Served,
    status: int,
    prefs: Preferences,
    said: str,
    *,
    location: bool,
) -> web.Response:
    """A create's or an update's answer, as `Prefer: return=` asks (representation unless said
    otherwise): the ServiceRequest, nothing, or an OperationOutcome that says what was done."""
    base = _base(request)
    headers = _version_headers(served.version, served.last_modified)
    if location:
        headers["Location"] = f"{base}/ServiceRequest/{served.id}/_history/{served.version}"
    if "return=" in request.headers.get("Prefer", ""):
        headers["Preference-Applied"] = f"return={prefs.return_}"
    if prefs.return_ == "minimal":
        return web.Response(status=status, headers=headers)
    if prefs.return_ == "representation" and served.resource is not None:
        return fhir_response(served.resource, status, **headers)
    message = (
        f"{said} ServiceRequest/{served.id} (version {served.version}); Task/{served.id} tracks it."
    )
    if served.gone:
        message += " Its personal data has been removed (no team had it yet), so it is not shown."
    return fhir_response(information(message), status, **headers)


def _actor(request: web.Request) -> str:
    return principal_of(request).actor


async def _call_off(request: web.Request, cancellation: Cancellation, prefs: Preferences) -> Served:
    served = await call_off_request(
        request.app[POOL],
        partner_of(request),
        cancellation.request_status or "revoked",
        reference=cancellation.external_ref,
        actor=_actor(request),
        body=prefs.return_ == "representation",
        public_url=public_url(request.app[SETTINGS]),
    )
    if served is None:
        message = "no referral of yours has this identifier: there is nothing to call off"
        raise InvalidFields(
            message, errors=[{"loc": cancellation.reference_at.split("."), "msg": message}]
        )
    return served


async def _create(
    request: web.Request, referral: Referral, condition: str | None, prefs: Preferences
) -> RequestResult:
    """The referral taken, unless the condition (If-None-Exist) finds it taken before."""
    pool, partner, body = request.app[POOL], partner_of(request), prefs.return_ == "representation"
    if condition is not None:
        token = _query(if_none_exist, condition)
        found = await existing_request(pool, partner, token, actor=_actor(request), body=body)
        if found is not None:
            return found
    settings = request.app[SETTINGS]
    return await submit_request(
        pool,
        partner,
        referral,
        actor=_actor(request),
        body=body,
        policy=policy_of(settings),
        public_url=public_url(settings),
    )


@routes.post("/fhir/ServiceRequest")
async def post_service_request(request: web.Request) -> web.Response:
    """Create: 201 with the hub's ServiceRequest (200 when sent before, or found by the
    If-None-Exist condition); posted revoked or entered-in-error: the referral called off."""
    _negotiate(request)
    prefs = preferences(request.headers.get("Prefer"))
    content = await _read_referral(request, referral_from_service_request)
    if isinstance(content, Cancellation):
        served = await _call_off(request, content, prefs)
        return _answer(request, served, 200, prefs, "Called off", location=False)
    result = await _create(request, content, request.headers.get("If-None-Exist"), prefs)
    said = "Created" if result.created else "Taken before as"
    return _answer(
        request, result.request, 201 if result.created else 200, prefs, said, location=True
    )


@routes.put("/fhir/ServiceRequest/{id}")
async def put_service_request(request: web.Request) -> web.Response:
    """Update, only to call the referral off (status revoked or entered-in-error)."""
    _negotiate(request)
    prefs = preferences(request.headers.get("Prefer"))
    request_id = path_id(request, "ServiceRequest")
    data = await _read_resource(request)
    try:
        given_id, status = request_update(data)
    except FhirInputError as error:
        raise FhirRequestError(error) from None
    if given_id != request.match_info["id"]:
        raise FhirQueryError(
            FhirInputError(
                [FhirIssue("ServiceRequest.id", "the id must be the one in the URL", "invalid")]
            )
        )
    served = await call_off_request(
        request.app[POOL],
        partner_of(request),
        status,
        request_id=request_id,
        if_match=request.headers.get("If-Match"),
        actor=_actor(request),
        body=prefs.return_ == "representation",
        public_url=public_url(request.app[SETTINGS]),
    )
    if served is None:
        raise NotFound("no such ServiceRequest; create one with POST")
    return _answer(request, served, 200, prefs, "Called off", location=False)


async def _read_request(request: web.Request, version: str | None) -> web.StreamResponse:
    _negotiate(request)
    summary, elements = _read_view(request)
    unless = request.headers.get("If-None-Match")
    served = await read_request(
        request.app[POOL],
        partner_of(request),
        path_id(request, "ServiceRequest"),
        actor=_actor(request),
        version=version,
        unless=unless,
    )
    headers = _version_headers(served.version, served.last_modified)
    if served.resource is None:  # the client holds this version already
        return web.Response(status=304, headers=headers)
    return fhir_response(_shown(served.resource, summary, elements), 200, **headers)


@routes.get("/fhir/ServiceRequest/{id}")
async def get_service_request(request: web.Request) -> web.StreamResponse:
    return await _read_request(request, None)


@routes.get("/fhir/ServiceRequest/{id}/_history/{vid}")
async def get_service_request_version(request: web.Request) -> web.StreamResponse:
    return await _read_request(request, request.match_info["vid"])


def _ids(values: list[str], resource_type: str | None = None) -> list[UUID]:
    """The UUIDs a search's values name (another id names nothing the hub has)."""
    found = []
    for value in values:
        text = referenced_id(value, resource_type) if resource_type else value
        try:
            found.append(UUID(text or ""))
        except ValueError:
            continue
    return found


def _self_url(request: web.Request, resource_type: str) -> str:
    query = f"?{request.query_string}" if request.query_string else ""
    return f"{_base(request)}/{resource_type}{query}"


def _bundle(
    request: web.Request,
    resource_type: str,
    resources: list[dict[str, Any]],
    summary: str | None,
    elements: str | None,
) -> web.Response:
    if summary == "count":
        bundle = searchset(_base(request), resource_type, [], _self_url(request, resource_type))
        bundle["total"] = len(resources)
        return fhir_response(bundle)
    shown = [_shown(resource, summary, elements) for resource in resources]
    return fhir_response(
        searchset(_base(request), resource_type, shown, _self_url(request, resource_type))
    )


@routes.get("/fhir/ServiceRequest")
async def search_service_requests(request: web.Request) -> web.Response:
    _negotiate(request)
    summary, elements = _read_view(request, search=True)
    strict = preferences(request.headers.get("Prefer")).strict
    search = _query(
        lambda: read_search("ServiceRequest", list(request.query.items()), strict=strict)
    )
    found = await find_requests(
        request.app[POOL],
        partner_of(request),
        ids=[_ids(values) for values in search.criteria.get("_id", [])],
        identifiers=[
            [identifier_token(value) for value in values]
            for values in search.criteria.get("identifier", [])
        ],
        actor=_actor(request),
    )
    resources = [served.resource for served in found if served.resource is not None]
    return _bundle(request, "ServiceRequest", resources, summary, elements)


# --- Task: read, search ------------------------------------------------------------------------


def _task_headers(task: dict[str, Any]) -> dict[str, str]:
    return _version_headers(
        task["meta"]["versionId"], datetime.fromisoformat(task["meta"]["lastUpdated"])
    )


@routes.get("/fhir/Task/{id}")
async def get_task(request: web.Request) -> web.StreamResponse:
    _negotiate(request)
    summary, elements = _read_view(request)
    task = await read_task(request.app[POOL], partner_of(request), path_id(request, "Task"))
    headers = _task_headers(task)
    unless = request.headers.get("If-None-Match")
    if unless is not None and matches(unless, task["meta"]["versionId"]):
        return web.Response(status=304, headers=headers)
    return fhir_response(_shown(task, summary, elements), 200, **headers)


@routes.get("/fhir/Task")
async def search_tasks(request: web.Request) -> web.Response:
    """By _id, or by the ServiceRequest it is about (focus) or fulfils (based-on): the same
    one, as the hub serves it."""
    _negotiate(request)
    summary, elements = _read_view(request, search=True)
    strict = preferences(request.headers.get("Prefer")).strict
    search = _query(lambda: read_search("Task", list(request.query.items()), strict=strict))
    wanted: set[UUID] | None = None
    for name, occurrences in search.criteria.items():
        for values in occurrences:
            named = set(_ids(values, None if name == "_id" else "ServiceRequest"))
            wanted = named if wanted is None else wanted & named
    tasks = await find_tasks(
        request.app[POOL],
        partner_of(request),
        sorted(wanted or ()),
        of_requests=bool({"focus", "based-on"} & set(search.criteria)),
    )
    return _bundle(request, "Task", tasks, summary, elements)


# --- Bundles: transactions and documents -----------------------------------------------------


def _task_response(result: TaskResult) -> web.Response:
    location = f"/fhir/Task/{result.task['id']}"
    return fhir_response(
        result.task,
        201 if result.created else 200,
        Location=location,
        **_task_headers(result.task),
    )


@routes.post("/fhir")
async def post_bundle(request: web.Request) -> web.Response:
    """A transaction Bundle, or a document (as ZorgDomein delivers a referral)."""
    _negotiate(request)
    content = await _read_referral(request, read_bundle)
    if isinstance(content, Transaction):
        return await _transaction_response(request, content)
    return await _document_response(request, content)


@routes.post("/fhir/Bundle")
async def post_document(request: web.Request) -> web.Response:
    _negotiate(request)
    return await _document_response(request, await _read_referral(request, read_document))


async def _document_response(
    request: web.Request, content: Referral | Cancellation
) -> web.Response:
    """A document is answered with the Task of its referral: 201 for a new one, 200 for one
    sent before or called off by this document (the Task is then cancelled)."""
    settings = request.app[SETTINGS]
    if isinstance(content, Cancellation):
        result = await cancel_referral(
            request.app[POOL], partner_of(request), content, public_url=public_url(settings)
        )
    else:
        result = await submit_referral(
            request.app[POOL],
            partner_of(request),
            content,
            policy=policy_of(settings),
            public_url=public_url(settings),
        )
    return _task_response(result)


_KEPT = {
    ENTRY_SUBJECT: "Kept inside the referral, not as a Patient of its own: served as the Patient "
    "contained in ServiceRequest/{id} (#" + PATIENT_ID + ").",
    ENTRY_CONSENT: "Read for whether the resident was informed (an active Consent: informed); "
    "not kept as a resource.",
}
_NOT_KEPT = (
    "Not kept: the hub keeps the referral (ServiceRequest), its Patient and whether the "
    "resident was informed."
)
_CALLED_OFF = "Not read: the transaction called the referral off."


async def _transaction_response(request: web.Request, transaction: Transaction) -> web.Response:
    """A transaction-response Bundle whose entries answer for the request's entries, in order:
    the ServiceRequest created (201) or found again (200), the Patient and the Consent taken
    into it (200, an outcome saying how). The Task is found by search (the outcome says where)."""
    prefs = preferences(request.headers.get("Prefer"))
    referral = transaction.referral
    if isinstance(referral, Cancellation):
        served = await _call_off(request, referral, prefs)
        status = "200 OK"
    else:
        result = await _create(request, referral, transaction.if_none_exist, prefs)
        served = result.request
        status = "201 Created" if result.created else "200 OK"
    said = (
        f"Task/{served.id} tracks the referral: {_base(request)}/Task?focus=ServiceRequest/"
        f"{served.id}"
    )
    entries: list[dict[str, Any]] = []
    for role in transaction.entry_roles:
        if role == ENTRY_REQUEST:
            response: dict[str, Any] = {
                "status": status,
                "location": f"ServiceRequest/{served.id}/_history/{served.version}",
                "etag": etag(served.version),
                "lastModified": served.last_modified.isoformat(),
                "outcome": information(said),
            }
            entry: dict[str, Any] = {"response": response}
            if prefs.return_ == "representation" and served.resource is not None:
                entry = {"resource": served.resource, **entry}
            elif prefs.return_ == "minimal":
                del response["outcome"]
            entries.append(entry)
        elif isinstance(referral, Cancellation):
            entries.append({"response": {"status": "200 OK", "outcome": information(_CALLED_OFF)}})
        else:
            message = _KEPT.get(role, _NOT_KEPT).format(id=served.id)
            entries.append({"response": {"status": "200 OK", "outcome": information(message)}})
    bundle = {
        "resourceType": "Bundle",
        "type": "transaction-response",
        "timestamp": datetime.now(UTC).isoformat(),
        "entry": entries,
    }
    return fhir_response(bundle, 200)


@routes.get("/fhir/metadata")
async def metadata(request: web.Request) -> web.Response:
    _negotiate(request)
    return fhir_response(capability_statement())
