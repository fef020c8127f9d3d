"""FHIR referrals as GP systems send them."""

from __future__ import annotations

import copy
import json
from typing import Any

from aiohttp.test_utils import TestClient

from connectors.fhir import ADXP, KIND_SYSTEM
from tests.support.http import bearer

FHIR = "application/fhir+json"
Client = TestClient[Any, Any]


async def post(client: Client, token: str, path: str, resource: Any) -> Any:
    """A FHIR resource posted as a partner's system does."""
    return await client.post(
        path, data=json.dumps(resource), headers={**bearer(token), "Content-Type": FHIR}
    )


async def outcome(response: Any, status: int) -> list[dict[str, Any]]:
    """The issues of an OperationOutcome answered with `status`, all errors."""
    assert response.status == status, await response.text()
    assert response.content_type == FHIR
    body = await response.json()
    assert body["resourceType"] == "OperationOutcome"
    issues: list[dict[str, Any]] = body["issue"]
    assert all(issue["severity"] == "error" for issue in issues)
    return issues


SNOMED = "http://snomed.info/sct"


def patient(address: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "name": [{"given": ["J."], "family": "de Vries"}],
        "birthDate": "1971-03-05",
        "address": [copy.deepcopy(address)],  # a test may change it, not the shared one
        **extra,
    }


NL_CORE_ADDRESS = {
    "use": "home",
    "line": ["Europaweg 12 A bis"],
    "_line": [
        {
            "extension": [
                {"url": ADXP + "streetName", "valueString": "Europaweg"},
                {"url": ADXP + "houseNumber", "valueString": "12"},
                {"url": ADXP + "buildingNumberSuffix", "valueString": "A bis"},
            ]
        }
    ],
    "city": "Haarlem",
    "postalCode": "2035 AB",
}


LINE_ADDRESS = {"line": ["Ramplaan 7b"], "postalCode": "2015gb", "city": "Haarlem"}


def service_request(reference: str = "HIS-2026-000123", **extra: Any) -> dict[str, Any]:
    return {
        "resourceType": "ServiceRequest",
        "id": "sr-1",
        "identifier": [{"system": "urn:oid:2.16.840.1.113883.2.4.6.1", "value": reference}],
        "status": "active",
        "intent": "order",
        "priority": "urgent",
        "code": {"coding": [{"system": KIND_SYSTEM, "code": "care_concern"}]},
        "note": [{"text": "Mist afspraken, noemt geldzorgen."}],
        **extra,
    }


def contained(address: dict[str, Any] = LINE_ADDRESS, **extra: Any) -> dict[str, Any]:
    return service_request(
        subject={"reference": "#p1"},
        contained=[patient(address, id="p1")],
        **extra,
    )


def transaction(
    address: dict[str, Any] = NL_CORE_ADDRESS, consent: bool = True, **extra: Any
) -> dict[str, Any]:
    """A transaction as a GP system posts it: the Patient, the ServiceRequest (with `extra`),
    and a Consent."""
    entries: list[dict[str, Any]] = [
        {
            "fullUrl": "urn:uuid:0f1b4c5e-0000-4000-8000-000000000001",
            "resource": patient(address),
            "request": {"method": "POST", "url": "Patient"},
        },
        {
            "fullUrl": "urn:uuid:0f1b4c5e-0000-4000-8000-000000000002",
            "resource": service_request(
                subject={"reference": "urn:uuid:0f1b4c5e-0000-4000-8000-000000000001"}, **extra
            ),
            "request": {"method": "POST", "url": "ServiceRequest"},
        },
    ]
    if consent:
        entries.append(
            {
                "resource": {
                    "resourceType": "Consent",
                    "status": "active",
                    "scope": {
                        "coding": [
                            {
                                "system": "http://terminology.hl7.org/CodeSystem/consentscope",
                                "code": "treatment",
                            }
                        ]
                    },
                    "category": [{"coding": [{"system": "http://loinc.org", "code": "59284-0"}]}],
                    "patient": {"reference": "urn:uuid:0f1b4c5e-0000-4000-8000-000000000001"},
                },
                "request": {"method": "POST", "url": "Consent"},
            }
        )
    return {"resourceType": "Bundle", "type": "transaction", "entry": entries}


def without_id(resource: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in resource.items() if key != "id"}


def transaction_with(**extra: Any) -> dict[str, Any]:
    """The transaction, its ServiceRequest with `extra`."""
    return transaction(**extra)
