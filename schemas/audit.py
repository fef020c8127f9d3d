"""The access log of one household, as an administrator answers a resident's request."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field


class AccessEntry(BaseModel):
    occurred_at: datetime
    actor: str = Field(description="Who: `user:<id>`, `partner:<id>` or `admin-token:<id>`")
    who: str | None = Field(
        description="The actor's e-mail address (a person) or name (a partner), if known"
    )
    on_behalf_of: str | None = Field(
        description="The team or role the actor acted for (`team:SWT-HLM-OOST`)"
    )
    action: str = Field(description="What happened: a read (`read_case`) or a change (`received`)")
    subject: str = Field(description="What was read or changed: `case:<id>` or `signal:<id>`")
    purpose: str


class HouseholdAccessLog(BaseModel):
    entries: list[AccessEntry]
