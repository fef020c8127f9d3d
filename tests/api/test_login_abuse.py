"""Login abuse: a guesser is slowed down and told when to try again; nobody can lock the owner
out; an unknown, a disabled and a real account cost the same; hashing leaves the loop free."""

from __future__ import annotations

import asyncio
import statistics
import time
from datetime import timedelta
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.directory.accounts import Throttled, create_user, login, set_enabled
from hub.directory.models import Session
from hub.directory.throttle import CAP, THRESHOLD, Counter, Gate, wait_after
from schemas.signals import PartnerKind
from tests.support.factories import make_partner
from tests.support.http import hidden

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord"


async def attempt(client: Client, email: str, password: str) -> Any:
    page = await (await client.get("/inloggen")).text()
    return await client.post(
        "/inloggen",
        data={"email": email, "password": password, "csrf_token": hidden(page, "csrf_token")},
        allow_redirects=False,
    )


async def account(pool: asyncpg.Pool, email: str) -> None:
    partner, _ = await make_partner(pool, PartnerKind.GP)
    await create_user(pool, email, PASSWORD, "partner", partner)


def test_each_failure_past_the_threshold_doubles_the_wait() -> None:
    assert wait_after(4, 5) == timedelta(0)
    assert [wait_after(n, 5).total_seconds() for n in (5, 6, 7, 8)] == [1, 2, 4, 8]
    assert wait_after(40, 5) == CAP


async def test_a_guesser_waits_longer_each_time_and_is_told_so(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    await account(haarlem, "b@example.invalid")
    guesses = THRESHOLD[Counter.ACCOUNT_AT_ADDRESS]
    for _ in range(guesses):
        assert (await attempt(client, "b@example.invalid", "raden-raden-raden")).status == 401
    refused = await attempt(client, "b@example.invalid", PASSWORD)  # even the right one: wait
    assert refused.status == 429
    assert int(refused.headers["Retry-After"]) >= 1
    assert "Wacht" in await refused.text()
    await asyncio.sleep(int(refused.headers["Retry-After"]) + 0.1)
    assert (await attempt(client, "b@example.invalid", PASSWORD)).status == 303


async def test_a_guesser_told_to_wait_is_told_again_from_memory(
    haarlem: asyncpg.Pool, dsn: str
) -> None:
    """The web server's gate repeats the database's 'wait' without a connection, so guessers
    cannot hold the pool the rest of the hub is served from; other accounts still ask."""
    await account(haarlem, "g@example.invalid")
    gate = Gate()
    guesses = THRESHOLD[Counter.ACCOUNT_AT_ADDRESS]
    for _ in range(guesses):
        assert await login(haarlem, "g@example.invalid", "fout", "192.0.2.9", gate=gate) is None
    told = await login(haarlem, "g@example.invalid", "fout", "192.0.2.9", gate=gate)
    assert isinstance(told, Throttled)
    closed = await asyncpg.create_pool(dsn, min_size=0, max_size=1)
    await closed.close()  # no database behind it: only memory can answer
    again = await login(closed, " G@example.invalid", PASSWORD, "192.0.2.9", gate=gate)
    assert isinstance(again, Throttled)
    assert 1 <= again.retry_after <= told.retry_after
    with pytest.raises(asyncpg.InterfaceError):  # another account at the address must ask
        await login(closed, "h@example.invalid", PASSWORD, "192.0.2.9", gate=gate)
    assert Gate().retry_after("g@example.invalid", "192.0.2.9") == 0  # memory is per process


async def test_nobody_can_lock_the_owner_out(haarlem: asyncpg.Pool) -> None:
    email = "eigenaar@example.invalid"
    await account(haarlem, email)
    home = "192.0.2.10"  # the owner's own address (addresses are only labels here)
    assert isinstance(await login(haarlem, email, PASSWORD, home), Session)
    # A stranger guesses from many addresses, far past every counter's threshold.
    for guess in range(THRESHOLD[Counter.ACCOUNT] + 5):
        await login(haarlem, email, f"raden {guess}", f"198.51.100.{guess % 50}")
    elsewhere = await login(haarlem, email, PASSWORD, "198.51.100.77")
    assert isinstance(elsewhere, Throttled)  # a new place for this account waits a while
    # ... but the owner at home goes straight in, however long the stranger keeps at it.
    assert isinstance(await login(haarlem, email, PASSWORD, home), Session)


async def _seconds(pool: asyncpg.Pool, email: str, password: str, address: str) -> float:
    started = time.perf_counter()
    result = await login(pool, email, password, address)
    assert result is None  # no session, and no sign of why
    return time.perf_counter() - started


@pytest.mark.slow
@pytest.mark.usefixtures("real_hashing")
async def test_unknown_disabled_and_real_accounts_cost_the_same(haarlem: asyncpg.Pool) -> None:
    await account(haarlem, "echt@example.invalid")
    await account(haarlem, "uit@example.invalid")
    await set_enabled(haarlem, "uit@example.invalid", enabled=False)
    timings: dict[str, list[float]] = {"unknown": [], "disabled": [], "real": []}
    for round_ in range(4):  # below every threshold; a fresh address each round
        for what, email in (
            ("unknown", "niemand@example.invalid"),
            ("disabled", "uit@example.invalid"),
            ("real", "echt@example.invalid"),
        ):
            timings[what].append(
                await _seconds(haarlem, email, "fout-fout-fout", f"{what}{round_}")
            )
    medians = {what: statistics.median(seconds) for what, seconds in timings.items()}
    # Each answer verifies one argon2 hash (~0.1 s); before, a locked account answered in 2 ms
    # and an unknown one in 250 ms. What is left between them is noise of the machine.
    assert max(medians.values()) / min(medians.values()) < 2, medians
    assert min(medians.values()) > 0.02, medians  # the work was done for each


@pytest.mark.slow
@pytest.mark.usefixtures("real_hashing")
async def test_hashing_leaves_the_event_loop_free(haarlem: asyncpg.Pool) -> None:
    await account(haarlem, "c@example.invalid")
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            ticks += 1
            await asyncio.sleep(0.005)

    counting = asyncio.create_task(ticker())
    await asyncio.gather(
        *(login(haarlem, "c@example.invalid", PASSWORD, f"203.0.113.{n}") for n in range(4))
    )
    done.set()
    await counting
    # Four hashes of ~0.1 s each: with argon2 on the loop, the ticker ran between them only.
    assert ticks >= 20, ticks


@pytest.mark.parametrize("password", ["kort", "wachtwoord12", "123456789012", "b@example.invalid"])
async def test_weak_passwords_are_refused(haarlem: asyncpg.Pool, password: str) -> None:
    from hub.platform.errors import InvalidFields

    partner, _ = await make_partner(haarlem)
    with pytest.raises(InvalidFields):
        await create_user(haarlem, "b@example.invalid", password, "partner", partner)
