from __future__ import annotations

import pytest
from pydantic import ValidationError

from schemas.address import Address, display_postcode, parse_postcode


@pytest.mark.parametrize(
    ("given", "normalised"),
    [
        ("2034AB", "2034AB"),
        ("2034ab", "2034AB"),
        ("2034 AB", "2034AB"),
        ("2034-AB", "2034AB"),
        ("  2034 ab ", "2034AB"),
        ("9999ZZ", "9999ZZ"),
        ("1000AA", "1000AA"),
    ],
)
def test_postcode_accepted_and_normalised(given: str, normalised: str) -> None:
    assert parse_postcode(given) == normalised


@pytest.mark.parametrize(
    ("given", "reason"),
    [
        ("0123AB", "does not start with 0"),
        ("2034SA", "SA are never used"),
        ("2034sd", "SD are never used"),
        ("2034 SS", "SS are never used"),
        ("2034", "four digits and two letters"),
        ("2034A", "four digits and two letters"),
        ("20345AB", "four digits and two letters"),
        ("2034  AB", "four digits and two letters"),
        ("2034_AB", "four digits and two letters"),
        ("AB2034", "four digits and two letters"),
        ("2034ÄB", "four digits and two letters"),
        ("\uff12\uff10\uff13\uff16AA", "four digits and two letters"),  # full-width digits
        ("\u0662\u0660\u0663\u0666AA", "four digits and two letters"),  # Arabic-Indic digits
        ("", "four digits and two letters"),
        (2034, "is text"),
        (None, "is text"),
    ],
)
def test_postcode_refused_with_reason(given: object, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        parse_postcode(given)


def test_postcode_displayed_with_a_space() -> None:
    assert display_postcode("2034AB") == "2034 AB"


def test_letter_and_addition_compared_case_insensitively() -> None:
    lower = Address(postcode="2034ab", house_number=12, house_letter="a", addition="bis")
    upper = Address(postcode="2034 AB", house_number=12, house_letter="A", addition="BIS")
    assert lower.household_key() == upper.household_key() == ("2034AB", 12, "A", "BIS")
    assert lower.display() == "2034 AB 12A-BIS"


def test_letter_and_addition_kept_apart_from_the_number() -> None:
    with_letter = Address(postcode="2034AB", house_number=12, house_letter="A")
    with_addition = Address(postcode="2034AB", house_number=12, addition="A")
    assert with_letter.household_key() != with_addition.household_key()


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("house_number", 0),
        ("house_number", 100000),
        ("house_number", "12"),
        ("house_number", 12.5),
        ("house_letter", "AB"),
        ("house_letter", "1"),
        ("addition", "toolong"),
        ("addition", "a-b"),
    ],
)
def test_bad_house_number_parts_refused(field: str, value: object) -> None:
    fields: dict[str, object] = {"postcode": "2034AB", "house_number": 1, field: value}
    with pytest.raises(ValidationError) as caught:
        Address.model_validate(fields)
    assert caught.value.errors()[0]["loc"] == (field,)
