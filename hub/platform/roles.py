"""The hub's database roles: the schema's owner migrates, the hub serves as a role that owns
nothing and may only add to the audit trail (`hub.platform.store.roles` holds the SQL)."""

from __future__ import annotations

from hub.platform.connection import Connection
from hub.platform.store import roles as store
from hub.platform.store.schema import ensure_database

__all__ = ["current_role", "ensure_database", "ensure_role", "grant", "setup_sql"]

setup_sql = store.setup_sql


async def current_role(conn: Connection) -> str:
    return await store.current_role(conn)


async def ensure_role(conn: Connection, name: str) -> None:
    await store.ensure_role(conn, name)


async def grant(conn: Connection, app_role: str) -> None:
    """Give `app_role` its rights on every table there is now; run as the owner."""
    await store.grant(conn, app_role)
