"""The hub's FHIR CapabilityStatement: exactly the interactions and search parameters it serves
(a test walks them against the routes), with a narrative that says the same in a table."""

from __future__ import annotations

from html import escape
from typing import Any, Final

from connectors.fhir import FHIR_VERSION
from connectors.fhir_rest import SEARCH_PARAMETERS

# resource type -> (interactions, documentation, extra elements of its rest.resource).
_RESOURCES: Final[list[tuple[str, list[tuple[str, str]], str, dict[str, Any]]]] = [
    (
        "ServiceRequest",
        [
            (
                "create",
                "A referral with its Patient contained (subject #id). Read: identifier (else "
                "id) as your reference, code or category (our kind codes, administrator's "
                "mappings, SNOMED CT and SDOH categories; any other code gives your default "
                "kind and is kept), priority, a note (else the reason's or the code's text), "
                "the Patient's address (the one thing a referral cannot do without), name and "
                "birth date. Answered 201 with the hub's ServiceRequest (Prefer: "
                "return=minimal, representation or OperationOutcome), Location [base]/"
                "ServiceRequest/id/_history/1; sent again, 200 with the same one. Conditional "
                "create: If-None-Exist: identifier=[system|]value. Posted again with status "
                "revoked or entered-in-error, the referral is withdrawn (its Task cancelled).",
            ),
            ("read", "Your own referrals only; every read is in the access log."),
            ("vread", "Version 1 as sent, version 2 once called off."),
            (
                "update",
                "Only to call the referral off: status revoked or entered-in-error (If-Match "
                "honoured).",
            ),
            ("search-type", "Your own referrals, by _id or identifier."),
        ],
        "The referral as the hub took it, rebuilt from its signal: the Patient contained (name, "
        "birth date, postcode and house number as the hub keeps them), the kind the hub took it "
        "as (code), your own code, note and priority. Its Task is found with Task?focus=.",
        {
            "versioning": "versioned",
            "readHistory": True,
            "updateCreate": False,
            "conditionalCreate": True,
            "conditionalUpdate": False,
            "conditionalDelete": "not-supported",
        },
    ),
    (
        "Task",
        [
            ("read", "The Task of your own referral (its id is the ServiceRequest's)."),
            ("search-type", "By _id, focus or based-on (ServiceRequest/id)."),
        ],
        "How far the district team is with a referral: status requested, accepted, "
        "in-progress, completed, rejected, or cancelled once withdrawn; businessStatus in "
        "words; focus and basedOn the ServiceRequest (for a document: its identifier). No "
        "content of the team's work.",
        {"versioning": "versioned", "readHistory": False, "updateCreate": False},
    ),
    (
        "Bundle",
        [
            (
                "create",
                "A document (type document, POST [base] or [base]/Bundle), as ZorgDomein "
                "delivers a referral: the first entry a Composition whose identifier is the "
                "referral's number (the ZD number), subject the Patient entry, and sections "
                "whose narrative is read as plain text. A later document of the same number of "
                "ZorgDomein's type cancellation (or a Composition entered-in-error) withdraws "
                "the referral. Answered with the Task.",
            )
        ],
        "Documents as ZorgDomein delivers referrals (create), and transactions (POST [base]).",
        {},
    ),
    ("Composition", [], "The first entry of a document Bundle.", {}),
    (
        "Patient",
        [],
        "Within a transaction or document, or contained; kept inside the referral (served "
        "contained in its ServiceRequest), never as a resource of its own.",
        {},
    ),
    (
        "Consent",
        [],
        "Within a transaction or document: an active one says the resident was informed. Not "
        "kept as a resource.",
        {},
    ),
]
_TRANSACTION: Final = (
    "POST [base] a transaction Bundle: a ServiceRequest (POST) whose subject is a Patient "
    "entry, optionally a Consent. Each response entry answers for its own entry, in order: the "
    "ServiceRequest 201 with its location, the Patient and Consent 200 with an outcome saying "
    "how they were kept. A document Bundle posted to [base] is taken as below."
)
_SECURITY: Final = (
    "Send your partner token in the Authorization header, as the word Bearer, a space and the "
    "token. A partner reads and searches only its own referrals and Tasks; another's answer 404."
)
_DOCUMENTATION: Final = (
    "Referrals to social district teams. Not for emergencies: call 112, or Veilig Thuis "
    "(0800-2000). JSON only (application/fhir+json): a request for another format is answered "
    "406. Reads carry ETag, meta.versionId and Last-Modified, answer If-None-Match with 304, "
    "and take _summary and _elements."
)


def _narrative(resources: list[dict[str, Any]]) -> dict[str, str]:
    rows = "".join(
        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>".format(
            escape(resource["type"]),
            escape(", ".join(i["code"] for i in resource.get("interaction", [])) or "-"),
            escape(", ".join(p["name"] for p in resource.get("searchParam", [])) or "-"),
        )
        for resource in resources
    )
    return {
        "status": "generated",
        "div": '<div xmlns="http://www.w3.org/1999/xhtml">'
        f"<p>{escape(_DOCUMENTATION)}</p>"
        f"<p>{escape(_TRANSACTION)}</p>"
        "<table><tr><th>Resource</th><th>Interactions</th><th>Search parameters</th></tr>"
        f"{rows}</table></div>",
    }


def capability_statement() -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    for kind, interactions, documentation, extra in _RESOURCES:
        resource: dict[str, Any] = {"type": kind}
        if interactions:
            resource["interaction"] = [
                {"code": code, "documentation": text} for code, text in interactions
            ]
        resource.update(extra)
        resource["documentation"] = documentation
        parameters = SEARCH_PARAMETERS.get(kind, {})
        if parameters:
            resource["searchParam"] = [
                {"name": name, "type": kind_of, "documentation": text}
                for name, (kind_of, text) in parameters.items()
            ]
        resources.append(resource)
    return {
        "resourceType": "CapabilityStatement",
        "text": _narrative(resources),
        "name": "SignalHub",
        "title": "Signal hub FHIR API",
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
                "documentation": _DOCUMENTATION,
                "security": {"description": _SECURITY},
                "interaction": [{"code": "transaction", "documentation": _TRANSACTION}],
                "resource": resources,
            }
        ],
    }
