"""HL7 FHIR R4 referrals (as GP systems send them) translated to signals, and the Task back.

A referral is a ServiceRequest about a Patient, posted either alone with the Patient contained,
or in a transaction Bundle with the Patient (and optionally a Consent) as entries; or a FHIR
document as ZorgDomein delivers it: a Bundle of type `document` whose first entry is a
Composition (the ZD number its identifier, the Patient its subject, the letter in its sections'
narrative), followed by the resources it references. A later document of the same referral can
call it off (a `Cancellation`), as can the ServiceRequest posted again with status `revoked` or
`entered-in-error`. Parsing and validation of the resources is done by `fhir.resources` (R4B,
wire-compatible with R4 for these resources), including the codes of required bindings; this
module reads the Dutch address parts, the narrative as plain text, and maps codes to signal
kinds (`KindCodes`). Errors carry the FHIRPath of the element at fault, for an OperationOutcome.

Back out go the resources the hub serves: the ServiceRequest rebuilt from its signal
(`service_request_for`) and the Task that tracks it (`task_for`).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from html import escape
from typing import Any, TypeVar

from fhir.resources.R4B import get_fhir_model_class
from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.composition import Composition, CompositionSection
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.resource import Resource
from fhir.resources.R4B.servicerequest import ServiceRequest
from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

from connectors.fhir_codes import SOCIAL_CARE_CODES
from connectors.narrative import plain_text
from schemas.address import ascii_number
from schemas.signals import SignalIn, SignalKind

FHIR_VERSION = "4.0.1"
KIND_SYSTEM = "https://signal-hub.example/fhir/CodeSystem/signal-kind"
ADXP = "http://hl7.org/fhir/StructureDefinition/iso21090-ADXP-"
# The code system our own kinds are published in: every kind is its own code.
DEFAULT_KIND_CODES: dict[tuple[str, str], SignalKind] = {
    (KIND_SYSTEM, kind.value): kind for kind in SignalKind
}
MAX_DESCRIPTION = 2000  # what a signal's description holds (schemas.signals.SignalIn)
MAX_REASON = 1000  # what a withdrawal's reason holds (schemas.signals.WithdrawalIn)
# ZorgDomein's code system of document types (Composition.type): `referral-letter`
# (Verwijsbrief), `appointment-request` (Afspraakbericht), ..., and `cancellation`
# (Annuleringsbericht): "the initiator of a referral or healthcare request may decide to cancel
# a sent referral or request by sending a cancellation request. This document contains the
# cancellation request and the reason for cancellation." All documents of one referral share
# its ZD number, the Composition's identifier.
# https://integrator.zorgdomein.com/terminology/code-system/document-type/
# https://integrator.zorgdomein.com/general-functional-documentation/transactions-and-documents/
ZD_DOCUMENT_TYPE = "http://zorgdomein.nl/terminology/code-system/document-type"
ZD_CANCELLATION = "cancellation"
# A ServiceRequest with one of these statuses calls its referral off; one the hub takes is active.
REQUEST_CANCELLED = ("revoked", "entered-in-error")
PATIENT_ID = "patient"  # the contained Patient of a ServiceRequest the hub serves
_PRIORITY = {"routine": "normal", "urgent": "high", "asap": "high", "stat": "high"}
_URGENCY_PRIORITY = {"normal": "routine", "high": "urgent"}
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_XHTML = "http://www.w3.org/1999/xhtml"
Model = TypeVar("Model", bound=FHIRAbstractModel)
Read = TypeVar("Read")
_LINE_NUMBER = re.compile(r"\s([0-9]{1,5})\s*([A-Za-z])?(?:\s*[-\s]\s*([A-Za-z0-9]{1,4}))?\s*$")


@dataclass(frozen=True)
class FhirIssue:
    expression: str
    message: str
    code: str = "invalid"


class FhirInputError(ValueError):
    """The resource cannot become a signal; `issues` say where and why."""

    def __init__(self, issues: list[FhirIssue]) -> None:
        super().__init__("; ".join(f"{i.expression}: {i.message}" for i in issues))
        self.issues = issues


@dataclass(frozen=True)
class RequestFacts:
    """What a ServiceRequest says that its signal does not hold, none of it personal: kept
    beside the signal, so that the hub can serve the ServiceRequest it took."""

    identifier_system: str | None
    intent: str
    priority: str | None


@dataclass(frozen=True)
class Referral:
    """A signal read from FHIR, with what the Task needs to point back at the request, and
    where its kind and reference came from (for a refusal).

    A ServiceRequest's referral carries its `request` facts: the hub serves it as a
    ServiceRequest of its own, which the Task points at. A document's Task points at the
    document by its identifier (`focus`, `identifier:<system>|<value>`)."""

    signal: SignalIn
    focus: str | None = None
    kind_at: str = "ServiceRequest.code"
    reference_at: str = "ServiceRequest.identifier"
    request: RequestFacts | None = None


@dataclass(frozen=True)
class Cancellation:
    """A referral called off (a later document of it, or its ServiceRequest sent again as
    revoked or entered-in-error): its partner withdraws the signal."""

    external_ref: str
    reason: str | None
    request_status: str | None = None  # a ServiceRequest's: revoked or entered-in-error
    reference_at: str = "Composition.identifier"


ENTRY_REQUEST = "request"  # the transaction's ServiceRequest
ENTRY_SUBJECT = "subject"  # its Patient, kept inside the signal (contained when served)
ENTRY_CONSENT = "consent"  # read for whether the resident was informed
ENTRY_OTHER = "other"  # anything else: not kept


@dataclass(frozen=True)
class Transaction:
    """A transaction Bundle's referral (or the calling off of one), what each entry was to the
    hub (`ENTRY_*`, for the answer), and the ServiceRequest entry's conditional create."""

    referral: Referral | Cancellation
    entry_roles: list[str]
    if_none_exist: str | None = None


@dataclass(frozen=True)
class KindCodes:
    """How a referral's codes become a kind of signal, for one partner.

    `chosen` codes are taken as sent: our own code system and what an administrator mapped (a
    kind the partner may not send is refused, as on every channel). A `suggested` code (the
    shipped social-care table) is taken where the partner may send its kind (`allowed`, None:
    any). Any other code, or none, gives `fallback`, the partner kind's default kind; without a
    fallback it is refused.
    """

    chosen: Mapping[tuple[str, str], SignalKind] = field(
        default_factory=lambda: dict(DEFAULT_KIND_CODES)
    )
    suggested: Mapping[tuple[str, str], SignalKind] = field(
        default_factory=lambda: dict(SOCIAL_CARE_CODES)
    )
    allowed: frozenset[SignalKind] | None = None
    fallback: SignalKind | None = None


def _step(name: str) -> str:
    """One step of a FHIRPath: a name as it is, anything else quoted (a delimited identifier);
    the JSON name of a primitive's extensions (`_birthDate`) is the primitive's own."""
    if name.startswith("_") and len(name) > 1:
        name = name[1:]
    if _NAME.fullmatch(name):
        return name
    return "`" + name.replace("\\", "\\\\").replace("`", "\\`") + "`"


def _expression(root: str, loc: tuple[int | str, ...]) -> str:
    """The FHIRPath of the element at `loc` under `root`: `Patient.address[0].line`."""
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{_step(str(part))}"
    return path


def _is_resource_type(name: object) -> bool:
    if not isinstance(name, str) or not _NAME.fullmatch(name) or not name[0].isupper():
        return False
    try:
        return issubclass(get_fhir_model_class(name), Resource)
    except ValueError:
        return False


def _unknown_resources(data: Any) -> Iterator[tuple[int | str, ...]]:
    """Where a resource stands (contained, a Bundle entry's, an outcome) without a resource type
    R4 knows: fhir.resources fails on those with errors of its own rather than ValidationError.
    Walked with a stack of its own, not by recursion: however deep the JSON is, no
    RecursionError."""
    stack: list[tuple[tuple[int | str, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        if isinstance(value, list):
            stack.extend(((*loc, index), item) for index, item in enumerate(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if key in ("contained", "resource", "outcome"):
                    placed = (
                        [((*loc, key, index), each) for index, each in enumerate(item)]
                        if key == "contained" and isinstance(item, list)
                        else [((*loc, key), item)]
                    )
                    for at, resource in placed:
                        if isinstance(resource, dict) and not _is_resource_type(
                            resource.get("resourceType")
                        ):
                            yield at
                stack.append(((*loc, key), item))


def _bound_codes(model: FHIRAbstractModel, path: str) -> Iterator[FhirIssue]:
    """Codes outside the value set of a required binding, anywhere in `model`. fhir.resources
    lists such a value set with each element (`enum_values`) but leaves the check to its user;
    a list ending in `+` is incomplete there, and is not checked."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name, None)
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        if value is None or not extra.get("element_property"):
            continue
        where = f"{path}.{_step(info.alias or name)}"
        allowed = extra.get("enum_values")
        items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
        for index, item in items:
            at = where if index is None else f"{where}[{index}]"
            if isinstance(allowed, list) and allowed and "+" not in allowed:
                if isinstance(item, str) and item not in allowed:
                    yield FhirIssue(
                        at,
                        # The value itself is not repeated: input is never echoed.
                        "not a code of this element's required value set: use "
                        + ", ".join(str(code) for code in allowed),
                        "code-invalid",
                    )
            elif isinstance(item, FHIRAbstractModel):
                yield from _bound_codes(item, at)


def _validated(kind: type[Model], data: Any, root: str) -> Model:
    """`data` as a `kind`, structure and the codes of required bindings checked; every fault
    with the FHIRPath of its element."""
    unknown = [
        FhirIssue(_expression(root, loc), "not a resource type of FHIR R4", "structure")
        for loc in _unknown_resources(data)
    ]
    if unknown:
        raise FhirInputError(unknown)
    try:
        model = kind.model_validate(data)
    except ValidationError as error:
        raise _from_validation(root, error) from None
    except (KeyError, TypeError):  # fhir.resources' own, past what _unknown_resources catches
        raise FhirInputError(
            [FhirIssue(root, "the resource cannot be read as FHIR R4", "structure")]
        ) from None
    issues = list(_bound_codes(model, root))
    if issues:
        raise FhirInputError(issues)
    return model


def _from_validation(root: str, error: ValidationError) -> FhirInputError:
    return FhirInputError(
        [
            FhirIssue(
                _expression(root, tuple(item["loc"])), item["msg"].removeprefix("Value error, ")
            )
            for item in error.errors(include_url=False, include_input=False)
        ]
    )


def _under(path: str, kind: str, root: str) -> str:
    """A path read from a resource of `kind` (`ServiceRequest.note`) as the FHIRPath of that
    element in the Bundle posted, where the resource stands at `root`."""
    rest = path.removeprefix(kind)
    return root + rest if rest != path and rest[:1] in ("", ".", "[") else path


def _rooted(read: Callable[[], Read], kind: str, root: str) -> Read:
    """`read()`, the paths of its result and of its refusal rooted at `root` (see `_under`)."""
    try:
        result = read()
    except FhirInputError as error:
        raise FhirInputError(
            [replace(i, expression=_under(i.expression, kind, root)) for i in error.issues]
        ) from None

    def rooted(found: Referral | Cancellation) -> Referral | Cancellation:
        if isinstance(found, Referral):
            return replace(
                found,
                kind_at=_under(found.kind_at, kind, root),
                reference_at=_under(found.reference_at, kind, root),
            )
        return replace(found, reference_at=_under(found.reference_at, kind, root))

    if isinstance(result, Transaction):
        return replace(result, referral=rooted(result.referral))
    return rooted(result)  # type: ignore[arg-type,return-value]


def _extensions(address: Any) -> dict[str, str]:
    """The ADXP address-part extensions on the first `line` (nl-core-address puts them there)."""
    parts: dict[str, str] = {}
    for primitive in (address.line__ext or [])[:1]:
        for extension in (primitive.extension if primitive else None) or []:
            if extension.url.startswith(ADXP) and extension.valueString:
                parts[extension.url.removeprefix(ADXP)] = extension.valueString.strip()
    return parts


def _split_suffix(suffix: str) -> tuple[str | None, str | None]:
    """nl-core puts huisletter and toevoeging together in buildingNumberSuffix: `A bis`."""
    match = re.fullmatch(r"([A-Za-z])?(?:[\s-]*([A-Za-z0-9]{1,4}))?", suffix.strip())
    if match is None:
        return None, suffix
    letter, addition = match.group(1), match.group(2)
    if letter and addition is None and len(suffix.strip()) == 1:
        return letter, None
    return letter, addition


def _home(patient: Patient) -> tuple[int, Any] | None:
    """The patient's home address (else the first one), with its index."""
    addresses = patient.address or []
    home = next((a for a in addresses if a.use == "home"), addresses[0] if addresses else None)
    return (addresses.index(home), home) if home is not None else None


def _address(patient: Patient, where: str) -> dict[str, Any]:
    found = _home(patient)
    if found is None:
        raise FhirInputError(
            [
                FhirIssue(
                    f"{where}.address",
                    "the Patient has no address (Patient.address): the hub sends a referral "
                    "to the district team of the address",
                    "required",
                )
            ]
        )
    index, home = found
    at = f"{where}.address[{index}]"
    if not home.postalCode:
        raise FhirInputError(
            [FhirIssue(f"{at}.postalCode", "the address has no postcode", "required")]
        )
    parts = _extensions(home)
    number_text = parts.get("houseNumber")
    letter: str | None = None
    addition: str | None = None
    if number_text is not None:
        letter, addition = _split_suffix(parts.get("buildingNumberSuffix", ""))
    else:
        line = " " + " ".join(part for part in home.line or [] if part)
        match = _LINE_NUMBER.search(line)
        if match is None:
            raise FhirInputError(
                [FhirIssue(f"{at}.line", "no house number in the address line", "required")]
            )
        number_text, letter, addition = match.group(1), match.group(2), match.group(3)
    if not ascii_number(number_text):
        raise FhirInputError([FhirIssue(f"{at}.line", "the house number is not a number")])
    return {
        "postcode": home.postalCode,
        "house_number": int(number_text),
        "house_letter": letter,
        "addition": addition,
    }


def _person(patient: Patient) -> dict[str, Any] | None:
    name = None
    if patient.name:
        first = patient.name[0]
        given = [part for part in first.given or [] if part]
        name = first.text or " ".join([*given, first.family or ""]).strip() or None
    birth = patient.birthDate
    if name is None and birth is None:
        return None
    return {"name": name, "birth_date": birth}


def _codings(concepts: Sequence[CodeableConcept | None]) -> list[Any]:
    return [coding for concept in concepts if concept for coding in concept.coding or []]


def _kind(concepts: Sequence[CodeableConcept | None], codes: KindCodes, where: str) -> SignalKind:
    keys = [(coding.system or "", coding.code or "") for coding in _codings(concepts)]
    for key in keys:
        if key in codes.chosen:
            return codes.chosen[key]
    for key in keys:
        kind = codes.suggested.get(key)
        if kind is not None and (codes.allowed is None or kind in codes.allowed):
            return kind
    if codes.fallback is not None:
        return codes.fallback
    raise FhirInputError(
        [FhirIssue(where, "no code this hub maps to a kind of signal", "code-invalid")]
    )


def _kept_coding(concepts: Sequence[CodeableConcept | None]) -> dict[str, Any] | None:
    """The referrer's own code for the concern (not one of our kinds), to show the team."""
    for concept in concepts:
        for coding in (concept.coding if concept else None) or []:
            system, code = (coding.system or "").strip(), (coding.code or "").strip()
            if not system or not code or system == KIND_SYSTEM:
                continue
            if len(system) > 200 or len(code) > 100:
                continue  # not a code a person reads; the kind holds what it meant
            display = (coding.display or (concept.text if concept else None) or "").strip()
            return {"system": system, "code": code, "display": display[:200] or None}
    return None


def _too_long(
    where: str, text: str, limit: int = MAX_DESCRIPTION, what: str = "the concern"
) -> FhirInputError:
    # Cut, the team would read half a concern without knowing it: refuse, and say why.
    return FhirInputError(
        [
            FhirIssue(
                where,
                f"{what} is {len(text)} characters; at most {limit} are taken",
                "too-long",
            )
        ]
    )


def _description(request: ServiceRequest) -> str:
    """The note; else the reason's text; else the code's text or display."""
    notes = [note.text for note in request.note or [] if note.text]
    texts = notes or [
        concept.text for concept in (request.reasonCode or []) if concept and concept.text
    ]
    if not texts and request.code and request.code.text:
        texts = [request.code.text]
    if not texts:
        texts = [coding.display for coding in _codings([request.code]) if coding.display][:1]
    if not texts:
        raise FhirInputError(
            [FhirIssue("ServiceRequest.note", "say what the concern is in a note", "required")]
        )
    text = "\n".join(texts)
    if len(text) > MAX_DESCRIPTION:
        raise _too_long("ServiceRequest.note", text)
    return text


def _informed(consent: Consent | None) -> dict[str, Any]:
    if consent is not None and consent.status == "active":
        return {"informed": True}
    reason = (
        "Geen actieve toestemming (Consent) meegestuurd"
        if consent is None
        else f"Toestemming heeft status {consent.status}"
    )
    return {"informed": False, "reason": reason}


def _signal(
    fields: dict[str, Any],
    reads: Mapping[str, Callable[[], Any]],
    patient: Patient,
    patient_path: str,
    paths: Mapping[tuple[str, ...], str],
    root: str,
) -> SignalIn:
    """The signal of `fields` and what `reads` read (every refusal of those at once), with the
    patient's person details; a refusal of the signal's own rules names the FHIR element."""
    issues: list[FhirIssue] = []
    for key, read in reads.items():
        try:
            fields[key] = read()
        except FhirInputError as error:
            issues.extend(error.issues)
    if issues:
        raise FhirInputError(issues)
    fields["person"] = _person(patient)
    home = _home(patient)
    at = f"{patient_path}.address[{home[0] if home else 0}]"
    located = {
        **paths,
        ("address", "postcode"): f"{at}.postalCode",
        ("address",): f"{at}.line",
        ("person", "name"): f"{patient_path}.name[0]",
        ("person", "birth_date"): f"{patient_path}.birthDate",
    }

    def expression(loc: tuple[int | str, ...]) -> str:
        return next(
            (path for prefix, path in located.items() if loc[: len(prefix)] == prefix), root
        )

    try:
        return SignalIn.model_validate(fields)
    except ValidationError as error:
        raise FhirInputError(
            [
                FhirIssue(expression(tuple(item["loc"])), item["msg"].removeprefix("Value error, "))
                for item in error.errors(include_url=False, include_input=False)
            ]
        ) from None


def _reference(request: ServiceRequest) -> tuple[str, Any]:
    """The partner's reference for the request: its identifier's value, else (without an
    identifier) the request's own id; and the identifier."""
    identifier = next((i for i in request.identifier or [] if i.value), None)
    reference = identifier.value if identifier else request.id
    if not reference:
        raise FhirInputError(
            [
                FhirIssue(
                    "ServiceRequest.identifier", "give the referral your own identifier", "required"
                )
            ]
        )
    return reference, identifier


def _called_off(request: ServiceRequest) -> Cancellation | None:
    """A ServiceRequest revoked or entered in error calls its referral off (nothing else of it
    is read); one the hub takes is active."""
    if request.status in REQUEST_CANCELLED:
        reference, identifier = _reference(request)
        return Cancellation(
            reference,
            None,
            request_status=request.status,
            reference_at="ServiceRequest.identifier" if identifier else "ServiceRequest.id",
        )
    if request.status != "active":
        raise FhirInputError(
            [
                FhirIssue(
                    "ServiceRequest.status",
                    f"a referral the hub takes is active (and revoked or entered-in-error calls "
                    f"it off); this one is {request.status}",
                    "business-rule",
                )
            ]
        )
    return None


def _referral(
    request: ServiceRequest,
    patient: Patient,
    patient_path: str,
    consent: Consent | None,
    codes: KindCodes,
) -> Referral:
    reference, identifier = _reference(request)
    concepts = [request.code, *(request.category or [])]
    kind_at = "ServiceRequest.code" if request.code else "ServiceRequest.category"
    signal = _signal(
        {
            "external_ref": reference,
            "urgency": _PRIORITY.get(request.priority or "routine", "normal"),
            "resident_informed": _informed(consent),
            "coding": _kept_coding(concepts),
        },
        {
            "kind": lambda: _kind(concepts, codes, kind_at).value,
            "address": lambda: _address(patient, patient_path),
            "description": lambda: _description(request),
        },
        patient,
        patient_path,
        {
            ("external_ref",): (
                "ServiceRequest.identifier[0].value" if identifier else "ServiceRequest.id"
            ),
            ("description",): "ServiceRequest.note",
        },
        "ServiceRequest",
    )
    facts = RequestFacts(
        identifier_system=identifier.system if identifier else None,
        intent=request.intent or "order",
        priority=request.priority,
    )
    return Referral(signal, kind_at=kind_at, request=facts)


def _resource_type(data: Any) -> str | None:
    return data.get("resourceType") if isinstance(data, dict) else None


def _expect(data: Any, expected: str) -> None:
    found = _resource_type(data)
    if found != expected:
        # The element at fault is the resource itself, named by its type where it has one.
        at = found if _is_resource_type(found) else ""
        raise FhirInputError([FhirIssue(str(at), f"expected a {expected}", "structure")])


def referral_from_service_request(
    data: Any, codes: KindCodes | None = None
) -> Referral | Cancellation:
    """A ServiceRequest with its Patient contained (subject `#id`); or, revoked or entered in
    error, the calling off of the referral it was sent as."""
    _expect(data, "ServiceRequest")
    request = _validated(ServiceRequest, data, "ServiceRequest")
    cancellation = _called_off(request)
    if cancellation is not None:
        return cancellation
    reference = request.subject.reference if request.subject else None
    for index, contained in enumerate(request.contained or []):
        if isinstance(contained, Patient) and reference == f"#{contained.id}":
            return _referral(
                request, contained, f"ServiceRequest.contained[{index}]", None, codes or KindCodes()
            )
    raise FhirInputError(
        [
            FhirIssue(
                "ServiceRequest.subject",
                "the subject must be a contained Patient (#id)",
                "required",
            )
        ]
    )


def request_update(data: Any) -> tuple[str | None, str]:
    """A ServiceRequest sent to replace the one the hub serves (an update): it may only call the
    referral off, so its status must be revoked or entered-in-error. Its id and that status."""
    _expect(data, "ServiceRequest")
    request = _validated(ServiceRequest, data, "ServiceRequest")
    if request.status not in REQUEST_CANCELLED:
        raise FhirInputError(
            [
                FhirIssue(
                    "ServiceRequest.status",
                    "the hub keeps a referral as it was sent; an update can only call it off "
                    "(status revoked or entered-in-error)",
                    "business-rule",
                )
            ]
        )
    return request.id, str(request.status)


def _bundle(data: Any) -> Bundle:
    _expect(data, "Bundle")
    return _validated(Bundle, data, "Bundle")


def _entry(entries: Sequence[BundleEntry], subject: Any, kind: type[Any]) -> tuple[int, Any] | None:
    """The entry (its index and resource) of type `kind` that `subject` refers to."""
    reference = subject.reference if subject else None
    if not reference:
        return None
    for index, entry in enumerate(entries):
        resource = entry.resource
        if isinstance(resource, kind) and reference in (
            entry.fullUrl,
            f"{kind.__name__}/{resource.id}",
        ):
            return index, resource
    return None


def _entry_requests(entries: Sequence[BundleEntry]) -> None:
    """Each entry of a transaction says what to do with it: the hub takes resources posted (or
    put); the ServiceRequest is posted."""
    issues: list[FhirIssue] = []
    for index, entry in enumerate(entries):
        at = f"Bundle.entry[{index}].request"
        if entry.request is None:
            issues.append(
                FhirIssue(at, "a transaction entry says what to do (request)", "required")
            )
        elif entry.request.method not in ("POST", "PUT") or (
            isinstance(entry.resource, ServiceRequest) and entry.request.method != "POST"
        ):
            issues.append(
                FhirIssue(
                    f"{at}.method",
                    "a transaction here creates a referral: POST the ServiceRequest (PUT or POST "
                    "the resources with it); to call a referral off, post it revoked",
                    "not-supported",
                )
            )
    if issues:
        raise FhirInputError(issues)


def _transaction(bundle: Bundle, codes: KindCodes) -> Transaction:
    entries = bundle.entry or []
    requests: list[tuple[int, ServiceRequest]] = [
        (index, entry.resource)
        for index, entry in enumerate(entries)
        if isinstance(entry.resource, ServiceRequest)
    ]
    if len(requests) != 1:
        raise FhirInputError(
            [FhirIssue("Bundle.entry", "the Bundle needs exactly one ServiceRequest", "required")]
        )
    _entry_requests(entries)
    ((at, request),) = requests
    entry_request = entries[at].request
    if_none_exist = entry_request.ifNoneExist if entry_request else None
    return _rooted(
        lambda: _transaction_of(entries, at, request, if_none_exist, codes),
        "ServiceRequest",
        f"Bundle.entry[{at}].resource",
    )


def _transaction_of(
    entries: Sequence[BundleEntry],
    request_at: int,
    request: ServiceRequest,
    if_none_exist: str | None,
    codes: KindCodes,
) -> Transaction:
    patient_at = _entry(entries, request.subject, Patient)
    consents = {i for i, entry in enumerate(entries) if isinstance(entry.resource, Consent)}

    def role(index: int) -> str:
        if index == request_at:
            return ENTRY_REQUEST
        if patient_at is not None and index == patient_at[0]:
            return ENTRY_SUBJECT
        return ENTRY_CONSENT if index in consents else ENTRY_OTHER

    roles = [role(index) for index in range(len(entries))]
    cancellation = _called_off(request)
    if cancellation is not None:
        return Transaction(cancellation, roles, if_none_exist)
    if patient_at is None:
        raise FhirInputError(
            [
                FhirIssue(
                    "ServiceRequest.subject",
                    "the subject must be the Patient in the Bundle",
                    "required",
                )
            ]
        )
    consent = next((e.resource for e in entries if isinstance(e.resource, Consent)), None)
    referral = _referral(
        request, patient_at[1], f"Bundle.entry[{patient_at[0]}].resource", consent, codes
    )
    return Transaction(referral, roles, if_none_exist)


def _cancels(composition: Composition) -> bool:
    """A document that calls its referral off: ZorgDomein's cancellation document type (see
    ZD_DOCUMENT_TYPE), or in FHIR's own terms a Composition entered in error."""
    if composition.status == "entered-in-error":
        return True
    return any(
        coding.system == ZD_DOCUMENT_TYPE and coding.code == ZD_CANCELLATION
        for coding in _codings([composition.type])
    )


def _section_texts(sections: Sequence[CompositionSection]) -> list[str]:
    texts: list[str] = []
    for section in sections:
        narrative = plain_text(section.text.div) if section.text and section.text.div else ""
        lines = [part for part in ((section.title or "").strip(), narrative) if part]
        if lines:
            texts.append("\n".join(lines))
        texts.extend(_section_texts(section.section or []))
    return texts


def _sections_text(composition: Composition) -> str:
    """The sections' narrative as plain text, each under its title, an empty line between."""
    return "\n\n".join(_section_texts(composition.section or []))


def _letter(composition: Composition) -> str:
    """What the document says: its sections, else its title."""
    text = _sections_text(composition) or (composition.title or "").strip()
    if not text:
        raise FhirInputError(
            [FhirIssue("Composition.section", "the document has no text to read", "required")]
        )
    if len(text) > MAX_DESCRIPTION:
        raise _too_long("Composition.section", text)
    return text


def _document(bundle: Bundle, codes: KindCodes) -> Referral | Cancellation:
    """A document: the Composition first, then what it refers to. Its author (Practitioner,
    Organization) and attachments (Binary, DocumentReference) are read by people, not taken."""
    entries = bundle.entry or []
    composition = entries[0].resource if entries else None
    if not isinstance(composition, Composition):
        raise FhirInputError(
            [
                FhirIssue(
                    "Bundle.entry[0].resource", "a document begins with its Composition", "required"
                )
            ]
        )
    identifier = composition.identifier
    if identifier is None or not identifier.value:
        raise FhirInputError(
            [
                FhirIssue(
                    "Composition.identifier",
                    "give the document the number of its referral (the ZD number)",
                    "required",
                )
            ]
        )
    if _cancels(composition):
        reason = _sections_text(composition)
        if len(reason) > MAX_REASON:
            raise _too_long("Composition.section", reason, MAX_REASON, "the reason")
        return Cancellation(identifier.value, reason or None)
    patient_at = _entry(entries, composition.subject, Patient)
    if patient_at is None:
        raise FhirInputError(
            [
                FhirIssue(
                    "Composition.subject",
                    "the subject must be the Patient in the Bundle",
                    "required",
                )
            ]
        )
    index, patient = patient_at
    patient_path = f"Bundle.entry[{index}].resource"
    consent = next((e.resource for e in entries if isinstance(e.resource, Consent)), None)
    concepts = [composition.type, *(composition.category or [])]
    signal = _signal(
        {
            "external_ref": identifier.value,
            "resident_informed": _informed(consent),
            # The document type says what kind of letter it is, not what the concern is.
            "coding": _kept_coding(composition.category or []),
        },
        {
            "kind": lambda: _kind(concepts, codes, "Composition.type").value,
            "address": lambda: _address(patient, patient_path),
            "description": lambda: _letter(composition),
        },
        patient,
        patient_path,
        {
            ("external_ref",): "Composition.identifier.value",
            ("description",): "Composition.section",
        },
        "Composition",
    )
    return Referral(
        signal,
        focus=f"identifier:{identifier.system or ''}|{identifier.value}",
        kind_at="Composition.type",
        reference_at="Composition.identifier",
    )


def read_bundle(data: Any, codes: KindCodes | None = None) -> Transaction | Referral | Cancellation:
    """A transaction Bundle (a referral and its entries), or a document (a referral, or the
    cancellation of one)."""
    bundle = _bundle(data)
    if bundle.type == "transaction":
        return _transaction(bundle, codes or KindCodes())
    if bundle.type == "document":
        return _rooted(
            lambda: _document(bundle, codes or KindCodes()),
            "Composition",
            "Bundle.entry[0].resource",
        )
    raise FhirInputError([FhirIssue("Bundle.type", "post a transaction or a document Bundle")])


def read_document(data: Any, codes: KindCodes | None = None) -> Referral | Cancellation:
    """A document Bundle: a referral, or the cancellation of one."""
    bundle = _bundle(data)
    if bundle.type != "document":
        raise FhirInputError(
            [
                FhirIssue(
                    "Bundle.type",
                    "post a document Bundle here; a transaction goes to the base (/fhir)",
                )
            ]
        )
    return _rooted(
        lambda: _document(bundle, codes or KindCodes()), "Composition", "Bundle.entry[0].resource"
    )


def _meta(version: str, last_updated: datetime) -> dict[str, Any]:
    return {"versionId": version, "lastUpdated": last_updated.isoformat()}


def _home_address(address: Mapping[str, Any]) -> dict[str, Any]:
    """The household's address as the hub holds it (postcode, number, letter and addition; no
    street or town), in the nl-core way: the parts in ADXP extensions of the line."""
    number = str(address["house_number"])
    suffix = " ".join(
        part for part in (address.get("house_letter"), address.get("addition")) if part
    )
    parts = [{"url": ADXP + "houseNumber", "valueString": number}]
    if suffix:
        parts.append({"url": ADXP + "buildingNumberSuffix", "valueString": suffix})
    return {
        "use": "home",
        "line": [f"{number} {suffix}".strip()],
        "_line": [{"extension": parts}],
        "postalCode": address["postcode"],
        "country": "NL",
    }


@dataclass(frozen=True)
class ServedRequest:
    """What the hub serves a ServiceRequest from: its signal (opened) and its `RequestFacts`."""

    request_id: str
    version: str
    last_updated: datetime
    status: str
    facts: RequestFacts
    external_ref: str
    kind: SignalKind
    kind_display: str | None
    coding: Mapping[str, Any] | None
    person_name: str | None
    birth_date: date | None
    address: Mapping[str, Any]
    description: str


def service_request_for(served: ServedRequest) -> dict[str, Any]:
    """The ServiceRequest the hub serves for a referral it took: rebuilt from its signal, the
    Patient contained (name, birth date and address as the signal holds them), the code of the
    kind the hub took it as first and the referrer's own code (if kept) after it."""
    patient: dict[str, Any] = {"resourceType": "Patient", "id": PATIENT_ID}
    if served.person_name:
        patient["name"] = [{"text": served.person_name}]
    if served.birth_date:
        patient["birthDate"] = served.birth_date.isoformat()
    patient["address"] = [_home_address(served.address)]
    kind = {"system": KIND_SYSTEM, "code": served.kind.value}
    if served.kind_display:
        kind["display"] = served.kind_display
    codings = [kind]
    if served.coding:
        codings.append({key: value for key, value in served.coding.items() if value})
    identifier = {"value": served.external_ref}
    if served.facts.identifier_system:
        identifier = {"system": served.facts.identifier_system, **identifier}
    request: dict[str, Any] = {
        "resourceType": "ServiceRequest",
        "id": served.request_id,
        "meta": _meta(served.version, served.last_updated),
        "contained": [patient],
        "identifier": [identifier],
        "status": served.status,
        "intent": served.facts.intent,
        **({"priority": served.facts.priority} if served.facts.priority else {}),
        "code": {"coding": codings},
        "subject": {"reference": f"#{PATIENT_ID}"},
        "note": [{"text": served.description}],
    }
    return request


def priority_of(urgency: str) -> str:
    """The ServiceRequest priority a signal's urgency stands for (of a referral whose own
    priority was not kept)."""
    return _URGENCY_PRIORITY[urgency]


def _narrative(*paragraphs: str) -> dict[str, str]:
    """A generated narrative of plain text paragraphs (escaped: never markup of their own)."""
    body = "".join(f"<p>{escape(text, quote=False)}</p>" for text in paragraphs)
    return {"status": "generated", "div": f'<div xmlns="{_XHTML}">{body}</div>'}


def task_for(
    *,
    task_id: str,
    focus: str,
    status: str,
    business_status: str,
    owner: str | None,
    authored_on: datetime,
    last_modified: datetime,
) -> dict[str, Any]:
    """The Task a partner reads back for its referral: the state of the work, never its content.

    `focus` is `ServiceRequest/<id>`, the ServiceRequest the hub serves (then also what the Task
    is based on), or `identifier:<system>|<value>`, a document known by its identifier. The
    version is a digest of the content: it changes exactly when what the partner reads does."""
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": task_id,
        "text": _narrative(business_status),
        "identifier": [{"system": "urn:ietf:rfc:3986", "value": f"urn:uuid:{task_id}"}],
        "status": status,
        "businessStatus": {"text": business_status},
        "intent": "order",
        "code": {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/CodeSystem/task-code",
                    "code": "fulfill",
                }
            ]
        },
        "authoredOn": authored_on.isoformat(),
        "lastModified": last_modified.isoformat(),
    }
    if focus.startswith("ServiceRequest/"):
        task["basedOn"] = [{"reference": focus}]
        task["focus"] = {"reference": focus}
    else:
        system, _, value = focus.removeprefix("identifier:").partition("|")
        identifier = {"system": system, "value": value} if system else {"value": value}
        task["focus"] = {"identifier": identifier}
    if owner:
        task["owner"] = {"display": owner}
    content = json.dumps(task, sort_keys=True, ensure_ascii=False).encode()
    version = hashlib.sha256(content).hexdigest()[:16]
    return {"resourceType": "Task", "id": task_id, "meta": _meta(version, last_modified)} | {
        key: value for key, value in task.items() if key not in ("resourceType", "id")
    }


def validation_issues(data: Any) -> list[FhirIssue]:
    """What is wrong with `data` as a FHIR R4 resource (its structure, the codes of required
    bindings), as the hub checks what it is sent: nothing for a valid one. The hub's own
    resources are held to it too (in its tests)."""
    kind = _resource_type(data)
    if not _is_resource_type(kind):
        return [FhirIssue("", "not a resource of FHIR R4", "structure")]
    try:
        _validated(get_fhir_model_class(str(kind)), data, str(kind))
    except FhirInputError as error:
        return error.issues
    return []
