"""The FHIR REST conventions and the resources the hub builds, as plain functions."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest

from connectors.fhir import (
    FhirInputError,
    Referral,
    RequestFacts,
    ServedRequest,
    referral_from_service_request,
    service_request_for,
    task_for,
    validation_issues,
)
from connectors.fhir_rest import (
    Preferences,
    Token,
    identifier_token,
    if_none_exist,
    matches,
    preferences,
    referenced_id,
    serves_json,
    subset,
)
from schemas.signals import SignalKind

MOMENT = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (None, Preferences("representation", strict=False)),
        ("return=minimal", Preferences("minimal", strict=False)),
        ("return=OperationOutcome", Preferences("OperationOutcome", strict=False)),
        ('handling=strict, return="representation"', Preferences("representation", strict=True)),
        ("return=minimal; handling=lenient", Preferences("minimal", strict=False)),
        ("return=everything, respond-async", Preferences("representation", strict=False)),
    ],
)
def test_prefer(header: str | None, expected: Preferences) -> None:
    assert preferences(header) == expected


@pytest.mark.parametrize(
    ("accept", "format_", "json"),
    [
        (None, None, True),
        ("application/fhir+json", None, True),
        ("application/fhir+xml;q=1.0, application/fhir+json;q=1.0", None, True),
        ("text/html,application/xhtml+xml,*/*;q=0.8", None, True),
        ("application/fhir+xml", None, False),
        ("application/fhir+json;q=0", None, False),
        ("text/turtle", None, False),
        ("application/fhir+xml", "json", True),  # _format wins over Accept
        (None, "xml", False),
        (None, "application/fhir+json", True),
    ],
)
def test_content_negotiation(accept: str | None, format_: str | None, json: bool) -> None:
    assert serves_json(accept, format_) is json


@pytest.mark.parametrize(
    ("header", "version", "matched"),
    [
        ('W/"1"', "1", True),
        ('"1"', "1", True),
        ('W/"2"', "1", False),
        ('W/"2", W/"1"', "1", True),
        ("*", "7", True),
    ],
)
def test_etags(header: str, version: str, matched: bool) -> None:
    assert matches(header, version) is matched


@pytest.mark.parametrize(
    ("value", "found"),
    [
        ("ServiceRequest/abc", "abc"),
        ("abc", "abc"),
        ("https://hub.example/fhir/ServiceRequest/abc", "abc"),
        ("https://hub.example/fhir/ServiceRequest/abc/_history/2", "abc"),
        ("Patient/abc", None),
        ("", None),
    ],
)
def test_reference_search_values(value: str, found: str | None) -> None:
    assert referenced_id(value, "ServiceRequest") == found


def test_identifier_tokens_and_conditions() -> None:
    assert identifier_token("HIS-1") == Token(None, "HIS-1", any_system=True)
    assert identifier_token("|HIS-1") == Token(None, "HIS-1")
    assert identifier_token("urn:oid:1.2|HIS-1") == Token("urn:oid:1.2", "HIS-1")
    assert if_none_exist("identifier=urn:oid:1.2%7CHIS-1") == Token("urn:oid:1.2", "HIS-1")
    for refused in ("name=Vries", "identifier=a&identifier=b", "identifier=urn:x|", ""):
        with pytest.raises(FhirInputError):
            if_none_exist(refused)


def served(**changes: Any) -> ServedRequest:
    values: dict[str, Any] = {
        "request_id": "6b0e9c1a-0000-4000-8000-000000000001",
        "version": "1",
        "last_updated": MOMENT,
        "status": "active",
        "facts": RequestFacts("urn:oid:2.16.840.1.113883.2.4.6.1", "order", "asap"),
        "external_ref": "HIS-1",
        "kind": SignalKind.CARE_CONCERN,
        "kind_display": "Zorgen over gezondheid of welzijn",
        "coding": {"system": "http://snomed.info/sct", "code": "733423003", "display": None},
        "person_name": "J. de Vries",
        "birth_date": date(1971, 3, 5),
        "address": {
            "postcode": "2035AB",
            "house_number": 12,
            "house_letter": "A",
            "addition": "BIS",
        },
        "description": "Mist afspraken.",
    }
    return ServedRequest(**{**values, **changes})


def test_the_service_request_served_is_valid_and_reads_back_as_the_same_signal() -> None:
    resource = service_request_for(served())
    assert validation_issues(resource) == []
    assert resource["code"]["coding"][1] == {
        "system": "http://snomed.info/sct",
        "code": "733423003",
    }
    referral = referral_from_service_request(resource)
    assert isinstance(referral, Referral)
    signal = referral.signal
    assert signal.external_ref == "HIS-1"
    assert signal.kind is SignalKind.CARE_CONCERN
    assert signal.urgency.value == "high"
    address = signal.address
    assert (address.postcode, address.house_number, address.house_letter, address.addition) == (
        "2035AB",
        12,
        "A",
        "BIS",
    )
    assert signal.person is not None
    assert signal.person.name == "J. de Vries"
    assert signal.description == "Mist afspraken."


def test_the_task_is_valid_and_its_version_follows_its_content() -> None:
    def task(status: str, **changes: Any) -> dict[str, Any]:
        return task_for(
            task_id="6b0e9c1a-0000-4000-8000-000000000001",
            focus="ServiceRequest/6b0e9c1a-0000-4000-8000-000000000001",
            status=status,
            business_status="Ontvangen & <doorgestuurd>",
            owner="Sociaal Wijkteam Oost",
            authored_on=MOMENT,
            last_modified=changes.get("last_modified", MOMENT),
        )

    first = task("requested")
    assert validation_issues(first) == []
    assert "Ontvangen &amp; &lt;doorgestuurd&gt;" in first["text"]["div"]  # text, not markup
    assert task("requested")["meta"] == first["meta"]
    assert task("cancelled")["meta"]["versionId"] != first["meta"]["versionId"]
    assert validation_issues(task("cancelled")) == []


def test_a_document_task_points_at_the_document_by_identifier() -> None:
    task = task_for(
        task_id="6b0e9c1a-0000-4000-8000-000000000001",
        focus="identifier:http://zorgdomein.nl/identifier|ZD1",
        status="requested",
        business_status="Ontvangen",
        owner=None,
        authored_on=MOMENT,
        last_modified=MOMENT,
    )
    assert task["focus"] == {
        "identifier": {"system": "http://zorgdomein.nl/identifier", "value": "ZD1"}
    }
    assert "basedOn" not in task


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        ({"foo bar": 1}, "ServiceRequest.`foo bar`"),
        ({"_status": {"extension": [{"url": 1}]}}, "ServiceRequest.status.extension[0].url"),
        ({"priority": "spoed"}, "ServiceRequest.priority"),
        ({"contained": [{"resourceType": 5}]}, "ServiceRequest.contained[0]"),
        ({"contained": [{"resourceType": "Nope"}]}, "ServiceRequest.contained[0]"),
    ],
)
def test_faults_are_named_by_their_fhirpath(change: dict[str, Any], expression: str) -> None:
    resource = {
        "resourceType": "ServiceRequest",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "#p"},
        **change,
    }
    assert [issue.expression for issue in validation_issues(resource)] == [expression]


def test_an_incomplete_value_set_is_not_checked() -> None:
    # fhir.resources lists Task.status as "draft, requested, received, accepted, +".
    task = {"resourceType": "Task", "status": "cancelled", "intent": "order"}
    assert validation_issues(task) == []


def test_summary_and_elements() -> None:
    resource = service_request_for(served())
    summary = subset(resource, "true", None)
    assert "contained" not in summary
    assert summary["meta"]["tag"][0]["code"] == "SUBSETTED"
    assert set(subset(resource, None, "note")) == {
        "resourceType",
        "id",
        "meta",
        "status",
        "intent",
        "note",
    }
    assert subset(resource, "false", None) == resource
    with pytest.raises(FhirInputError):
        subset(resource, None, "note,<b>")
