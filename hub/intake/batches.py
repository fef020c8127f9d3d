"""CSV batches: a file is stored before it is acknowledged, then processed in chunks of rows.

The upload (or the drop-folder job) stores the file (sealed) and answers at once; processing
parses the next chunk while the database stores this one, stores the good rows through intake
a chunk per transaction (two transactions at a time where the pool has a connection to spare,
committing in order), and records the problems per row (the first hundred, and how many per
column). A crash leaves the batch pending at the last chunk that committed; the next run
resumes there: nothing acknowledged is lost, nothing is taken in twice. One batch of a partner
is processed at a time, and a file that cannot be read fails on its own, harming no other
partner's.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import logging
import threading
from collections import Counter, deque
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import uuid4

from pydantic import ValidationError

from connectors.csv_batch import DEFAULT_PROFILES, BatchFileError, BatchProfile, BatchReader
from hub.directory.service import partner_by_id, require_partner
from hub.intake.service import (
    DEFAULT_POLICY,
    DEFAULT_PUBLIC_URL,
    IntakePolicy,
    Prepared,
    Refusal,
    Submitted,
    kind_refusal,
    prepare,
    record_intake,
    store_signals,
)
from hub.intake.store import batches as batch_store
from hub.platform.errors import InvalidFields, NotFound
from hub.platform.locks import try_advisory_lock
from hub.privacy.crypto import keyring
from hub.privacy.sealed import seal_batch
from schemas.batches import BatchCounts, BatchRowProblem, BatchStatus, BatchView
from schemas.early_debt import CREDITORS
from schemas.signals import PartnerKind

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
    from uuid import UUID

    import asyncpg

    from connectors.csv_batch import ParsedBatch
    from hub.directory.models import Partner
    from hub.platform.connection import Connection

log = logging.getLogger(__name__)

CUSTOM = "custom"
# Rows per transaction. Three chunks are alive at once (two being stored, one being parsed):
# with 1,000 rows each, Python's full collections (which scan every live object) held the
# serving loop for 40 - 63 ms; with 500, 17 - 34 ms, and the batch was no slower
# (benchmarks/README.md).
CHUNK_ROWS = 500
# A chunk stored beside the one before it waits this long for that one's commit, then rolls
# back and is stored again after it (_InFlight).
GIVE_WAY_SECONDS = 2.0
ROWS_A_STEP = 10  # rows parsed or prepared between two turns of the event loop (~0.5 ms)
REPORT_PROBLEMS = 100  # problems a batch's report lists (all are counted, per column)
DEFAULT_FOR_KIND: dict[PartnerKind, str] = {
    PartnerKind.HOUSING: "rent_arrears",
    PartnerKind.WORK_INCOME: "non_responder",
    # Creditors and their collection systems send early-debt lists by the national field names.
    PartnerKind.COLLECTION_SYSTEM: "early_debt",
    **{creditor: "early_debt" for creditor in CREDITORS if creditor is not PartnerKind.HOUSING},
}


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
    content: bytes | bytearray,
    *,
    filename: str | None,
    source: str,
    profile_name: str | None,
) -> Received:
    """Store the file durably; the same file again gives the first batch.

    A bytearray given (an upload) is emptied once the file is sealed: a large file is then
    held once, sealed, while it is sent to the database (issue 19: a 20 MiB upload)."""
    file_sha256 = keyring().digest(content, "batches.file")
    batch_id = uuid4()  # made here, so the file is sealed bound to its row
    sealed = seal_batch(content, batch_id)
    if isinstance(content, bytearray):
        content.clear()
    async with pool.acquire() as conn, conn.transaction():
        chosen, _ = await resolve_profile(conn, partner, profile_name)
        batch_id, created = await batch_store.add_batch(
            conn,
            partner.id,
            batch_id,
            source=source,
            filename=filename,
            file_sha256=file_sha256,
            profile=chosen,
            sealed=sealed,
        )
        row = await batch_store.batch_of_partner(conn, partner.id, batch_id)
    if row is None:
        raise RuntimeError("a batch just stored could not be read back")
    return Received(_view(row), created)


def _count(results: list[Submitted | Refusal], total: int, refused_rows: int) -> dict[str, int]:
    stored = [r for r in results if isinstance(r, Submitted)]
    created = [r for r in stored if r.created]
    return {
        "total": total,
        "accepted": sum(1 for r in created if r.receipt.repeat_of is None),
        "repeat": sum(1 for r in created if r.receipt.repeat_of is not None),
        "known": sum(1 for r in stored if not r.created),
        "refused": refused_rows + len(results) - len(stored),
    }


def _lock_key(purpose: str, ident: UUID) -> int:
    """An advisory lock key of its own for a batch, or for a partner's batches."""
    return int.from_bytes(hashlib.sha256(f"{purpose}|{ident}".encode()).digest()[:8], signed=True)


def row_reference(raw: bytes) -> str:
    """A row's keyed digest (connectors hold no keys)."""
    return keyring().digest(raw, "batches.row").hex()


async def process_batch(
    pool: asyncpg.Pool,
    batch_id: UUID,
    *,
    policy: IntakePolicy = DEFAULT_POLICY,
    public_url: str = DEFAULT_PUBLIC_URL,
    chunk: int = CHUNK_ROWS,
    stop: threading.Event | None = None,
) -> bool:
    """Process a pending batch, a chunk of rows per transaction; False if it is done already, or
    another run is processing it or another batch of its partner, or `stop` was set (the hub
    is stopping: the batch stays pending after the last chunk that committed, and the next run
    resumes it).

    Each chunk's signals, counts, problems and the line it got to commit together, in the
    order of the file (the next chunk may be stored beside the last on a second connection,
    but commits after it: _InFlight): after a crash the next run resumes after that line, and
    nothing is taken in twice. A file the CSV
    reader cannot read fails as a whole, before any row is taken.
    """
    async with _lent(pool), pool.acquire() as holder:
        found = await pending_ids_of(holder, batch_id)
        if found is None:
            return False
        partner_id = found
        async with (
            try_advisory_lock(holder, _lock_key("batch.partner", partner_id)) as partner_free,
            try_advisory_lock(holder, _lock_key("batch", batch_id)) as batch_free,
        ):
            if not (partner_free and batch_free):
                return False
            async with _spare_connection(pool) as spare:
                try:
                    return await _process(holder, spare, batch_id, policy, public_url, chunk, stop)
                except _Superseded:
                    log.warning("batch %s: another run took it over; this one stopped", batch_id)
                    return False


# Connections each pool (by id) lends to batches now, their lock holders and spares, counted
# here: asyncpg's own counts leave out a connection still being opened, so two batches starting
# together both took a spare from a pool of four. An entry goes when its count is back at 0.
_LENT: dict[int, int] = {}


@asynccontextmanager
async def _lent(pool: asyncpg.Pool) -> AsyncIterator[None]:
    _LENT[id(pool)] = _LENT.get(id(pool), 0) + 1
    try:
        yield
    finally:
        _LENT[id(pool)] -= 1
        if not _LENT[id(pool)]:
            del _LENT[id(pool)]


@asynccontextmanager
async def _spare_connection(pool: asyncpg.Pool) -> AsyncIterator[Connection | None]:
    """A second connection for the batch, if the pool has one to spare beside one for another
    batch; else None, and the batch stores one chunk at a time. Never waited for: a batch
    needs only the connection that holds its locks, so batches beside one another never wait
    for each other's second one."""
    if pool.get_max_size() - _LENT.get(id(pool), 0) < 2:
        yield None
        return
    async with _lent(pool):
        try:
            spare = await pool.acquire(timeout=0.5)
        except TimeoutError:
            yield None
            return
        try:
            yield spare
        finally:
            await pool.release(spare)


async def pending_ids_of(conn: Connection, batch_id: UUID) -> UUID | None:
    """The partner of a pending batch; None if it is done."""
    return await batch_store.pending_partner(conn, batch_id)


async def _process(
    conn: Connection,
    spare: Connection | None,
    batch_id: UUID,
    policy: IntakePolicy,
    public_url: str,
    chunk: int,
    stop: threading.Event | None,
) -> bool:
    claimed = await batch_store.pending_batch(conn, batch_id)
    if claimed is None:  # finished while we waited for the lock
        return False
    partner = await partner_by_id(conn, claimed["partner_id"])
    if partner is None:
        raise RuntimeError("a batch's partner is missing")
    try:
        _, profile = await resolve_profile(conn, partner, claimed["profile"])
        reader = await asyncio.to_thread(BatchReader, claimed["content"], profile, row_reference)
    except (BatchFileError, InvalidFields, ValidationError) as error:
        reason = error.detail if isinstance(error, InvalidFields) else str(error)
        await batch_store.finish(conn, batch_id, failure=reason)
        log.info("batch %s failed: the file cannot be read", batch_id)
        return True
    steps = reader.steps(chunk, after_line=claimed["rows_done"], rows_a_step=ROWS_A_STEP)
    # The next chunk is parsed while this one is stored, a few rows at a time on this loop:
    # between the steps the loop takes the database's answers, so the parsing fills the time
    # the storing waits for the database. (Parsing on a thread made the batch slower: the two
    # threads took turns holding the interpreter, delaying every answer's handling.)
    ahead = asyncio.ensure_future(_parse_next(steps))
    flight = _InFlight(conn, spare)
    line = claimed["rows_done"]  # where the chunk about to be stored starts
    try:
        while (next_chunk := await ahead) is not None:
            if stop is not None and stop.is_set():
                await flight.land()
                log.info("batch %s paused: the hub is stopping (the next run resumes it)", batch_id)
                return False
            ahead = asyncio.ensure_future(_parse_next(steps))
            parsed, prepared = next_chunk
            await flight.store(
                frozenset(item.household.digest for item in prepared),
                functools.partial(
                    _store_chunk,
                    batch_id=batch_id,
                    partner=partner,
                    parsed=parsed,
                    prepared=prepared,
                    after_line=line,
                    policy=policy,
                    public_url=public_url,
                ),
            )
            line = parsed.last_line
        await flight.land()
    finally:
        ahead.cancel()  # a chunk being parsed when the hub stops or storing fails is not wanted
        await asyncio.gather(ahead, return_exceptions=True)
        await flight.abandon()
    await batch_store.finish(conn, batch_id)
    log.info("batch %s processed: %d rows", batch_id, reader.total)
    return True


class _GaveWay(Exception):
    """A chunk rolled back without committing: the chunk before it did not commit in time."""


class _Superseded(Exception):
    """The batch's progress is not where this run left it: another run took the batch over
    (this run's lock-holding session ended while a chunk was stored on the spare)."""


@dataclass
class _Storing:
    start: Callable[[Connection, asyncio.Future[None] | None], Awaitable[None]]
    conn: Connection
    households: frozenset[bytes]
    task: asyncio.Future[None]  # the first attempt
    committed: asyncio.Future[None]  # done when an attempt committed


class _InFlight:
    """Chunks being stored, at most two: the next chunk's transaction starts on the spare
    connection while the last one's statements are in the database (issue 19: each waited for
    the other's Python before, the database idle meanwhile), and commits after it (a chunk
    records the line the batch got to).

    Only a chunk about other households than the one in flight starts beside it: a household
    in both would have the second chunk wait for the first one's row locks (or the first for
    the second's), and miss the first one's signal as the earlier one it repeats. A chunk that
    waits for the one before it longer than GIVE_WAY_SECONDS rolls back and is stored again
    after it: the database cannot see a wait in Python, so a third transaction waiting for
    this chunk's locks while holding what the chunk before needs would otherwise hang all
    three. A chunk waits for the one before to commit, whichever of its attempts does: one
    chunk giving way does not make the next ones give way too."""

    def __init__(self, conn: Connection, spare: Connection | None) -> None:
        self._conns = [conn] if spare is None else [conn, spare]
        self._chunks: deque[_Storing] = deque()

    async def store(
        self,
        households: frozenset[bytes],
        start: Callable[[Connection, asyncio.Future[None] | None], Awaitable[None]],
    ) -> None:
        """Start storing a chunk about `households`: `start(conn, after)` stores it on `conn`,
        committing after `after` is done (None: nothing is in flight)."""
        while self._chunks and (
            len(self._chunks) == len(self._conns)
            or not self._chunks[-1].households.isdisjoint(households)
        ):
            await self._settle_oldest()
        busy = {id(chunk.conn) for chunk in self._chunks}
        conn = next(conn for conn in self._conns if id(conn) not in busy)
        after = self._chunks[-1].committed if self._chunks else None
        committed = asyncio.get_running_loop().create_future()
        task = asyncio.ensure_future(start(conn, after))
        task.add_done_callback(functools.partial(_first_attempt_done, committed))
        self._chunks.append(_Storing(start, conn, households, task, committed))

    async def _settle_oldest(self) -> None:
        chunk = self._chunks[0]
        try:
            await chunk.task
        except _GaveWay:
            # Everything before it has committed: stored again, on its own.
            try:
                await chunk.start(chunk.conn, None)
            except BaseException:
                chunk.committed.cancel()  # the chunk after it fails too
                raise
            chunk.committed.set_result(None)
        self._chunks.popleft()

    async def land(self) -> None:
        """Wait for every chunk in flight to commit, in order (raises the first failure)."""
        while self._chunks:
            await self._settle_oldest()

    async def abandon(self) -> None:
        """After a failure: roll back what is still in flight. A chunk cancelled while it
        commits may or may not have committed; either way its rows and the line it got to
        are in the database together, or neither is."""
        for chunk in self._chunks:
            chunk.task.cancel()
            chunk.committed.cancel()
        await asyncio.gather(*(chunk.task for chunk in self._chunks), return_exceptions=True)
        self._chunks.clear()


def _first_attempt_done(committed: asyncio.Future[None], task: asyncio.Future[None]) -> None:
    """A chunk's first attempt ended: committed, or failed (the chunk after it is then
    cancelled), or gave way (`committed` waits for the attempt after it)."""
    if committed.done():
        return
    if task.cancelled():
        committed.cancel()
        return
    error = task.exception()
    if error is None:
        committed.set_result(None)
    elif not isinstance(error, _GaveWay):
        committed.cancel()


async def _committed(before: asyncio.Future[None]) -> None:
    """Wait for the chunk before to commit; give way if it takes longer than GIVE_WAY_SECONDS
    (if it fails, this chunk is cancelled)."""
    try:
        await asyncio.wait_for(asyncio.shield(before), GIVE_WAY_SECONDS)
    except TimeoutError:  # `before` holds no error of its own: this is the wait's
        raise _GaveWay from None


async def _parse_next(
    steps: Iterator[ParsedBatch | None],
) -> tuple[ParsedBatch, list[Prepared]] | None:
    """The next chunk (None after the last), parsed and its signals prepared for storing (ids,
    digests, sealing), a step of rows at a time between other work."""
    for step in steps:
        if step is None:
            await _give_way()
            continue
        prepared: list[Prepared] = []
        for row in step.rows:
            prepared.append(prepare(row.signal))
            if len(prepared) % ROWS_A_STEP == 0:
                await _give_way()
        return step, prepared
    return None


async def _give_way() -> None:
    """Let what is waiting run before the next step: a database answer that came in during this
    step is handled at the first turn of the loop, and the storing it wakes runs at the second,
    before this resumes (with one turn, each answer waited for a further step)."""
    await asyncio.sleep(0)
    await asyncio.sleep(0)


async def _store_chunk(
    conn: Connection,
    after: asyncio.Future[None] | None,
    *,
    batch_id: UUID,
    partner: Partner,
    parsed: ParsedBatch,
    prepared: list[Prepared],
    after_line: int,
    policy: IntakePolicy,
    public_url: str,
) -> None:
    """Store a chunk's signals and record its counts, problems and last line, in one
    transaction, committed after the chunk `after` (whose failure rolls this one back). The
    batch's progress must be at `after_line`, where the chunk starts: else another run has
    taken the batch over (_Superseded), and this chunk rolls back."""
    problems: list[dict[str, Any]] = [
        {"line": e.line, "column": e.column, "reason": e.reason} for e in parsed.errors
    ]
    async with conn.transaction():
        results = await store_signals(
            conn,
            partner,
            prepared,
            batch_id=batch_id,
            policy=policy,
            public_url=public_url,
        )
        for row, result in zip(parsed.rows, results, strict=True):
            if not isinstance(result, Submitted):
                found = result.errors[0]["loc"] if result.errors else []
                loc = list(found) if isinstance(found, list | tuple) else []
                problems.append(
                    {"line": row.line, "column": row.column_of(loc), "reason": result.detail}
                )
        problems.sort(key=lambda problem: problem["line"])
        if after is not None:
            await _committed(after)  # the chunk before commits first
        by_column = Counter(str(problem["column"] or "") for problem in problems)
        recorded = await batch_store.record_chunk(
            conn,
            batch_id,
            after_line=after_line,
            last_line=parsed.last_line,
            counts=_count(results, parsed.total, len({e.line for e in parsed.errors})),
            problems=problems[:REPORT_PROBLEMS],
            problems_found=len(problems),
            by_column=dict(by_column),
            keep=REPORT_PROBLEMS,
        )
        if not recorded:
            raise _Superseded
    record_intake("batch", partner.kind, results)


async def process_pending(
    pool: asyncpg.Pool,
    *,
    policy: IntakePolicy = DEFAULT_POLICY,
    public_url: str = DEFAULT_PUBLIC_URL,
    stop: threading.Event | None = None,
) -> int:
    """Process the pending batches (those a crash or a busy moment left), each on its own: one
    that cannot be processed is marked failed and harms no other. Returns how many were done."""
    async with pool.acquire() as conn:
        pending = await batch_store.pending_batches(conn, 100)
    done = 0
    for row in pending:
        try:
            if stop is not None and stop.is_set():
                break
            done += await process_batch(
                pool, row["id"], policy=policy, public_url=public_url, stop=stop
            )
        except Exception:
            log.exception("batch %s could not be processed; marked failed", row["id"])
            async with pool.acquire() as conn:
                await batch_store.finish(
                    conn,
                    row["id"],
                    failure="the file could not be processed; ask the hub's "
                    "administrator (the error is in the hub's log)",
                )
            done += 1
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
        if row["rows_total"] is not None and row["status"] != BatchStatus.PENDING.value
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
        problems_total=row["problems_total"],
        problems_by_column=row["problems_by_column"],
    )


async def batch_view(pool: asyncpg.Pool, partner: Partner, batch_id: UUID) -> BatchView:
    async with pool.acquire() as conn:
        row = await batch_store.batch_of_partner(conn, partner.id, batch_id)
    if row is None:
        raise NotFound("no such batch")
    return _view(row)
