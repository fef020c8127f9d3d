"""Real PostgreSQL for every database test.

One server per session: `HUB_TEST_DATABASE_URL` (a server where we may create databases) if set,
else an embedded one from `pgserver` in a temporary directory. A template database is migrated
once; every test that writes gets its own database cloned from it, so tests can use a pool
concurrently, as production does.
"""

from __future__ import annotations

import asyncio
import copy
import os
import socket
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from hub.admin import import_routing_table
from hub.app import create_app
from hub.config import Settings
from hub.crypto import new_keyring, use_keyring
from hub.db import create_pool, embedded_postgres, migrate, with_database
from hub.demo import load_teams, shipped_data
from hub.store.partners import Partner, add_partner, issue_token
from schemas.signals import PartnerKind, SignalIn

TEMPLATE = f"hub_template_{os.getpid()}"
# One keyring for the whole run: the test process and every hub it starts seal with it.
TEST_KEYRING = new_keyring()
use_keyring(TEST_KEYRING)


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A DSN of a PostgreSQL server (its maintenance database)."""
    url = os.environ.get("HUB_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_postgres(tmp_path_factory.mktemp("pg")) as dsn:
        yield dsn


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(pg_server: str) -> Iterator[str]:
    async def build() -> None:
        await _admin(pg_server, f'drop database if exists "{TEMPLATE}"')
        await _admin(pg_server, f'create database "{TEMPLATE}"')
        conn = await asyncpg.connect(with_database(pg_server, TEMPLATE))
        try:
            await migrate(conn)
        finally:
            await conn.close()

    asyncio.run(build())
    yield TEMPLATE
    asyncio.run(_admin(pg_server, f'drop database if exists "{TEMPLATE}" with (force)'))


def new_database(pg_server: str, template: str | None) -> str:
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    clause = f' template "{template}"' if template else ""
    asyncio.run(_admin(pg_server, f'create database "{name}"{clause}'))
    return name


@pytest.fixture
def empty_dsn(pg_server: str) -> Iterator[str]:
    """A database with nothing in it, not even migrations."""
    name = new_database(pg_server, None)
    yield with_database(pg_server, name)
    asyncio.run(_admin(pg_server, f'drop database if exists "{name}" with (force)'))


@pytest.fixture
def dsn(pg_server: str, template_db: str) -> Iterator[str]:
    """A migrated database of this test's own."""
    name = new_database(pg_server, template_db)
    yield with_database(pg_server, name)
    asyncio.run(_admin(pg_server, f'drop database if exists "{name}" with (force)'))


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, min_size=1, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
async def haarlem(pool: asyncpg.Pool) -> asyncpg.Pool:
    """The pool, with the demo teams and routing table loaded."""
    await load_teams(pool)
    report, applied = await import_routing_table(
        pool, shipped_data("routing_demo.csv"), partial=False
    )
    assert applied, report.refused
    return pool


async def make_partner(
    pool: asyncpg.Pool, kind: PartnerKind = PartnerKind.GP, name: str | None = None
) -> tuple[Partner, str]:
    """A partner and its token."""
    async with pool.acquire() as conn:
        partner = await add_partner(conn, name or f"{kind.value} {uuid.uuid4().hex[:6]}", kind)
        return partner, await issue_token(conn, "partner", partner)


async def make_admin_token(pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn:
        return await issue_token(conn, "admin")


def make_signal(**overrides: Any) -> dict[str, Any]:
    """The documented example signal with a fresh `external_ref`; pass fields to change."""
    examples = SignalIn.model_json_schema()["examples"]
    body: dict[str, Any] = copy.deepcopy(examples[0])
    body["external_ref"] = f"REF-{uuid.uuid4().hex[:10]}"
    body.update(overrides)
    return body


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings for an app under test: its own data directory, no scheduled jobs."""
    return Settings(
        data_dir=tmp_path / "hub-data", scheduler=False, keys=SecretStr(TEST_KEYRING.to_json())
    )


@pytest.fixture
async def client(
    haarlem: asyncpg.Pool, dsn: str, settings: Settings
) -> AsyncIterator[TestClient[Any, Any]]:
    """An HTTP client of the hub's app on the test database (demo teams and routing loaded)."""
    app = create_app(settings, dsn)
    async with TestClient(TestServer(app)) as test_client:
        yield test_client


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


async def make_user(
    pool: asyncpg.Pool, role: str, team_code: str | None = None, password: str = "wachtwoord-123"
) -> tuple[Any, str]:
    """A person with a role (and team for members and leads), and a personal API token."""
    from hub.accounts import create_user
    from hub.store.teams import team_by_code

    team_id = None
    async with pool.acquire() as conn:
        if team_code:
            team = await team_by_code(conn, team_code)
            assert team is not None
            team_id = team.id
    user = await create_user(
        pool, f"{role}-{uuid.uuid4().hex[:6]}@example.invalid", password, role, None, team_id
    )
    async with pool.acquire() as conn:
        token = await issue_token(conn, "user", user_id=user.id)
    return user, token
