"""HL7 FHIR R4 referrals (as GP systems send them) translated to signals, and the Task back.

A referral is a ServiceRequest about a Patient, posted either alone with the Patient contained,
or in a transaction Bundle with the Patient (and optionally a Consent) as entries; or a FHIR
document as ZorgDomein delivers it: a Bundle of type `document` whose first entry is a
Composition (the ZD number its identifier, the Patient its subject, the letter in its sections'
narrative), followed by the resources it references. A later document of the same referral can
call it off (a `Cancellation`). Parsing and validation of the resources is done by
`fhir.resources` (R4B, wire-compatible with R4 for these resources); this module reads the Dutch
address parts, the narrative as plain text, and maps codes to signal kinds (`KindCodes`).
Errors carry a FHIRPath-like expression of the element at fault, for an OperationOutcome.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from fhir.resources.R4B.bundle import Bundle, BundleEntry
from fhir.resources.R4B.codeableconcept import CodeableConcept
from fhir.resources.R4B.composition import Composition, CompositionSection
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.patient import Patient
from fhir.resources.R4B.servicerequest import ServiceRequest
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
    """A signal read from FHIR, with what the Task needs to point back at the request, and
    where its kind and reference came from (for a refusal)."""

    signal: SignalIn
    focus: str  # `ServiceRequest/<id>` or `identifier:<system>|<value>`
    kind_at: str = "ServiceRequest.code"
    reference_at: str = "ServiceRequest.identifier"


@dataclass(frozen=True)
class Cancellation:
    """A later document of a referral calls it off: its partner withdraws the signal."""

    external_ref: str
    reason: str | None


@dataclass(frozen=True)
class Transaction:
    """A transaction Bundle's referral, and the resource type of each entry (for the answer)."""

    referral: Referral
    entry_types: list[str]


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


def _referral(
    request: ServiceRequest,
    patient: Patient,
    patient_path: str,
    consent: Consent | None,
    codes: KindCodes,
) -> Referral:
    identifier = next((i for i in request.identifier or [] if i.value), None)
    # Without an identifier, the request's own id is the partner's reference for it.
    reference = identifier.value if identifier else request.id
    if not reference:
        raise FhirInputError(
            [
                FhirIssue(
                    "ServiceRequest.identifier", "give the referral your own identifier", "required"
                )
            ]
        )
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
    focus = (
        f"ServiceRequest/{request.id}"
        if request.id
        else f"identifier:{(identifier.system if identifier else None) or ''}|{reference}"
    )
    return Referral(signal, focus, kind_at=kind_at)


def _resource_type(data: Any) -> str | None:
    return data.get("resourceType") if isinstance(data, dict) else None


def referral_from_service_request(data: Any, codes: KindCodes | None = None) -> Referral:
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


def _bundle(data: Any) -> Bundle:
    if _resource_type(data) != "Bundle":
        raise FhirInputError([FhirIssue("resourceType", "expected a Bundle")])
    try:
        return Bundle.model_validate(data)
    except ValidationError as error:
        raise _from_validation("Bundle", error) from None


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


def _transaction(bundle: Bundle, codes: KindCodes) -> Transaction:
    entries = bundle.entry or []
    requests = [e.resource for e in entries if isinstance(e.resource, ServiceRequest)]
    if len(requests) != 1:
        raise FhirInputError(
            [FhirIssue("Bundle.entry", "the Bundle needs exactly one ServiceRequest", "required")]
        )
    request = requests[0]
    patient_at = _entry(entries, request.subject, Patient)
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
    return Transaction(referral, [type(e.resource).__name__ if e.resource else "" for e in entries])


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
        f"identifier:{identifier.system or ''}|{identifier.value}",
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
        return _document(bundle, codes or KindCodes())
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
    return _document(bundle, codes or KindCodes())


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
