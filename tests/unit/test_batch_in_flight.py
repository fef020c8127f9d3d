"""How a batch schedules its chunks' transactions: at most two at once, the second only about
other households than the first, each committing after the one before, and a chunk that
gave way stored again, in order. (The database side: tests/db/test_batch_chunks_beside.py.)"""

from __future__ import annotations

import asyncio
from typing import cast

import pytest

from hub.intake.batches import _GaveWay, _InFlight
from hub.platform.connection import Connection

FIRST, SPARE = cast(Connection, object()), cast(Connection, object())


class Chunk:
    """A chunk's storing that is held open until let go, recording what happened when."""

    def __init__(self, name: str, log: list[str], *, give_way_once: bool = False) -> None:
        self.name, self.log = name, log
        self.release = asyncio.Event()
        self.give_way_once = give_way_once
        self.conns: list[Connection] = []

    async def __call__(self, conn: Connection, after: asyncio.Future[None] | None) -> None:
        self.conns.append(conn)
        self.log.append(f"start {self.name}")
        await self.release.wait()
        if after is not None:
            await after
        if self.give_way_once:
            self.give_way_once = False
            self.log.append(f"gave way {self.name}")
            raise _GaveWay
        self.log.append(f"commit {self.name}")


async def test_a_chunk_about_other_households_starts_beside_the_one_in_flight() -> None:
    log: list[str] = []
    flight = _InFlight(FIRST, SPARE)
    one, two = Chunk("one", log), Chunk("two", log)
    await flight.store(frozenset({b"a"}), one)
    await flight.store(frozenset({b"b"}), two)
    await asyncio.sleep(0)
    assert log == ["start one", "start two"]
    assert (one.conns, two.conns) == ([FIRST], [SPARE])
    two.release.set()  # ready first, it still commits after `one`
    await asyncio.sleep(0.01)
    assert log == ["start one", "start two"]
    one.release.set()
    await flight.land()
    assert log == ["start one", "start two", "commit one", "commit two"]


async def stored_one_after_the_other(
    flight: _InFlight, first: set[bytes], second: set[bytes]
) -> Chunk:
    """Store two chunks; the second must not start until the first has committed. Returns
    the second."""
    log: list[str] = []
    one, two = Chunk("one", log), Chunk("two", log)
    await flight.store(frozenset(first), one)
    storing_two = asyncio.ensure_future(flight.store(frozenset(second), two))
    await asyncio.sleep(0.01)
    assert log == ["start one"]
    assert not storing_two.done()
    one.release.set()
    await storing_two
    two.release.set()
    await flight.land()
    assert log == ["start one", "commit one", "start two", "commit two"]
    return two


async def test_a_chunk_about_a_household_in_flight_waits_for_it() -> None:
    two = await stored_one_after_the_other(_InFlight(FIRST, SPARE), {b"a", b"b"}, {b"b", b"c"})
    assert two.conns == [FIRST]  # the connection the first had is free again


async def test_without_a_spare_connection_chunks_are_stored_one_at_a_time() -> None:
    await stored_one_after_the_other(_InFlight(FIRST, None), {b"a"}, {b"b"})


async def test_a_chunk_that_gave_way_is_stored_again_before_the_next_commits() -> None:
    log: list[str] = []
    flight = _InFlight(FIRST, SPARE)
    one = Chunk("one", log)
    two = Chunk("two", log, give_way_once=True)
    three = Chunk("three", log)
    for chunk, households in ((one, {b"a"}), (two, {b"b"}), (three, {b"c"})):
        chunk.release.set()
        await flight.store(frozenset(households), chunk)
    await flight.land()
    assert log.index("gave way two") < log.index("commit two") < log.index("commit three")
    assert log.count("commit two") == 1
    assert [entry for entry in log if entry.startswith("commit")] == [
        "commit one",
        "commit two",
        "commit three",
    ]


async def test_a_failure_rolls_back_the_chunk_beside_it() -> None:
    log: list[str] = []
    flight = _InFlight(FIRST, SPARE)

    async def failing(conn: Connection, after: asyncio.Future[None] | None) -> None:
        await asyncio.sleep(0.01)
        raise RuntimeError("the database went away")

    two = Chunk("two", log)
    two.release.set()
    await flight.store(frozenset({b"a"}), failing)
    await flight.store(frozenset({b"b"}), two)
    with pytest.raises(RuntimeError, match="went away"):
        await flight.land()
    await flight.abandon()
    assert "commit two" not in log


async def test_one_chunk_giving_way_does_not_make_the_ones_after_it_give_way() -> None:
    """Each chunk waits for the one before to commit, whichever attempt does: before, a chunk
    waited for the first attempt, so every chunk after one that gave way gave way too (and was
    stored twice) to the end of the batch."""
    log: list[str] = []
    flight = _InFlight(FIRST, SPARE)
    chunks = [Chunk(f"c{n}", log, give_way_once=n == 2) for n in range(1, 8)]
    for n, chunk in enumerate(chunks):
        chunk.release.set()
        await flight.store(frozenset({bytes([n])}), chunk)
    await flight.land()
    assert [entry for entry in log if entry.startswith("gave way")] == ["gave way c2"]
    starts = [entry for entry in log if entry.startswith("start")]
    assert sorted(starts) == sorted([*(f"start c{n}" for n in range(1, 8)), "start c2"])
    assert [entry for entry in log if entry.startswith("commit")] == [
        f"commit c{n}" for n in range(1, 8)
    ]
