"""Routing rules: which district team serves which postcodes and house numbers."""

from __future__ import annotations

from datetime import date
from enum import IntEnum, StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from schemas.address import is_pc4, is_pc6, parse_postcode

MAX_HOUSE_NUMBER = 99999


class Parity(StrEnum):
    EVEN = "even"
    ODD = "odd"


class Specificity(IntEnum):
    """How specific a rule is; the higher one wins."""

    PC4 = 1
    PC4_NUMBERS = 2
    PC6 = 3
    PC6_NUMBERS = 4


class RoutingRule(BaseModel):
    """`postcode [+ house-number range [+ parity]] -> team`, valid from/to a date (both inclusive).

    `postcode` is a PC4 (`2034`) or a PC6 (`2034AB`); open ends are None.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    postcode: str
    house_number_from: int | None = Field(default=None, ge=1, le=MAX_HOUSE_NUMBER)
    house_number_to: int | None = Field(default=None, ge=1, le=MAX_HOUSE_NUMBER)
    parity: Parity | None = None
    team_code: str = Field(min_length=1, max_length=64)
    valid_from: date | None = None
    valid_to: date | None = None

    @field_validator("postcode", mode="before")
    @classmethod
    def _postcode(cls, value: object) -> str:
        if isinstance(value, str) and is_pc4(value.strip()):
            return value.strip()
        try:
            return parse_postcode(value)
        except ValueError:
            raise ValueError(
                "postcode is four digits (2034) or four digits and two letters (2034 AB)"
            ) from None

    @model_validator(mode="after")
    def _ranges(self) -> Self:
        if (
            self.house_number_from is not None
            and self.house_number_to is not None
            and self.house_number_from > self.house_number_to
        ):
            raise ValueError("house_number_from is greater than house_number_to")
        if self.valid_from and self.valid_to and self.valid_from > self.valid_to:
            raise ValueError("valid_from is after valid_to")
        low, high = self.number_range
        if (
            self.parity is not None
            and low == high
            and (low % 2 == 0) != (self.parity is Parity.EVEN)
        ):
            raise ValueError(f"house number {low} is not {self.parity.value}")
        return self

    @property
    def has_numbers(self) -> bool:
        return (
            self.house_number_from is not None
            or self.house_number_to is not None
            or self.parity is not None
        )

    @property
    def specificity(self) -> Specificity:
        if is_pc6(self.postcode):
            return Specificity.PC6_NUMBERS if self.has_numbers else Specificity.PC6
        return Specificity.PC4_NUMBERS if self.has_numbers else Specificity.PC4

    @property
    def number_range(self) -> tuple[int, int]:
        return (self.house_number_from or 1, self.house_number_to or MAX_HOUSE_NUMBER)

    def covers_number(self, house_number: int) -> bool:
        low, high = self.number_range
        if not low <= house_number <= high:
            return False
        if self.parity is Parity.EVEN:
            return house_number % 2 == 0
        if self.parity is Parity.ODD:
            return house_number % 2 == 1
        return True

    def valid_on(self, day: date) -> bool:
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or day <= self.valid_to
        )

    def area(self) -> str:
        """What a routed signal keeps of its rule: the postcode area (four digits) and the team,
        `2034 -> SWT-X`. The whole rule, with a six-position postcode and house numbers, would
        place the household within a few doors."""
        return f"{self.postcode[:4]} -> {self.team_code}"

    def describe(self) -> str:
        """One line for people: `2034AB 1-99 even -> SWT-X (2026-01-01..)`."""
        parts = [self.postcode]
        if self.house_number_from is not None or self.house_number_to is not None:
            low, high = self.number_range
            parts.append(f"{low}-{high}")
        if self.parity is not None:
            parts.append(self.parity.value)
        text = " ".join(parts) + f" -> {self.team_code}"
        if self.valid_from or self.valid_to:
            text += f" ({self.valid_from or ''}..{self.valid_to or ''})"
        return text
