"""What the hub's own database role may do: the SQL that sets it up, and applying it.

The schema belongs to an owner role that runs the migrations; the hub serves as another role
that owns nothing. It reads and writes the working tables, but the audit trail it can only add
to: `access_log` and `retention_runs` take inserts and selects, `events` takes updates only
through the guard that lets a sealed note be re-encrypted or removed (migration 0010), and no
table can be truncated, altered or dropped by it.
"""

from __future__ import annotations

import re

from hub.platform.connection import Connection

ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")
# Tables the hub may only add to and read; every other table it may also change and delete from.
APPEND_ONLY = ("access_log", "retention_runs")
GUARDED = ("events",)  # updates pass a trigger that allows only the sealed note to change
READ_ONLY = ("schema_migrations",)


def _role(name: str) -> str:
    if not ROLE_NAME.fullmatch(name):
        raise ValueError(
            f"{name!r} is not a role name the hub uses: lower-case letters, digits and _"
        )
    return f'"{name}"'


def grants_sql(app_role: str) -> str:
    """Grant `app_role` exactly its rights on every table there is now (run by the owner after
    each migration; idempotent)."""
    role = _role(app_role)
    statements = [
        f"revoke all on all tables in schema public from {role}",
        f"revoke all on all sequences in schema public from {role}",
        f"grant usage on schema public to {role}",
        f"grant select, insert, update, delete on all tables in schema public to {role}",
        f"grant usage, select on all sequences in schema public to {role}",
        *(f"revoke update, delete on {table} from {role}" for table in APPEND_ONLY),
        *(f"revoke delete on {table} from {role}" for table in GUARDED),
        *(f"revoke insert, update, delete on {table} from {role}" for table in READ_ONLY),
    ]
    return ";\n".join(statements) + ";\n"


def setup_sql(owner_role: str, app_role: str, database: str) -> str:
    """The SQL an administrator runs once, as a superuser, to give the hub its two roles."""
    owner, app = _role(owner_role), _role(app_role)
    if owner == app:
        raise ValueError("the owner and the hub's role must differ")
    if not ROLE_NAME.fullmatch(database.replace("-", "_")):
        raise ValueError(f"{database!r} is not a database name this command writes SQL for")
    name = f'"{database}"'
    return (
        "-- Run once as a superuser; choose the passwords (\\password in psql) afterwards.\n"
        f"create role {owner} login;\n"
        f"create role {app} login;\n"
        f"create database {name} owner {owner};\n"
        f"revoke all on database {name} from public;\n"
        f"grant connect, temporary on database {name} to {owner}, {app};\n"
        f"\\connect {name}\n"
        f"revoke create on schema public from public;\n"
        f"alter schema public owner to {owner};\n"
        "-- The hub then migrates as the owner and grants its role what it may do, each time:\n"
        f"--   HUB_MIGRATION_URL=postgresql://{owner_role}@host/{database}\n"
        f"--   DATABASE_URL=postgresql://{app_role}@host/{database}\n"
        "-- What the owner grants (for reference; `hub migrate` does it):\n"
        + "\n".join(f"--   {line}" for line in grants_sql(app_role).splitlines())
        + "\n"
    )


async def grant(conn: Connection, app_role: str) -> None:
    await conn.execute(grants_sql(app_role))


async def current_role(conn: Connection) -> str:
    role: str = await conn.fetchval("select current_user")
    return role


async def ensure_role(conn: Connection, name: str) -> None:
    """Create a login role `name` unless there is one (for the embedded server, trust auth)."""
    exists = await conn.fetchval("select true from pg_roles where rolname = $1", name)
    if not exists:
        await conn.execute(f"create role {_role(name)} login")
