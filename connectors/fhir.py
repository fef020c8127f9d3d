"""HL7 FHIR R4 referrals (as GP systems send them) translated to signals, and the Task back.

A referral is a ServiceRequest about a Patient, posted either alone with the Patient contained,
or in a transaction Bundle with the Patient (and optionally a Consent) as entries. Parsing and
validation of the resources is done by `fhir.resources` (R4B, wire-compatible with R4 for these
resources); this module only reads the Dutch address parts and maps codes to signal kinds.
Errors carry a FHIRPath-like expression of the element at fault, for an OperationOutcome.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
from pydantic import ValidationError

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
_PRIORITY = {"routine": "normal", "urgent": "high", "asap": "high", "stat": "high"}
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
class Referral:
    """A signal read from FHIR, with what the Task needs to point back at the request."""

    signal: SignalIn
    focus: str  # `ServiceRequest/<id>` or `identifier:<system>|<value>`


def _expression(root: str, loc: tuple[int | str, ...]) -> str:
    path = root
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path


def _from_validation(root: str, error: ValidationError) -> FhirInputError:
    return FhirInputError(
        [
            FhirIssue(
                _expression(root, tuple(item["loc"])), item["msg"].removeprefix("Value error, ")
            )
            for item in error.errors(include_url=False, include_input=False)
        ]
    )


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


def _address(patient: Patient, where: str) -> dict[str, Any]:
    addresses = patient.address or []
    home = next((a for a in addresses if a.use == "home"), addresses[0] if addresses else None)
    if home is None:
        raise FhirInputError(
            [FhirIssue(f"{where}.address", "the patient has no address", "required")]
        )
    at = f"{where}.address[{addresses.index(home)}]"
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


def _kind(request: ServiceRequest, codes: dict[tuple[str, str], SignalKind]) -> SignalKind:
    concepts = [("ServiceRequest.code", request.code)] + [
        (f"ServiceRequest.category[{i}]", c) for i, c in enumerate(request.category or [])
    ]
    for _, concept in concepts:
        for coding in (concept.coding if concept else None) or []:
            kind = codes.get((coding.system or "", coding.code or ""))
            if kind is not None:
                return kind
    where = "ServiceRequest.code" if request.code else "ServiceRequest.category"
    raise FhirInputError(
        [FhirIssue(where, "no code this hub maps to a kind of signal", "code-invalid")]
    )


def _description(request: ServiceRequest) -> str:
    notes = [note.text for note in request.note or [] if note.text]
    texts = notes or [
        concept.text for concept in (request.reasonCode or []) if concept and concept.text
    ]
    if not texts and request.code and request.code.text:
        texts = [request.code.text]
    if not texts:
        raise FhirInputError(
            [FhirIssue("ServiceRequest.note", "say what the concern is in a note", "required")]
        )
    text = "\n".join(texts)
    if len(text) > MAX_DESCRIPTION:
        # Cut, the team would read half a concern without knowing it: refuse, and say why.
        raise FhirInputError(
            [
                FhirIssue(
                    "ServiceRequest.note",
                    f"the concern is {len(text)} characters; at most {MAX_DESCRIPTION} are taken",
                    "too-long",
                )
            ]
        )
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


def _referral(
    request: ServiceRequest,
    patient: Patient,
    patient_path: str,
    consent: Consent | None,
    codes: dict[tuple[str, str], SignalKind],
) -> Referral:
    identifier = next((i for i in request.identifier or [] if i.value), None)
    if identifier is None:
        raise FhirInputError(
            [
                FhirIssue(
                    "ServiceRequest.identifier", "give the referral your own identifier", "required"
                )
            ]
        )
    issues: list[FhirIssue] = []
    fields: dict[str, Any] = {
        "external_ref": identifier.value,
        "urgency": _PRIORITY.get(request.priority or "routine", "normal"),
        "resident_informed": _informed(consent),
    }
    for key, read in (
        ("kind", lambda: _kind(request, codes).value),
        ("address", lambda: _address(patient, patient_path)),
        ("description", lambda: _description(request)),
    ):
        try:
            fields[key] = read()
        except FhirInputError as error:
            issues.extend(error.issues)
    if issues:
        raise FhirInputError(issues)
    fields["person"] = _person(patient)
    addresses = patient.address or []
    home = next((a for a in addresses if a.use == "home"), addresses[0] if addresses else None)
    at = f"{patient_path}.address[{addresses.index(home) if home else 0}]"
    paths = {
        ("external_ref",): "ServiceRequest.identifier[0].value",
        ("address", "postcode"): f"{at}.postalCode",
        ("address",): f"{at}.line",
        ("person", "name"): f"{patient_path}.name[0]",
        ("person", "birth_date"): f"{patient_path}.birthDate",
        ("description",): "ServiceRequest.note",
    }

    def expression(loc: tuple[int | str, ...]) -> str:
        return next(
            (path for prefix, path in paths.items() if loc[: len(prefix)] == prefix),
            "ServiceRequest",
        )

    try:
        signal = SignalIn.model_validate(fields)
    except ValidationError as error:
        raise FhirInputError(
            [
                FhirIssue(expression(tuple(item["loc"])), item["msg"].removeprefix("Value error, "))
                for item in error.errors(include_url=False, include_input=False)
            ]
        ) from None
    focus = (
        f"ServiceRequest/{request.id}"
        if request.id
        else f"identifier:{identifier.system or ''}|{identifier.value}"
    )
    return Referral(signal, focus)


def _resource_type(data: Any) -> str | None:
    return data.get("resourceType") if isinstance(data, dict) else None


def referral_from_service_request(
    data: Any, codes: dict[tuple[str, str], SignalKind] = DEFAULT_KIND_CODES
) -> Referral:
    """A ServiceRequest with its Patient contained (subject `#id`)."""
    if _resource_type(data) != "ServiceRequest":
        raise FhirInputError([FhirIssue("resourceType", "expected a ServiceRequest")])
    try:
        request = ServiceRequest.model_validate(data)
    except ValidationError as error:
        raise _from_validation("ServiceRequest", error) from None
    reference = request.subject.reference if request.subject else None
    for index, contained in enumerate(request.contained or []):
        if isinstance(contained, Patient) and reference == f"#{contained.id}":
            return _referral(request, contained, f"ServiceRequest.contained[{index}]", None, codes)
    raise FhirInputError(
        [
            FhirIssue(
                "ServiceRequest.subject",
                "the subject must be a contained Patient (#id)",
                "required",
            )
        ]
    )


def referral_from_bundle(
    data: Any, codes: dict[tuple[str, str], SignalKind] = DEFAULT_KIND_CODES
) -> tuple[Referral, list[str]]:
    """A transaction Bundle with a Patient, a ServiceRequest and optionally a Consent.

    Returns the referral and the resource type of each entry, in order (for the response).
    """
    if _resource_type(data) != "Bundle":
        raise FhirInputError([FhirIssue("resourceType", "expected a Bundle")])
    try:
        bundle = Bundle.model_validate(data)
    except ValidationError as error:
        raise _from_validation("Bundle", error) from None
    if bundle.type != "transaction":
        raise FhirInputError([FhirIssue("Bundle.type", "post a transaction Bundle")])
    entries = bundle.entry or []
    requests = [e.resource for e in entries if isinstance(e.resource, ServiceRequest)]
    if len(requests) != 1:
        raise FhirInputError(
            [FhirIssue("Bundle.entry", "the Bundle needs exactly one ServiceRequest", "required")]
        )
    request = requests[0]
    reference = request.subject.reference if request.subject else None
    patient_at = None
    for index, entry in enumerate(entries):
        resource = entry.resource
        if isinstance(resource, Patient) and reference in (
            entry.fullUrl,
            f"Patient/{resource.id}",
        ):
            patient_at = (index, resource)
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
    return referral, [type(e.resource).__name__ if e.resource else "" for e in entries]


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
    """The Task a partner reads back for its referral: the state of the work, never its content."""
    task: dict[str, Any] = {
        "resourceType": "Task",
        "id": task_id,
        "meta": {"lastUpdated": last_modified.isoformat()},
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
        task["focus"] = {"reference": focus}
    else:
        system, _, value = focus.removeprefix("identifier:").partition("|")
        task["focus"] = {"identifier": {"system": system or None, "value": value}}
        if not system:
            del task["focus"]["identifier"]["system"]
    if owner:
        task["owner"] = {"display": owner}
    return task
