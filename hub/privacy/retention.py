"""Retention: once a case has been closed for its period, the personal data of its signals goes.

The period depends on the signal's kind and the case's outcome; the shortest that applies wins
(keep no longer than needed). What goes: the sealed personal fields and notes of each signal,
the sealed notes in its events, and the household's address and digest once none of its
signals still holds personal data and it has no open case. What stays, without anyone in it:
that a partner signalled a team about some household, when, of what kind, and what came of it,
so the network figures and the feedback record keep working. Each run records per (kind,
outcome, period) how many signals and households it pseudonymised, never what they held.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field

from hub.privacy import store

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg

    from hub.platform.config import Settings
    from hub.platform.connection import Connection

_NO_LIMIT = 1_000_000  # days: "no period set" for a kind


class RetentionPolicy(BaseModel):
    """Days after a case closes before its signals' personal data is removed."""

    closed_days: int = Field(ge=1, description="The default period.")
    by_outcome: dict[str, int] = Field(description="A period for cases with this outcome.")
    by_kind: dict[str, int] = Field(description="A period for signals of this kind.")

    def period(self, kind: str, outcome: str | None) -> int:
        by_outcome = self.by_outcome.get(outcome or "", self.closed_days)
        return min(self.by_kind.get(kind, _NO_LIMIT), by_outcome)


def policy_of(settings: Settings) -> RetentionPolicy:
    return RetentionPolicy(
        closed_days=settings.retention_closed_days,
        by_outcome=settings.retention_by_outcome,
        by_kind=settings.retention_by_kind,
    )


@dataclass(frozen=True)
class RetentionResult:
    signals: int
    households: int


async def apply_retention(
    pool: asyncpg.Pool, policy: RetentionPolicy, as_of: datetime
) -> RetentionResult:
    """Pseudonymise every signal whose case closed longer than its period before `as_of`."""
    async with pool.acquire() as conn, conn.transaction():
        due = await store.due_for_retention(
            conn,
            list(policy.by_kind),
            list(policy.by_kind.values()),
            list(policy.by_outcome),
            list(policy.by_outcome.values()),
            policy.closed_days,
            _NO_LIMIT,
            as_of,
        )
        if not due:
            return RetentionResult(0, 0)
        signal_ids = [row["id"] for row in due]
        await store.pseudonymise(conn, signal_ids, sorted({row["case_id"] for row in due}), as_of)
        gone = await store.forget_households(conn, sorted({row["household_id"] for row in due}))
        groups: dict[tuple[str, str | None, int], list[int]] = {}
        counted: set[object] = set()
        for row in due:
            counts = groups.setdefault((row["kind"], row["outcome"], row["period"]), [0, 0])
            counts[0] += 1
            if row["household_id"] in gone and row["household_id"] not in counted:
                counted.add(row["household_id"])
                counts[1] += 1
        await store.record_retention_run(
            conn,
            as_of,
            [
                (kind, outcome, period, counts[0], counts[1])
                for (kind, outcome, period), counts in sorted(
                    groups.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
                )
            ],
        )
    return RetentionResult(len(signal_ids), len(gone))


async def forget_now(
    conn: Connection, signal_ids: Sequence[UUID], household_ids: Sequence[UUID], as_of: datetime
) -> None:
    """Pseudonymise signals at once, in the caller's transaction: for a signal the hub gives
    back without work (its address is outside every team's area) nothing justifies keeping who
    it was about. What stays is what stays after retention."""
    await store.pseudonymise(conn, signal_ids, [], as_of)
    await store.forget_households(conn, household_ids)
