"""Real PostgreSQL for every database test.

One server per session: `HUB_TEST_DATABASE_URL` (a server where we may create databases) if set,
else an embedded one from `pgserver` in a temporary directory. A template database is migrated
once; every test that writes gets its own database cloned from it, so tests can use a pool
concurrently, as production does.
"""

from __future__ import annotations

import asyncio
import atexit
import functools
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from pydantic import SecretStr

from hub.app import create_app
from hub.demo import load_teams
from hub.demo.data import shipped_data
from hub.directory.passwords import use_hasher
from hub.platform.config import Settings
from hub.platform.db import create_pool, embedded_postgres, with_database
from hub.platform.schema import migrate
from hub.privacy.crypto import use_keyring
from hub.routing.service import import_routing_table
from tests.support.factories import TEST_KEYRING

TEMPLATE = f"hub_template_{os.getpid()}"
HAARLEM_TEMPLATE = f"hub_haarlem_{os.getpid()}"
use_keyring(TEST_KEYRING)
# argon2 at its real cost is ~0.1 s of CPU per hash; the suite hashes thousands of passwords.
# Tests in processes of their own (e2e) keep the real cost.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
use_hasher(CHEAP_HASHER)


@pytest.fixture
def real_hashing() -> Iterator[None]:
    """argon2 at the hub's own cost, for tests of what that cost does."""
    use_hasher(PasswordHasher())
    yield
    use_hasher(CHEAP_HASHER)


# Folders whose tests carry a marker of their own, so that `pytest -m "not browser and not e2e
# and not slow"` runs the fast part.
_MARKED_FOLDERS = {"browser": "browser", "e2e": "e2e"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        folder = Path(str(item.path)).parent.name
        if folder in _MARKED_FOLDERS:
            item.add_marker(_MARKED_FOLDERS[folder])


def _scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the throwaway test server keeps its files: in memory (/dev/shm) where the machine
    has it, so that its many small databases never wait on a disk; else a temporary folder."""
    shm = Path("/dev/shm")  # noqa: S108 - a private folder made by mkdtemp (mode 0700)
    if shm.is_dir() and os.access(shm, os.W_OK):
        folder = Path(tempfile.mkdtemp(prefix="hub-tests-pg-", dir=shm))
        atexit.register(shutil.rmtree, folder, ignore_errors=True)
        return folder
    return tmp_path_factory.mktemp("pg")


@pytest.fixture(scope="session")
def pg_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A DSN of a PostgreSQL server (its maintenance database)."""
    url = os.environ.get("HUB_TEST_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_postgres(_scratch(tmp_path_factory)) as dsn:
        # A throwaway server: nothing needs to survive a power cut, so no fsync. Creating a
        # test's database then takes 0.05 s instead of 0.5 s.
        asyncio.run(_admin(dsn, "alter system set fsync = off"))
        asyncio.run(_admin(dsn, "select pg_reload_conf()"))
        yield dsn


async def _admin(server: str, sql: str) -> None:
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


@pytest.fixture(scope="session")
def template_db(pg_server: str) -> Iterator[str]:
    """A migrated database that each test's own is cloned from."""

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


@pytest.fixture(scope="session")
def haarlem_template(pg_server: str, template_db: str) -> Iterator[str]:
    """The migrated template with the demo teams and routing table loaded, as the hub's own
    services load them."""

    async def build() -> None:
        await _admin(pg_server, f'drop database if exists "{HAARLEM_TEMPLATE}"')
        await _admin(pg_server, f'create database "{HAARLEM_TEMPLATE}" template "{template_db}"')
        pool = await create_pool(with_database(pg_server, HAARLEM_TEMPLATE), min_size=1)
        try:
            await load_teams(pool)
            report, applied = await import_routing_table(
                pool, shipped_data("routing_demo.csv"), partial=False
            )
            assert applied, report.refused
        finally:
            await pool.close()

    asyncio.run(build())
    yield HAARLEM_TEMPLATE
    asyncio.run(_admin(pg_server, f'drop database if exists "{HAARLEM_TEMPLATE}" with (force)'))


@functools.cache
def _copies_files(pg_server: str) -> bool:
    """Whether the server can clone a template by copying its files (PostgreSQL 15 and newer).
    For small templates that is several times faster than writing the copy to the WAL."""

    async def version() -> int:
        conn = await asyncpg.connect(pg_server)
        try:
            return int(await conn.fetchval("show server_version_num"))
        finally:
            await conn.close()

    return asyncio.run(version()) >= 150000


def new_database(pg_server: str, template: str | None) -> str:
    name = f"hub_test_{uuid.uuid4().hex[:12]}"
    clause = ""
    if template:
        clause = f' template "{template}"' + (
            " strategy file_copy" if _copies_files(pg_server) else ""
        )
    asyncio.run(_admin(pg_server, f'create database "{name}"{clause}'))
    return name


@pytest.fixture
def empty_dsn(pg_server: str) -> Iterator[str]:
    """A database with nothing in it, not even migrations."""
    name = new_database(pg_server, None)
    yield with_database(pg_server, name)
    asyncio.run(_admin(pg_server, f'drop database if exists "{name}" with (force)'))


@pytest.fixture
def dsn(pg_server: str, template_db: str, request: pytest.FixtureRequest) -> Iterator[str]:
    """A migrated database of this test's own; with the demo teams and routing table loaded
    when the test asks for `haarlem` (directly or through `client`)."""
    haarlem = "haarlem" in request.fixturenames
    name = new_database(
        pg_server, request.getfixturevalue("haarlem_template") if haarlem else template_db
    )
    yield with_database(pg_server, name)
    asyncio.run(_admin(pg_server, f'drop database if exists "{name}" with (force)'))


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    pool = await create_pool(dsn, min_size=1, max_size=10)
    yield pool
    await pool.close()


@pytest.fixture
async def haarlem(pool: asyncpg.Pool) -> asyncpg.Pool:
    """The pool, on a database with the demo teams and routing table loaded (see `dsn`)."""
    return pool


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
