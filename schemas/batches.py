"""CSV batches: what a partner reads back about a file it handed over."""

from __future__ import annotations

from enum import StrEnum
from uuid import UUID

from pydantic import AwareDatetime, BaseModel, Field


class BatchStatus(StrEnum):
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class BatchRowProblem(BaseModel):
    line: int = Field(description="Line in the file as a spreadsheet numbers it (header = 1).")
    column: str | None = Field(description="The file's own column name, where one is at fault.")
    reason: str


class BatchCounts(BaseModel):
    total: int = Field(description="Rows with content.")
    accepted: int = Field(description="New signals.")
    repeat: int = Field(description="New signals recorded as a repeat of an earlier one.")
    known: int = Field(description="Rows sent before (the same file or row again): nothing added.")
    refused: int = Field(description="Rows at fault; see `problems`.")


class BatchView(BaseModel):
    id: UUID
    status: BatchStatus
    filename: str | None
    profile: str
    received_at: AwareDatetime
    processed_at: AwareDatetime | None
    counts: BatchCounts | None = Field(description="Null until the batch is processed.")
    problems: list[BatchRowProblem] = Field(description="The first 100 problems, by line.")
    problems_total: int = Field(description="How many problems there were in all.")
    problems_by_column: dict[str, int] = Field(
        description='How many problems each of the file\'s columns had ("": the row as a whole).'
    )
