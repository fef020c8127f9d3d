"""Login throttling that slows a guesser and never locks the owner out.

Every attempt is counted, before its password is checked, on three counters:

- the client address (`address`): a guesser trying many accounts from one place;
- the account at that address (`account_at_address`): a guesser trying one account;
- the account (`account`): a guesser trying one account from many places. This one does not
  hold back an address the account has logged in from before, so a stranger cannot keep the
  owner out, however many addresses the stranger has.

Below a counter's threshold nothing waits; from it on, each failure makes the next attempt wait
twice as long (1 s, 2 s, 4 s, ... at most a quarter of an hour), and a counter not touched for an
hour starts over. A right password forgives its account's counters and takes its own attempt
back from the address's. Counters are keyed by keyed digests of what they count, and the answer
is the same whether or not the e-mail address has an account.

The database holds the counters, for every instance of the hub. In front of it each process
keeps a `Gate`: a guesser already told to wait is told again from memory, and only a few
logins at a time take a database connection, so a crowd of guessers never holds the pool that
the rest of the hub is served from.
"""

from __future__ import annotations

import asyncio
import math
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING

from hub.directory.store import throttle as store
from hub.privacy.crypto import keyring

if TYPE_CHECKING:
    import asyncpg

    from hub.platform.connection import Connection

WINDOW = timedelta(hours=1)
CAP = timedelta(minutes=15)


class Counter(StrEnum):
    ADDRESS = "address"
    ACCOUNT_AT_ADDRESS = "account_at_address"
    ACCOUNT = "account"


THRESHOLD = {Counter.ADDRESS: 10, Counter.ACCOUNT_AT_ADDRESS: 5, Counter.ACCOUNT: 20}
AT_ONCE = 4  # logins that may hold a database connection (or wait for argon2) at the same time
REMEMBERED = 10_000  # waits a process keeps in memory before it drops the ones that are over


@dataclass(frozen=True)
class Attempt:
    """One login attempt's counters (keyed digests), and whether it must wait."""

    keys: dict[Counter, bytes]
    retry_after: int  # seconds; 0: it may go ahead (and has been counted)

    @property
    def throttled(self) -> bool:
        return self.retry_after > 0


def counter_keys(email: str, address: str) -> dict[Counter, bytes]:
    who = email.strip().lower()
    ring = keyring()
    return {
        Counter.ADDRESS: ring.digest(address, "login.address"),
        Counter.ACCOUNT_AT_ADDRESS: ring.digest(f"{who}|{address}", "login.account_at_address"),
        Counter.ACCOUNT: ring.digest(who, "login.account"),
    }


def address_key(address: str) -> bytes:
    """How an account remembers an address it logged in from."""
    return keyring().digest(address, "login.known_address")


async def begin(
    conn: Connection, email: str, address: str, known_here: bool, now: datetime
) -> Attempt:
    """Count an attempt (in the caller's transaction), unless a counter says wait: then it is
    not counted, and `retry_after` says for how long. `known_here`: the account has logged in
    from this address before (its own counter then does not hold it back)."""
    keys = counter_keys(email, address)
    found = {row["key"]: row for row in await store.lock_counters(conn, list(keys.values()))}
    waits = []
    for counter, key in keys.items():
        row = found.get(key)
        if row is None or (counter is Counter.ACCOUNT and known_here):
            continue
        if row["blocked_until"] is not None and row["blocked_until"] > now:
            waits.append((row["blocked_until"] - now).total_seconds())
    if waits:
        return Attempt(keys, max(1, math.ceil(max(waits))))
    failures = []
    for key in keys.values():
        row = found.get(key)
        fresh = row is None or now - row["last_at"] > WINDOW
        failures.append(1 if fresh else row["failures"] + 1)  # type: ignore[index]
    blocked = [
        now + wait if (wait := wait_after(count, THRESHOLD[counter])) else None
        for counter, count in zip(keys, failures, strict=True)
    ]
    await store.count_failures(conn, list(keys.values()), failures, blocked, now)
    return Attempt(keys, 0)


async def succeeded(conn: Connection, attempt: Attempt) -> None:
    """A right password: the account's counters are forgiven, the address's attempt taken back."""
    await store.forgive(
        conn, [attempt.keys[Counter.ACCOUNT_AT_ADDRESS], attempt.keys[Counter.ACCOUNT]]
    )
    await store.take_back_one(conn, attempt.keys[Counter.ADDRESS])


async def forget_old_counters(pool: asyncpg.Pool, now: datetime) -> int:
    """Drop counters untouched for longer than the window: they count as zero anyway."""
    async with pool.acquire() as conn:
        return await store.forget_old(conn, now - WINDOW)


class Gate:
    """Per process, in front of the database's counters: at most `at_once` logins proceed at a
    time (the others wait here, holding nothing), and an account at an address that the
    database said must wait is answered from memory until then. The database stays the
    authority: memory only ever repeats what it said."""

    def __init__(self, at_once: int = AT_ONCE) -> None:
        self.slots = asyncio.Semaphore(at_once)
        self._until: dict[bytes, float] = {}

    def retry_after(self, email: str, address: str) -> int:
        """Seconds this account at this address is still known to have to wait (0: ask)."""
        key = counter_keys(email, address)[Counter.ACCOUNT_AT_ADDRESS]
        until = self._until.get(key)
        if until is None:
            return 0
        left = until - time.monotonic()
        if left <= 0:
            del self._until[key]
            return 0
        return math.ceil(left)

    def remember(self, email: str, address: str, retry_after: int) -> None:
        if len(self._until) >= REMEMBERED:
            now = time.monotonic()
            self._until = {key: until for key, until in self._until.items() if until > now}
            if len(self._until) >= REMEMBERED:
                self._until.clear()
        key = counter_keys(email, address)[Counter.ACCOUNT_AT_ADDRESS]
        self._until[key] = time.monotonic() + retry_after


def wait_after(failures: int, threshold: int) -> timedelta:
    """How long the next attempt waits after `failures` failed ones on a counter. Pure."""
    if failures < threshold:
        return timedelta(0)
    return min(CAP, timedelta(seconds=2 ** min(failures - threshold, 20)))
