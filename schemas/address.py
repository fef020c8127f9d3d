"""Dutch addresses: postcode, house number, letter and addition, and the household key."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema

_POSTCODE_INPUT = re.compile(r"^\s*([0-9]{4})[\s-]?([A-Za-z]{2})\s*$")
# PostNL never issues these letter pairs (they recall the SA, SD and SS of 1940-45).
_EXCLUDED_LETTERS = frozenset({"SA", "SD", "SS"})
_PC4 = re.compile(r"^[1-9][0-9]{3}$")
_PC6 = re.compile(r"^[1-9][0-9]{3}[A-Z]{2}$")


def parse_postcode(value: object) -> str:
    """Normalise a Dutch postcode (`2034ab`, `2034 AB`, `2034-AB`) to `2034AB`.

    Raises ValueError with a message a person can act on.
    """
    if not isinstance(value, str):
        raise ValueError("a postcode is text: four digits and two letters, like 2034 AB")
    match = _POSTCODE_INPUT.match(value)
    if match is None:
        raise ValueError("a postcode is four digits and two letters, like 2034 AB")
    digits, letters = match.group(1), match.group(2).upper()
    if digits.startswith("0"):
        raise ValueError("a Dutch postcode does not start with 0")
    if letters in _EXCLUDED_LETTERS:
        raise ValueError(f"the letters {letters} are never used in a Dutch postcode")
    return digits + letters


def ascii_number(text: str) -> bool:
    """Only the digits 0-9: `str.isdigit` also takes Arabic-Indic and full-width digits (which
    `int` then reads) and superscripts."""
    return text.isascii() and text.isdigit()


def display_postcode(postcode: str) -> str:
    """`2034AB` -> `2034 AB`, as printed on letters."""
    return f"{postcode[:4]} {postcode[4:]}" if len(postcode) == 6 else postcode


def is_pc4(value: str) -> bool:
    return _PC4.match(value) is not None


def is_pc6(value: str) -> bool:
    return _PC6.match(value) is not None and value[4:] not in _EXCLUDED_LETTERS


def _upper(value: str) -> str:
    return value.upper()


Postcode = Annotated[
    str,
    BeforeValidator(parse_postcode),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": r"^\s*[1-9][0-9]{3}[ -]?[A-Za-z]{2}\s*$",
            "description": "Dutch postcode; `2034AB`, `2034 AB` and `2034-AB` are accepted "
            "and normalised to `2034AB`.",
            "examples": ["2034 AB"],
        }
    ),
]
HouseNumber = Annotated[int, Field(ge=1, le=99999, strict=True)]
HouseLetter = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z]$", description="One letter (huisletter), compared case-insensitively"
    ),
    AfterValidator(_upper),
]
Addition = Annotated[
    str,
    Field(
        pattern=r"^[A-Za-z0-9]{1,4}$",
        description="Up to four letters or digits (huisnummertoevoeging), compared "
        "case-insensitively",
    ),
    AfterValidator(_upper),
]


class Address(BaseModel):
    """The household's address; postcode and house number identify it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    postcode: Postcode
    house_number: HouseNumber
    house_letter: HouseLetter | None = None
    addition: Addition | None = None

    def household_key(self) -> tuple[str, int, str, str]:
        """The key that makes two signals about one household belong together."""
        return (self.postcode, self.house_number, self.house_letter or "", self.addition or "")

    def display(self) -> str:
        number = f"{self.house_number}{self.house_letter or ''}"
        if self.addition:
            number += f"-{self.addition}"
        return f"{display_postcode(self.postcode)} {number}"
