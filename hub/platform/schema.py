"""Numbered SQL migrations (`hub/platform/migrations/NNNN_name.sql`), applied in order, each in
its own transaction, under an advisory lock so that several hub instances may start at once."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from importlib import resources

from hub.platform.connection import Connection
from hub.platform.db import Database, connected
from hub.platform.locks import advisory_lock
from hub.platform.store import schema as store

log = logging.getLogger(__name__)

# Any fixed 64-bit number, the same for every hub process: only one may migrate at a time.
MIGRATION_LOCK = 0x5167_6E61_6C48_7562


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def label(self) -> str:
        return f"{self.version:04d}_{self.name}"


def migrations() -> list[Migration]:
    """The numbered `.sql` files shipped with the hub, in order."""
    found = []
    for entry in resources.files("hub.platform").joinpath("migrations").iterdir():
        match = re.fullmatch(r"(\d{4})_(\w+)\.sql", entry.name)
        if match:
            found.append(Migration(int(match.group(1)), match.group(2), entry.read_text("utf-8")))
    return sorted(found, key=lambda migration: migration.version)


async def migrate(conn: Connection) -> list[Migration]:
    """Apply the migrations not yet applied; returns those applied now. With none pending it
    only reads (the hub's own role may not create the bookkeeping table)."""
    done = await store.applied_versions(conn)
    if all(migration.version in done for migration in migrations()):
        return []
    async with advisory_lock(conn, MIGRATION_LOCK):
        await store.ensure_bookkeeping(conn)
        done = await store.applied_versions(conn)
        applied = []
        for migration in migrations():
            if migration.version in done:
                continue
            async with conn.transaction():
                await store.apply(conn, migration.version, migration.name, migration.sql)
            log.info("applied migration %s", migration.label)
            applied.append(migration)
        return applied


async def pending_migrations(db: Database) -> list[Migration]:
    async with connected(db) as conn:
        done = await store.applied_versions(conn)
    return [migration for migration in migrations() if migration.version not in done]
