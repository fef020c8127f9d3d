"""A database for a benchmark, as the demo has it: migrated, the demo teams and routing table,
one partner; personal data sealed with a fresh keyring, as in the hub."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import asyncpg

from hub.demo import load_teams
from hub.demo.data import shipped_data
from hub.directory.models import Partner
from hub.directory.store.partners import add_partner
from hub.intake.service import store_signals
from hub.platform.db import create_pool, with_database
from hub.platform.schema import migrate
from hub.platform.store.schema import ensure_database
from hub.privacy.crypto import Keyring, new_keyring, use_keyring
from hub.routing.service import import_routing_table
from schemas.signals import PartnerKind, SignalIn


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


async def seed_history(pool: asyncpg.Pool, partner: Partner, signals: int) -> None:
    """Two years of earlier signals, as a hub in use has them, with statistics up to date.

    A benchmark that starts on empty tables measures a state no installation stays in for long:
    the planner's statistics of a near-empty table send look-ups through the wrong indexes until
    autovacuum analyses it. Households recur (about one in four signals is about a household seen
    before); cases older than two months are closed, as teams close them.
    """
    now = datetime.now(UTC)
    step = timedelta(days=730) / max(signals, 1)
    chunk = 1000
    households = signals * 3 // 4 + 1
    for start in range(0, signals, chunk):
        batch = [
            SignalIn.model_validate(
                {
                    "external_ref": f"HIST-{i}",
                    "kind": "care_concern",
                    "urgency": "high" if i % 10 == 0 else "normal",
                    "address": {"postcode": "2011AB", "house_number": (i * 7919) % households + 1},
                    "resident_informed": {"informed": True},
                    "description": "Eerder signaal.",
                }
            )
            for i in range(start, min(start + chunk, signals))
        ]
        async with pool.acquire() as conn, conn.transaction():
            await store_signals(
                conn, partner, batch, received_at=now - timedelta(days=730) + step * start
            )
    async with pool.acquire() as conn:
        await conn.execute(
            """
            update cases set status = 'closed', outcome = 'help_started', closed_at = now()
            where opened_at < now() - interval '60 days'
            """
        )
        await conn.execute("analyze")
