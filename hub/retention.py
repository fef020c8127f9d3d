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

if TYPE_CHECKING:
    import asyncpg

    from hub.config import Settings

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
    kinds, kind_days = list(policy.by_kind), list(policy.by_kind.values())
    outcomes, outcome_days = list(policy.by_outcome), list(policy.by_outcome.values())
    async with pool.acquire() as conn, conn.transaction():
        due = await conn.fetch(
            """
            select s.id, s.case_id, s.household_id, s.kind, c.outcome,
                   least(coalesce(k.days, $6), coalesce(o.days, $5)) as period
            from signals s
            join cases c on c.id = s.case_id
            left join unnest($1::text[], $2::int[]) as k (kind, days) on k.kind = s.kind
            left join unnest($3::text[], $4::int[]) as o (outcome, days) on o.outcome = c.outcome
            where c.closed_at is not null and s.pseudonymised_at is null
              and c.closed_at + make_interval(
                    days => least(coalesce(k.days, $6), coalesce(o.days, $5))) <= $7
            for update of s skip locked
            """,
            kinds,
            kind_days,
            outcomes,
            outcome_days,
            policy.closed_days,
            _NO_LIMIT,
            as_of,
        )
        if not due:
            return RetentionResult(0, 0)
        signal_ids = [row["id"] for row in due]
        case_ids = sorted({row["case_id"] for row in due})
        await conn.execute(
            "update signals set personal = null, returned_note = null, pseudonymised_at = $2 "
            "where id = any($1::uuid[])",
            signal_ids,
            as_of,
        )
        # The one change the events table allows: its sealed notes removed.
        await conn.execute(
            """
            update events set data = data - 'reason_sealed'
            where data ? 'reason_sealed'
              and (signal_id = any($1::uuid[])
                   or case_id in (select c.id from cases c where c.id = any($2::uuid[])
                                  and not exists (select 1 from signals s where s.case_id = c.id
                                                  and s.pseudonymised_at is null)))
            """,
            signal_ids,
            case_ids,
        )
        households = await conn.fetch(
            """
            update households h set address = null, address_digest = null
            where h.id = any($1::uuid[]) and h.address is not null
              and not exists (select 1 from signals s where s.household_id = h.id
                              and s.pseudonymised_at is null)
              and not exists (select 1 from cases c where c.household_id = h.id
                              and c.closed_at is null)
            returning h.id
            """,
            sorted({row["household_id"] for row in due}),
        )
        gone = {row["id"] for row in households}
        groups: dict[tuple[str, str | None, int], list[int]] = {}
        seen_households: set[object] = set()
        for row in due:
            counts = groups.setdefault((row["kind"], row["outcome"], row["period"]), [0, 0])
            counts[0] += 1
            if row["household_id"] in gone and row["household_id"] not in seen_households:
                seen_households.add(row["household_id"])
                counts[1] += 1
        await conn.executemany(
            """
            insert into retention_runs (as_of, kind, outcome, period_days, signals, households)
            values ($1, $2, $3, $4, $5, $6)
            """,
            [
                (as_of, kind, outcome, period, counts[0], counts[1])
                for (kind, outcome, period), counts in sorted(
                    groups.items(), key=lambda item: (item[0][0], item[0][1] or "", item[0][2])
                )
            ],
        )
        await conn.execute(
            """
            insert into events (signal_id, kind, actor, data, occurred_at)
            select id, 'pseudonymised', 'hub', '{}'::jsonb, $2 from unnest($1::uuid[]) as id
            """,
            signal_ids,
            as_of,
        )
    return RetentionResult(len(signal_ids), len(gone))
