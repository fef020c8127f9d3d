"""A resident's right to know who looked (AVG art. 15, NEN 7513): the access log of one
household, found by its keyed address digest. Reading it is itself logged."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hub.crypto import keyring
from hub.errors import NotFound
from hub.store import audit as audit_store
from schemas.audit import AccessEntry, HouseholdAccessLog

if TYPE_CHECKING:
    import asyncpg

    from schemas.address import Address


async def household_access_log(
    pool: asyncpg.Pool, actor: str, address: Address
) -> HouseholdAccessLog:
    digest = keyring().address_digest(address.household_key())
    async with pool.acquire() as conn, conn.transaction():
        household = await conn.fetchval(
            "select id from households where address_digest = $1", digest
        )
        if household is None:
            raise NotFound("the hub holds no household at that address")
        rows = await audit_store.household_history(conn, household)
        await audit_store.log_access(
            conn,
            actor,
            "read_access_log",
            "resident's request to see who looked",
            [(f"household:{household}", household)],
            "administration",
        )
    return HouseholdAccessLog(entries=[AccessEntry.model_validate(dict(row)) for row in rows])
