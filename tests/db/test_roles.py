"""The hub serves as a role that owns nothing: it cannot empty, rewrite or drop the audit trail,
and yet everything it does works (the whole path of a signal, as the app, on that role)."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from hub.app import create_app
from hub.platform.config import Settings
from hub.platform.db import with_user
from hub.platform.roles import grant
from schemas.signals import PartnerKind
from tests.support.factories import TEST_KEYRING, make_partner, make_signal, make_user
from tests.support.http import act, bearer, post

APP_ROLE = "signal_hub_test_app"


@pytest.fixture
async def app_dsn(haarlem: asyncpg.Pool, dsn: str) -> str:
    """The test database, reached as a login role the owner has granted the hub's rights."""
    password = secrets.token_urlsafe(16)
    async with haarlem.acquire() as conn:
        if await conn.fetchval("select true from pg_roles where rolname = $1", APP_ROLE):
            await conn.execute(f"alter role {APP_ROLE} login password '{password}'")
        else:
            await conn.execute(f"create role {APP_ROLE} login password '{password}'")
        await grant(conn, APP_ROLE)
    return with_user(dsn, APP_ROLE, password)


@pytest.fixture
async def as_app(app_dsn: str) -> AsyncIterator[asyncpg.Connection]:
    conn = await asyncpg.connect(app_dsn)
    yield conn
    await conn.close()


@pytest.mark.parametrize(
    "statement",
    [
        "truncate access_log",
        "delete from access_log",
        "update access_log set purpose = 'x'",
        "truncate events",
        "delete from events",
        "truncate retention_runs",
        "delete from retention_runs",
        "truncate signals",
        "drop table access_log",
        "alter table access_log disable trigger all",
        "alter table events disable trigger events_append_only",
        "insert into schema_migrations (version, name) values (9999, 'x')",
        "create table mine (id int)",
    ],
)
async def test_the_hubs_role_cannot_touch_the_audit_trail(
    as_app: asyncpg.Connection, statement: str
) -> None:
    with pytest.raises(asyncpg.InsufficientPrivilegeError):
        await as_app.execute(statement)


async def test_the_hubs_role_adds_to_and_reads_the_audit_trail(
    as_app: asyncpg.Connection,
) -> None:
    await as_app.execute(
        "insert into access_log (actor, action, subject, purpose) values ('a', 'b', 'c', 'd')"
    )
    assert await as_app.fetchval("select count(*) from access_log") >= 1
    owner = await as_app.fetchval("select tableowner from pg_tables where tablename = 'access_log'")
    assert owner != APP_ROLE


async def test_the_hub_works_as_its_own_role(
    haarlem: asyncpg.Pool, dsn: str, app_dsn: str, tmp_path: Path
) -> None:
    """The app on the restricted role, migrating as the owner: intake, a case worked on, the
    access log read by the team; the owner's grants cover all of it."""
    settings = Settings(
        data_dir=tmp_path,
        scheduler=False,
        keys=SecretStr(TEST_KEYRING.to_json()),
        migration_url=SecretStr(dsn),
    )
    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, lead = await make_user(haarlem, "lead", "SWT-HLM-WEST")
    client: TestClient[Any, Any]
    async with TestClient(TestServer(create_app(settings, app_dsn))) as client:
        sent = await post(
            client, token, make_signal(address={"postcode": "2015GB", "house_number": 7})
        )
        assert sent.status == 202, await sent.text()
        cases = await (await client.get("/api/v1/cases", headers=bearer(lead))).json()
        (case,) = cases["items"]
        await act(client, lead, case["id"], action="take")
        read = await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(lead))
        assert read.status == 200
    async with haarlem.acquire() as conn:
        logged = await conn.fetchval("select count(*) from access_log")
    assert logged >= 1
