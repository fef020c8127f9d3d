"""RFC 9457 problem details, as every API error is answered."""

from __future__ import annotations

from pydantic import BaseModel, Field


class FieldError(BaseModel):
    loc: list[str | int] = Field(
        description='Path to the field at fault, e.g. ["address", "postcode"].'
    )
    msg: str


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[FieldError] | None = None
