from __future__ import annotations

import json
from datetime import date, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from schemas.signals import PartnerKind, SignalIn, SignalKind, kinds_for
from tests.support.factories import make_signal


def errors_of(body: dict[str, Any]) -> list[tuple[tuple[str | int, ...], str]]:
    with pytest.raises(ValidationError) as caught:
        SignalIn.model_validate_json(json.dumps(body))
    return [(error["loc"], error["msg"]) for error in caught.value.errors()]


def test_example_body_is_valid() -> None:
    signal = SignalIn.model_validate_json(json.dumps(make_signal()))
    assert signal.address.postcode == "2036AA"
    assert signal.address.addition == "BIS"
    assert signal.person is not None
    assert signal.person.birth_date == date(1971, 3, 5)


def test_urgency_defaults_to_normal_and_person_is_optional() -> None:
    body = make_signal()
    del body["urgency"], body["person"]
    signal = SignalIn.model_validate_json(json.dumps(body))
    assert signal.urgency.value == "normal"
    assert signal.person is None


@pytest.mark.parametrize(
    ("change", "loc"),
    [
        ({"resident_informed": {"informed": False}}, ("resident_informed",)),
        (
            {"resident_informed": {"informed": "no", "reason": "x"}},
            ("resident_informed", "informed"),
        ),
        ({"description": "x" * 2001}, ("description",)),
        ({"description": "   "}, ("description",)),
        ({"kind": "gossip"}, ("kind",)),
        ({"urgency": "critical"}, ("urgency",)),
        ({"external_ref": ""}, ("external_ref",)),
        ({"external_ref": "has space"}, ("external_ref",)),
        ({"external_ref": "x" * 101}, ("external_ref",)),
        ({"unexpected": 1}, ("unexpected",)),
        ({"person": {"name": "A", "bsn": "123456782"}}, ("person", "bsn")),
        ({"person": {"birth_date": "05-03-1971"}}, ("person", "birth_date")),
        (
            {"person": {"birth_date": str(date.today() + timedelta(days=1))}},
            ("person", "birth_date"),
        ),
        ({"address": {"postcode": "2036 SS", "house_number": 1}}, ("address", "postcode")),
    ],
)
def test_invalid_field_is_named(change: dict[str, Any], loc: tuple[str, ...]) -> None:
    assert loc in [where for where, _ in errors_of(make_signal(**change))]


def test_missing_fields_are_each_named() -> None:
    locs = {where for where, _ in errors_of({})}
    assert locs == {
        ("external_ref",),
        ("kind",),
        ("address",),
        ("resident_informed",),
        ("description",),
    }


def test_description_of_2000_characters_is_accepted() -> None:
    SignalIn.model_validate_json(json.dumps(make_signal(description="x" * 2000)))


@pytest.mark.parametrize(
    ("partner", "kind", "allowed"),
    [
        (PartnerKind.GP, SignalKind.CARE_CONCERN, True),
        (PartnerKind.GP, SignalKind.RENT_ARREARS, False),
        (PartnerKind.HOUSING, SignalKind.EVICTION_THREAT, True),
        (PartnerKind.POLICE, SignalKind.CONFUSED_BEHAVIOUR, True),
        (PartnerKind.WORK_INCOME, SignalKind.NON_RESPONDER, True),
        (PartnerKind.WORK_INCOME, SignalKind.CARE_REPORT, False),
        (PartnerKind.OTHER, SignalKind.OTHER, True),
        (PartnerKind.POLICE, SignalKind.OTHER, True),
    ],
)
def test_kinds_per_partner_kind(partner: PartnerKind, kind: SignalKind, allowed: bool) -> None:
    assert (kind in kinds_for(partner)) is allowed
