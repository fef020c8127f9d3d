"""CSV batches: a file is stored before it is acknowledged, then processed row by row.

The upload (or the drop-folder job) stores the file and answers at once; processing parses
every row, stores the good ones in bulk through intake, and records the problems per row. A
crash between the two leaves the batch pending, and the next sweep processes it: nothing
acknowledged is lost, and processing twice adds nothing (rows are idempotent).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from connectors.csv_batch import DEFAULT_PROFILES, BatchFileError, BatchProfile, parse_batch
from hub.directory.service import partner_by_id, require_partner
from hub.intake.service import (
    DEFAULT_POLICY,
    DEFAULT_PUBLIC_URL,
    IntakePolicy,
    Refusal,
    Submitted,
    kind_refusal,
    record_intake,
    store_signals,
)
from hub.intake.store import batches as batch_store
from hub.platform.errors import InvalidFields, NotFound
from schemas.batches import BatchCounts, BatchRowProblem, BatchStatus, BatchView
from schemas.signals import PartnerKind

if TYPE_CHECKING:
    from uuid import UUID

    import asyncpg

    from hub.directory.models import Partner
    from hub.platform.connection import Connection

log = logging.getLogger(__name__)

CUSTOM = "custom"
DEFAULT_FOR_KIND = {PartnerKind.HOUSING: "rent_arrears", PartnerKind.WORK_INCOME: "non_responder"}


def _problem(message: str) -> InvalidFields:
    return InvalidFields(message, errors=[{"loc": ["profile"], "msg": message}])


async def resolve_profile(
    conn: Connection, partner: Partner, name: str | None
) -> tuple[str, BatchProfile]:
    """(name to record, profile): the partner's own if set (or asked for), else the named or
    the default one for its kind."""
    custom = await batch_store.custom_profile(conn, partner.id)
    if name in (None, CUSTOM) and custom is not None:
        chosen, profile = CUSTOM, BatchProfile.model_validate(custom)
    elif name == CUSTOM:
        raise _problem("no custom profile is set for this partner")
    else:
        default = name or DEFAULT_FOR_KIND.get(partner.kind)
        if default is None:
            raise _problem(
                f"there is no default CSV profile for {partner.kind.value} partners; "
                "ask an administrator to set one"
            )
        if default not in DEFAULT_PROFILES:
            raise _problem(f"unknown profile; choose {', '.join(DEFAULT_PROFILES)} or custom")
        chosen, profile = default, DEFAULT_PROFILES[default]
    refusal = kind_refusal(partner.kind, profile.kind)
    if refusal:
        raise _problem(refusal)
    return chosen, profile


async def set_custom_profile(pool: asyncpg.Pool, partner_name: str, profile: BatchProfile) -> None:
    """Set a partner's own CSV column names (a profile of a kind the partner may send)."""
    partner = await require_partner(pool, partner_name)
    refusal = kind_refusal(partner.kind, profile.kind)
    if refusal:
        raise _problem(refusal)
    async with pool.acquire() as conn:
        await batch_store.set_custom_profile(conn, partner.id, profile.model_dump(mode="json"))


@dataclass(frozen=True)
class Received:
    view: BatchView
    created: bool


async def receive_batch(
    pool: asyncpg.Pool,
    partner: Partner,
    content: bytes,
    *,
    filename: str | None,
    source: str,
    profile_name: str | None,
) -> Received:
    """Store the file durably; the same file again gives the first batch."""
    async with pool.acquire() as conn, conn.transaction():
        chosen, _ = await resolve_profile(conn, partner, profile_name)
        batch_id, created = await batch_store.add_batch(
            conn,
            partner.id,
            source=source,
            filename=filename,
            file_sha256=hashlib.sha256(content).digest(),
            profile=chosen,
            content=content,
        )
        row = await batch_store.batch_of_partner(conn, partner.id, batch_id)
    if row is None:
        raise RuntimeError("a batch just stored could not be read back")
    return Received(_view(row), created)


def _count(
    results: list[Submitted | Refusal], parsed_total: int, refused_rows: int
) -> dict[str, int]:
    stored = [r for r in results if isinstance(r, Submitted)]
    created = [r for r in stored if r.created]
    return {
        "total": parsed_total,
        "accepted": sum(1 for r in created if r.receipt.repeat_of is None),
        "repeat": sum(1 for r in created if r.receipt.repeat_of is not None),
        "known": sum(1 for r in stored if not r.created),
        "refused": refused_rows + len(results) - len(stored),
    }


async def process_batch(
    pool: asyncpg.Pool,
    batch_id: UUID,
    *,
    policy: IntakePolicy = DEFAULT_POLICY,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> bool:
    """Process a pending batch in one transaction; False if there was nothing to do."""
    async with pool.acquire() as conn, conn.transaction():
        claimed = await batch_store.claim_pending(conn, batch_id)
        if claimed is None:
            return False
        partner = await partner_by_id(conn, claimed["partner_id"])
        if partner is None:
            raise RuntimeError("a batch's partner is missing")
        try:
            _, profile = await resolve_profile(conn, partner, claimed["profile"])
            parsed = parse_batch(claimed["content"], profile)
        except (BatchFileError, InvalidFields, ValidationError) as error:
            reason = error.detail if isinstance(error, InvalidFields) else str(error)
            await batch_store.finish(
                conn,
                batch_id,
                status=BatchStatus.FAILED.value,
                counts=None,
                report=[{"line": 1, "column": None, "reason": reason}],
            )
            return True
        problems: list[dict[str, Any]] = [
            {"line": e.line, "column": e.column, "reason": e.reason} for e in parsed.errors
        ]
        results = await store_signals(
            conn,
            partner,
            [row.signal for row in parsed.rows],
            batch_id=batch_id,
            policy=policy,
            public_url=public_url,
        )
        for row, result in zip(parsed.rows, results, strict=True):
            if not isinstance(result, Submitted):
                problems.append({"line": row.line, "column": None, "reason": result.detail})
        problems.sort(key=lambda problem: problem["line"])
        await batch_store.finish(
            conn,
            batch_id,
            status=BatchStatus.DONE.value,
            counts=_count(results, parsed.total, len({e.line for e in parsed.errors})),
            report=problems,
        )
    record_intake("batch", partner.kind, results)
    log.info("batch %s processed: %d rows", batch_id, parsed.total)
    return True


async def process_pending(
    pool: asyncpg.Pool,
    *,
    policy: IntakePolicy = DEFAULT_POLICY,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> int:
    """Process every pending batch (those a crash or a busy moment left); returns how many."""
    done = 0
    while True:
        async with pool.acquire() as conn:
            pending = await batch_store.pending_ids(conn, 20)
        progressed = [
            await process_batch(pool, b, policy=policy, public_url=public_url) for b in pending
        ]
        done += sum(progressed)
        if not any(progressed):
            return done


def _view(row: asyncpg.Record) -> BatchView:
    counts = (
        BatchCounts(
            total=row["rows_total"],
            accepted=row["rows_accepted"],
            repeat=row["rows_repeat"],
            known=row["rows_known"],
            refused=row["rows_refused"],
        )
        if row["rows_total"] is not None
        else None
    )
    return BatchView(
        id=row["id"],
        status=BatchStatus(row["status"]),
        filename=row["filename"],
        profile=row["profile"],
        received_at=row["received_at"],
        processed_at=row["processed_at"],
        counts=counts,
        problems=[BatchRowProblem.model_validate(problem) for problem in row["report"]],
    )


async def batch_view(pool: asyncpg.Pool, partner: Partner, batch_id: UUID) -> BatchView:
    async with pool.acquire() as conn:
        row = await batch_store.batch_of_partner(conn, partner.id, batch_id)
    if row is None:
        raise NotFound("no such batch")
    return _view(row)
