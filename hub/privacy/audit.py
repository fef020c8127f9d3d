"""The access log (NEN 7513): every read of personal data is written with who, when, which
household, on whose behalf and why; and a resident's right to know who looked (AVG art. 15):
the log of one household, found by its keyed address digest. Reading that is itself logged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.platform.errors import NotFound
from hub.privacy import store
from hub.privacy.crypto import keyring
from schemas.audit import AccessEntry, HouseholdAccessLog

if TYPE_CHECKING:
    from collections.abc import Sequence
    from uuid import UUID

    import asyncpg

    from hub.platform.connection import Connection
    from schemas.address import Address


async def log_access(
    conn: Connection,
    actor: str,
    action: str,
    purpose: str,
    reads: Sequence[tuple[str, UUID | None]],
    on_behalf_of: str,
) -> None:
    """One line per (subject, household) read, in the caller's transaction: the read and its
    record commit together or not at all."""
    await store.log_access(conn, actor, action, purpose, reads, on_behalf_of)


async def household_access_log(
    pool: asyncpg.Pool, actor: str, address: Address
) -> HouseholdAccessLog:
    digest = keyring().address_digest(address.household_key())
    async with pool.acquire() as conn, conn.transaction():
        household = await store.household_by_digest(conn, digest)
        if household is None:
            raise NotFound("the hub holds no household at that address")
        rows = await store.household_history(conn, household)
        await store.log_access(
            conn,
            actor,
            "read_access_log",
            "resident's request to see who looked",
            [(f"household:{household}", household)],
            "administration",
        )
    return HouseholdAccessLog(entries=[AccessEntry.model_validate(dict(row)) for row in rows])
