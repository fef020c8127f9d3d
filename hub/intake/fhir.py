"""FHIR referrals: a ServiceRequest or a document becomes a signal through the same intake; a
Task tracks it; a cancellation (a document, or the ServiceRequest called off) withdraws it.

A referral sent as a ServiceRequest is served back as the hub's own ServiceRequest, rebuilt from
its signal (one sealed copy of the personal data; what the signal does not hold is kept beside
it, none of it personal). The signal's id is both the ServiceRequest's id and the Task's: FHIR
ids are per resource type, one referral has one Task, and every lookup stays on the signal's
key. The ServiceRequest's version is 1 as sent and 2 once called off; each read of it is in the
access log, like every read of personal data.

The Task's status follows the signal's, as the case vocabulary says
(`hub.cases.workflow.TASK_STATUS`, the Gravity Project SDOH closed-loop referral pattern), and its
business status is the same Dutch text a partner reads on its own pages.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from connectors.fhir import (
    DEFAULT_KIND_CODES,
    REQUEST_CANCELLED,
    Cancellation,
    KindCodes,
    Referral,
    RequestFacts,
    ServedRequest,
    priority_of,
    service_request_for,
    task_for,
)
from connectors.fhir_rest import Token, matches
from hub import labels
from hub.cases.workflow import TASK_STATUS
from hub.intake.service import (
    DEFAULT_POLICY,
    DEFAULT_PUBLIC_URL,
    IntakePolicy,
    Submitted,
    record_intake,
    store_signals,
)
from hub.intake.store import fhir as store
from hub.intake.withdrawal import withdraw_by_reference, withdraw_within
from hub.platform.errors import Conflict, Gone, InvalidFields, NotFound, PreconditionFailed
from hub.privacy.audit import log_access
from hub.privacy.sealed import unsealed
from schemas.signals import SignalKind, SignalStatus, default_kind, kinds_for

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import datetime
    from uuid import UUID

    import asyncpg

    from hub.directory.models import Partner
    from hub.platform.connection import Connection

# Why a ServiceRequest's personal data is shown, for the access log.
READ_BACK = "FHIR: the referral read back by the partner that sent it"
ANSWERED = "FHIR: the referral returned to the partner that sent it"


async def kind_codes(pool: asyncpg.Pool, partner: Partner) -> KindCodes:
    """How the partner's codes become kinds: our own code system plus what administrators
    mapped (theirs win), then the shipped social-care table where the partner may send its
    kind, else the partner kind's default kind."""
    chosen = dict(DEFAULT_KIND_CODES)
    async with pool.acquire() as conn:
        for row in await store.mapped_codes(conn):
            chosen[(row["system"], row["code"])] = SignalKind(row["kind"])
    return KindCodes(
        chosen=chosen, allowed=kinds_for(partner.kind), fallback=default_kind(partner.kind)
    )


async def map_code(pool: asyncpg.Pool, system: str, code: str, kind: SignalKind) -> None:
    async with pool.acquire() as conn:
        await store.map_code(conn, system, code, kind.value)


@dataclass(frozen=True)
class TaskResult:
    task: dict[str, Any]
    created: bool


@dataclass(frozen=True)
class Served:
    """A ServiceRequest as the hub serves it: its version (ETag, meta.versionId) and when it
    last changed (Last-Modified); the resource itself only where it was asked for. `gone`: its
    personal data was removed (retention; or withdrawn before any team had it), so it cannot be
    shown any more."""

    id: UUID
    version: str
    last_modified: datetime
    resource: dict[str, Any] | None = None
    gone: bool = False


@dataclass(frozen=True)
class RequestResult:
    """A ServiceRequest taken (or found again: `created` False); its Task has its id."""

    request: Served
    created: bool


async def _store(
    conn: Connection,
    partner: Partner,
    referral: Referral,
    policy: IntakePolicy,
    public_url: str,
) -> Submitted:
    """Store the referral's signal; its refusal names the FHIR element at fault."""
    (result,) = await store_signals(
        conn, partner, [referral.signal], policy=policy, public_url=public_url
    )
    if isinstance(result, InvalidFields):
        raise InvalidFields(
            result.detail,
            errors=[{"loc": referral.kind_at.split("."), "msg": result.detail}],
        )
    if isinstance(result, Conflict):
        raise Conflict(
            result.detail,
            errors=[{"loc": referral.reference_at.split("."), "msg": result.detail}],
        )
    return result


async def _keep(conn: Connection, signal_id: UUID, referral: Referral) -> None:
    """What the Task points at: the ServiceRequest the hub serves (its facts kept), or the
    document by its identifier."""
    facts = referral.request
    if facts is not None:
        await store.keep_request(
            conn, signal_id, facts.identifier_system, facts.intent, facts.priority
        )
    elif referral.focus is not None:
        await store.set_focus(conn, signal_id, referral.focus)


async def submit_referral(
    pool: asyncpg.Pool,
    partner: Partner,
    referral: Referral,
    *,
    policy: IntakePolicy = DEFAULT_POLICY,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> TaskResult:
    """Store a referral (a document's, as ZorgDomein sends it); its Task is the answer."""
    started = time.monotonic()
    async with pool.acquire() as conn, conn.transaction():
        result = await _store(conn, partner, referral, policy, public_url)
        await _keep(conn, result.receipt.id, referral)
        (task,) = await _tasks(conn, partner, [result.receipt.id])
    record_intake("fhir", partner.kind, [result], time.monotonic() - started)
    return TaskResult(task, result.created)


async def submit_request(
    pool: asyncpg.Pool,
    partner: Partner,
    referral: Referral,
    *,
    actor: str,
    body: bool,
    policy: IntakePolicy = DEFAULT_POLICY,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> RequestResult:
    """Store a ServiceRequest's referral; the hub's ServiceRequest for it is the answer (with
    `body`, the resource itself: its reading is logged)."""
    if referral.request is None:
        raise ValueError("not a ServiceRequest's referral")
    started = time.monotonic()
    async with pool.acquire() as conn, conn.transaction():
        result = await _store(conn, partner, referral, policy, public_url)
        signal_id = result.receipt.id
        await _keep(conn, signal_id, referral)
        served = await _request(conn, partner, signal_id, actor=actor, body=body, purpose=ANSWERED)
    record_intake("fhir", partner.kind, [result], time.monotonic() - started)
    return RequestResult(served, result.created)


async def existing_request(
    pool: asyncpg.Pool, partner: Partner, identifier: Token, *, actor: str, body: bool
) -> RequestResult | None:
    """A conditional create's match: the partner's ServiceRequest with this identifier, if there
    is one; then nothing is created."""
    async with pool.acquire() as conn, conn.transaction():
        found = await _by_identifier(conn, partner, identifier)
        if not found:
            return None
        if len(found) > 1:  # (partner, reference) is unique: one at most, but say so if not
            raise PreconditionFailed("the condition matches more than one ServiceRequest")
        served = await _request(conn, partner, found[0], actor=actor, body=body, purpose=ANSWERED)
    return RequestResult(served, created=False)


async def _by_identifier(conn: Connection, partner: Partner, token: Token) -> list[UUID]:
    if "\x00" in token.value or "\x00" in (token.system or ""):
        return []  # PostgreSQL's text holds no NUL: no referral has one in its identifier
    return await store.requests_by_identifier(
        conn, partner.id, token.value, token.system, token.any_system
    )


async def call_off_request(
    pool: asyncpg.Pool,
    partner: Partner,
    status: str,
    *,
    reference: str | None = None,
    request_id: UUID | None = None,
    if_match: str | None = None,
    actor: str,
    body: bool,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> Served | None:
    """The partner calls its referral off (the ServiceRequest found by its reference or by its
    id, now `status`: revoked or entered-in-error): its signal is withdrawn (see
    `hub.intake.withdrawal`: the Task is cancelled, the case's timeline says so, the team is
    told, nothing is deleted). None if the partner has no such ServiceRequest."""
    if status not in REQUEST_CANCELLED:
        raise ValueError(f"{status} does not call a referral off")
    async with pool.acquire() as conn, conn.transaction():
        if request_id is None:
            if reference is None:
                raise ValueError("name the ServiceRequest by its reference or its id")
            found = await _by_identifier(conn, partner, Token(None, reference, any_system=True))
        else:
            found = [request_id]
        rows = await store.requests(conn, partner.id, found)
        if not rows:
            return None
        row = rows[0]
        if if_match is not None and not matches(if_match, _version(row)[0]):
            raise PreconditionFailed(
                f"the ServiceRequest is at version {_version(row)[0]}, not the one If-Match names"
            )
        await withdraw_within(conn, partner, row["id"], public_url=public_url)
        await store.call_off_request(conn, row["id"], status)
        return await _request(conn, partner, row["id"], actor=actor, body=body, purpose=ANSWERED)


async def read_request(
    pool: asyncpg.Pool,
    partner: Partner,
    request_id: UUID,
    *,
    actor: str,
    version: str | None = None,
    unless: str | None = None,
) -> Served:
    """The partner's own ServiceRequest (another's is absent), at its `version` (else the
    current one). `unless` the client holds it already (If-None-Match): then without the
    resource, and nothing is read."""
    async with pool.acquire() as conn, conn.transaction():
        served = await _request(
            conn,
            partner,
            request_id,
            actor=actor,
            body=True,
            purpose=READ_BACK,
            version=version,
            unless=unless,
        )
    if served.gone:
        raise Gone("the referral's personal data has been removed; it cannot be shown any more")
    return served


async def find_requests(
    pool: asyncpg.Pool,
    partner: Partner,
    *,
    ids: Sequence[Sequence[UUID]],
    identifiers: Sequence[Sequence[Token]],
    actor: str,
) -> list[Served]:
    """The partner's ServiceRequests that have one of each list of `ids` and one of each list
    of `identifiers` (a search: values ORed within a parameter, parameters ANDed); those whose
    personal data is gone are left out. Each one shown is in the access log."""
    async with pool.acquire() as conn, conn.transaction():
        wanted: set[UUID] | None = None
        for alternatives in ids:
            wanted = set(alternatives) if wanted is None else wanted & set(alternatives)
        for tokens in identifiers:
            named: set[UUID] = set()
            for token in tokens:
                named |= set(await _by_identifier(conn, partner, token))
            wanted = named if wanted is None else wanted & named
        rows = [
            row
            for row in await store.requests(conn, partner.id, sorted(wanted or ()))
            if not _gone(row)
        ]
        await log_access(
            conn,
            actor,
            "search_service_requests",
            READ_BACK,
            [(f"signal:{row['id']}", row["household_id"]) for row in rows],
            f"partner:{partner.id}",
        )
    return [_served(row) for row in rows]


def _gone(row: asyncpg.Record) -> bool:
    return row["pseudonymised_at"] is not None or row["personal"] is None


def _version(row: asyncpg.Record) -> tuple[str, datetime]:
    """The ServiceRequest's version and when it began: 1 as sent, 2 once called off."""
    if row["status"] == SignalStatus.WITHDRAWN.value:
        return "2", row["withdrawn_at"] or row["received_at"]
    return "1", row["received_at"]


def _served(row: asyncpg.Record, version: str | None = None) -> Served:
    """The ServiceRequest of `row` (opened) at `version` (else the current one)."""
    current, changed = _version(row)
    version = version or current
    if _gone(row):
        return Served(row["id"], current, changed, gone=True)
    called_off = version == "2"
    status = "active"
    if called_off:
        status = row["request_status"] if row["request_status"] in REQUEST_CANCELLED else "revoked"
    last_updated = changed if called_off else row["received_at"]
    opened = unsealed(row)
    kind = SignalKind(row["kind"])
    resource = service_request_for(
        ServedRequest(
            request_id=str(row["id"]),
            version=version,
            last_updated=last_updated,
            status=status,
            facts=RequestFacts(
                row["identifier_system"],
                row["intent"],
                row["priority"] or priority_of(row["urgency"]),
            ),
            external_ref=row["external_ref"],
            kind=kind,
            kind_display=labels.SIGNAL_KIND[kind],
            coding=opened["coding"],
            person_name=opened["person_name"],
            birth_date=opened["person_birth_date"],
            address=opened,
            description=opened["description"] or "",
        )
    )
    return Served(row["id"], version, last_updated, resource)


async def _request(
    conn: Connection,
    partner: Partner,
    request_id: UUID,
    *,
    actor: str,
    body: bool,
    purpose: str,
    version: str | None = None,
    unless: str | None = None,
) -> Served:
    rows = await store.requests(conn, partner.id, [request_id])
    if not rows:
        raise NotFound("no such ServiceRequest")
    (row,) = rows
    current, changed = _version(row)
    if version is not None and version not in ("1", current):
        raise NotFound(f"no version {version} of this ServiceRequest")
    at = version or current
    if _gone(row):
        return Served(row["id"], current, changed, gone=True)
    if not body or (unless is not None and matches(unless, at)):
        return Served(row["id"], at, changed if at == current else row["received_at"])
    served = _served(row, at)
    await log_access(
        conn,
        actor,
        "read_service_request",
        purpose,
        [(f"signal:{row['id']}", row["household_id"])],
        f"partner:{partner.id}",
    )
    return served


async def cancel_referral(
    pool: asyncpg.Pool,
    partner: Partner,
    cancellation: Cancellation,
    *,
    public_url: str = DEFAULT_PUBLIC_URL,
) -> TaskResult:
    """A later document calls the partner's referral off: its signal is withdrawn (see
    `hub.intake.withdrawal`), and its Task, now cancelled, is the answer."""
    signal_id = await withdraw_by_reference(
        pool, partner, cancellation.external_ref, cancellation.reason, public_url=public_url
    )
    if signal_id is None:
        message = "no referral of yours has this number: there is nothing to cancel"
        raise InvalidFields(
            message, errors=[{"loc": cancellation.reference_at.split("."), "msg": message}]
        )
    return TaskResult(await read_task(pool, partner, signal_id), created=False)


def _task_of(row: asyncpg.Record) -> dict[str, Any]:
    status = SignalStatus(row["status"])
    focus = row["fhir_focus"] or ""
    if row["has_request"]:
        focus = f"ServiceRequest/{row['id']}"
    elif not focus.startswith("identifier:"):
        focus = f"identifier:|{row['external_ref']}"
    return task_for(
        task_id=str(row["id"]),
        focus=focus,
        status=TASK_STATUS[status],
        business_status=labels.signal_status(status, row["team"]),
        owner=row["team"],
        authored_on=row["received_at"],
        last_modified=row["modified"] or row["received_at"],
    )


async def _tasks(
    conn: Connection, partner: Partner, task_ids: Sequence[UUID]
) -> list[dict[str, Any]]:
    return [_task_of(row) for row in await store.tasks(conn, partner.id, task_ids)]


async def read_task(pool: asyncpg.Pool, partner: Partner, task_id: UUID) -> dict[str, Any]:
    async with pool.acquire() as conn:
        found = await _tasks(conn, partner, [task_id])
    if not found:
        raise NotFound("no such Task")
    return found[0]


async def find_tasks(
    pool: asyncpg.Pool, partner: Partner, task_ids: Sequence[UUID], *, of_requests: bool
) -> list[dict[str, Any]]:
    """The partner's Tasks among `task_ids`; `of_requests`: only those of a ServiceRequest the
    hub serves (a search by focus or based-on)."""
    async with pool.acquire() as conn:
        rows = await store.tasks(conn, partner.id, task_ids)
    return [_task_of(row) for row in rows if row["has_request"] or not of_requests]
