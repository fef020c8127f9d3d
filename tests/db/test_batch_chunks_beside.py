"""A batch stores its next chunk beside the one in flight (a second connection), committing
after it: the rules of intake hold across chunks, and a lock cycle through a third
transaction, which the database cannot see because one of its waits is in Python, resolves
instead of hanging."""

from __future__ import annotations

import asyncio
from uuid import UUID

import asyncpg

from hub.intake.batches import _lent, _spare_connection, process_batch, receive_batch
from hub.intake.service import submit_signal
from hub.platform.db import create_pool
from schemas.signals import PartnerKind, SignalIn
from tests.support.batches import arrears_file
from tests.support.factories import make_partner, make_signal


async def _known_households(pool: asyncpg.Pool, *numbers: int) -> list[UUID]:
    """Households a GP signalled before (in 2034AB), as a hub in use knows most addresses."""
    gp, _ = await make_partner(pool, PartnerKind.GP)
    households = []
    for number in numbers:
        body = make_signal(address={"postcode": "2034AB", "house_number": number})
        submitted = await submit_signal(pool, gp, SignalIn.model_validate(body))
        async with pool.acquire() as conn:
            households.append(
                await conn.fetchval(
                    "select household_id from signals where id = $1", submitted.receipt.id
                )
            )
    return households


async def _received(pool: asyncpg.Pool, *rows: str) -> tuple[UUID, UUID]:
    """A housing corporation's file, received: (partner id, batch id)."""
    partner, _ = await make_partner(pool, PartnerKind.HOUSING)
    received = await receive_batch(
        pool, partner, arrears_file(*rows), filename=None, source="upload", profile_name=None
    )
    return partner.id, received.view.id


async def _process(pool: asyncpg.Pool, *rows: str, chunk: int) -> UUID:
    partner_id, batch_id = await _received(pool, *rows)
    assert await asyncio.wait_for(process_batch(pool, batch_id, chunk=chunk), 60)
    return partner_id


async def test_a_household_in_consecutive_chunks_repeats_and_joins_one_case(
    haarlem: asyncpg.Pool,
) -> None:
    """The household was known before (a GP signalled it), so the chunks lock its row rather
    than insert it. The second chunk does not start beside the first (their households
    overlap); had it, it would wait for the first one's row lock before it looks for the
    signal it repeats. Either way the rules of intake hold across chunks."""
    await _known_households(haarlem, 12)
    partner_id = await _process(
        haarlem,
        "HV-1;2034AB;12;;;1.000,00;",
        "HV-2;2031AA;9;;;500,00;",
        "HV-3;2034AB;12;;;900,00;",  # the same household, arrears not grown: a repeat of HV-1
        "HV-4;2011AA;1;;;400,00;",
        chunk=2,
    )
    async with haarlem.acquire() as conn:
        rows = await conn.fetch(
            """
            select s.external_ref, s.repeat_of, first.external_ref as repeats, s.case_id
            from signals s left join signals first on first.id = s.repeat_of
            where s.partner_id = $1 order by s.external_ref
            """,
            partner_id,
        )
        counts = await conn.fetchrow("select rows_accepted, rows_repeat from batches")
    by_ref = {row["external_ref"].split("#")[0]: row for row in rows}
    assert sorted(by_ref) == ["HV-1", "HV-2", "HV-3", "HV-4"]
    assert by_ref["HV-3"]["repeats"].startswith("HV-1#")
    assert by_ref["HV-3"]["case_id"] == by_ref["HV-1"]["case_id"]
    assert [r["external_ref"][:4] for r in rows if r["repeat_of"] is None] == [
        "HV-1",
        "HV-2",
        "HV-4",
    ]
    assert counts is not None
    assert (counts["rows_accepted"], counts["rows_repeat"]) == (3, 1)


async def test_a_lock_cycle_through_another_transaction_resolves_instead_of_hanging(
    haarlem: asyncpg.Pool,
) -> None:
    """Another transaction holds the first chunk's household and then asks for the second
    chunk's, which that chunk (stored beside the first) holds while it waits for the first to
    commit. The database sees no cycle (one wait is in Python): the second chunk gives way,
    the other transaction and the first chunk go on, and the second is stored after."""
    first, second = await _known_households(haarlem, 12, 14)
    partner_id, batch_id = await _received(
        haarlem, "HV-1;2034AB;12;;;1.000,00;", "HV-2;2034AB;14;;;500,00;"
    )
    async with haarlem.acquire() as other, other.transaction():
        await other.execute("select 1 from households where id = $1 for update", first)
        batch = asyncio.ensure_future(process_batch(haarlem, batch_id, chunk=1))
        # Wait until the second chunk, beside the first (which waits for `other`), holds its
        # household: trying it without waiting fails then.
        for _ in range(400):
            try:
                async with other.transaction():  # a savepoint: a lock taken here is let go
                    await other.execute(
                        "select 1 from households where id = $1 for update nowait", second
                    )
                    raise LookupError("not taken yet")
            except asyncpg.LockNotAvailableError:
                break
            except LookupError:
                await asyncio.sleep(0.025)
        else:
            raise AssertionError("the second chunk never ran beside the first")
        assert not batch.done()
        # The cycle: `other` waits for the second chunk, which waits for the first, which
        # waits for `other`.
        await asyncio.wait_for(
            other.execute("select 1 from households where id = $1 for update", second), 30
        )
    assert await asyncio.wait_for(batch, 30)
    async with haarlem.acquire() as conn:
        stored = await conn.fetch(
            "select household_id from signals where partner_id = $1 order by external_ref",
            partner_id,
        )
        status = await conn.fetchrow(
            "select status, rows_accepted from batches where id = $1", batch_id
        )
    assert [row["household_id"] for row in stored] == [first, second]
    assert status is not None
    assert (status["status"], status["rows_accepted"]) == ("done", 2)


async def test_two_batches_starting_together_take_one_spare_between_them(dsn: str) -> None:
    """A pool of four, opened lazily (as the work loop's): two batches' lock holders and one
    spare leave one connection for a third batch. asyncpg's counts leave out connections still
    being opened, by which both batches took a spare."""
    pool = await create_pool(dsn, min_size=1, max_size=4)
    try:
        both_hold_their_locks = asyncio.Barrier(2)
        took: list[bool] = []

        async def batch() -> None:
            async with _lent(pool), pool.acquire():
                await both_hold_their_locks.wait()
                async with _spare_connection(pool) as spare:
                    took.append(spare is not None)
                    await asyncio.sleep(0.2)

        await asyncio.gather(batch(), batch())
        assert sorted(took) == [False, True]
    finally:
        await pool.close()


async def test_a_chunk_finding_the_batch_moved_on_by_another_run_rolls_back(
    haarlem: asyncpg.Pool,
) -> None:
    """A chunk stored on the spare outlives the session holding the batch's locks if that
    session ends; another run may then take the batch over. The chunk's progress line is a
    compare-and-set: finding the batch elsewhere, it commits nothing and this run stops."""
    partner_id, batch_id = await _received(
        haarlem, "HV-1;2034AB;12;;;1.000,00;", "HV-2;2034AB;14;;;500,00;"
    )
    async with haarlem.acquire() as other:
        async with other.transaction():
            await other.execute("select 1 from batches where id = $1 for update", batch_id)
            batch = asyncio.ensure_future(process_batch(haarlem, batch_id, chunk=1))
            for _ in range(400):  # until the first chunk waits for the batch's row
                await other.execute("select pg_stat_clear_snapshot()")  # one per transaction
                waiting = await other.fetchval(
                    "select count(*) from pg_stat_activity where wait_event_type = 'Lock'"
                )
                if waiting:
                    break
                await asyncio.sleep(0.025)
            else:
                raise AssertionError("the first chunk never waited for the batch's row")
            # Another run has stored line 2 meanwhile.
            await other.execute(
                "update batches set rows_done = 2, rows_total = 1 where id = $1",
                batch_id,
            )
        assert await asyncio.wait_for(batch, 30) is False
        row = await other.fetchrow(
            "select status, rows_done, rows_total, rows_accepted from batches where id = $1",
            batch_id,
        )
        signals = await other.fetchval(
            "select count(*) from signals where partner_id = $1", partner_id
        )
    assert row is not None
    assert dict(row) == {
        "status": "pending",
        "rows_done": 2,
        "rows_total": 1,
        "rows_accepted": None,
    }
    assert signals == 0
