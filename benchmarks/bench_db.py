"""A database for a benchmark, as the demo has it: migrated, the demo teams and routing table,
one partner; personal data sealed with a fresh keyring, as in the hub."""

from __future__ import annotations

import uuid

import asyncpg

from hub.admin import import_routing_table
from hub.crypto import Keyring, new_keyring, use_keyring
from hub.db import create_pool, ensure_database, migrate, with_database
from hub.demo import load_teams, shipped_data
from hub.store.partners import Partner, add_partner
from schemas.signals import PartnerKind


async def demo_database(
    server: str, partner_name: str, kind: PartnerKind, *, pool_size: int = 4
) -> tuple[str, asyncpg.Pool, Partner, Keyring]:
    """A new database on `server`: its name, an open pool, the partner and the keyring in use."""
    name = f"bench_{uuid.uuid4().hex[:8]}"
    await ensure_database(server, name)
    keyring = new_keyring()
    use_keyring(keyring)
    pool = await create_pool(with_database(server, name), min_size=1, max_size=pool_size)
    async with pool.acquire() as conn:
        await migrate(conn)
    await load_teams(pool)
    await import_routing_table(pool, shipped_data("routing_demo.csv"), partial=False)
    async with pool.acquire() as conn:
        partner = await add_partner(conn, partner_name, kind)
    return name, pool, partner, keyring
