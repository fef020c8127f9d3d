"""Accounts and tokens an administrator can manage: disable and enable, a new password, a second
factor, tokens that expire and can be listed and revoked, sessions that end."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import asyncpg
import pyotp
from aiohttp.test_utils import TestClient

from hub.directory import tokens
from hub.directory.accounts import (
    create_user,
    login,
    set_enabled,
    set_password,
    set_second_factor,
)
from hub.directory.models import Session, TokenKind
from hub.directory.service import revoke_partner
from schemas.signals import PartnerKind
from tests.support.factories import make_partner, make_user, signed_in
from tests.support.http import bearer

Client = TestClient[Any, Any]
PASSWORD = "een lang wachtwoord"


async def page_status(client: Client, session: Session, path: str = "/inbox") -> int:
    client.session.cookie_jar.clear()
    client.session.cookie_jar.update_cookies({"hub_session": session.token})
    return (await client.get(path, allow_redirects=False)).status


async def test_a_disabled_user_is_out_at_once_and_back_when_enabled(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    member, token = await make_user(haarlem, "member", "SWT-HLM-OOST", password=PASSWORD)
    session = await signed_in(haarlem, member.email, PASSWORD)
    assert await page_status(client, session) == 200
    await set_enabled(haarlem, member.email, enabled=False)
    assert await page_status(client, session) == 303  # the session is gone: to the login page
    assert await login(haarlem, member.email, PASSWORD, "127.0.0.1") is None
    client.session.cookie_jar.clear()
    assert (await client.get("/api/v1/cases", headers=bearer(token))).status == 401
    await set_enabled(haarlem, member.email, enabled=True)
    assert isinstance(await login(haarlem, member.email, PASSWORD, "127.0.0.1"), Session)


async def test_a_new_password_ends_every_session(client: Client, haarlem: asyncpg.Pool) -> None:
    member, _ = await make_user(haarlem, "member", "SWT-HLM-OOST", password=PASSWORD)
    session = await signed_in(haarlem, member.email, PASSWORD)
    assert await set_password(haarlem, member.email, "een heel ander wachtwoord")
    assert await page_status(client, session) == 303
    assert await login(haarlem, member.email, PASSWORD, "127.0.0.2") is None
    assert isinstance(
        await login(haarlem, member.email, "een heel ander wachtwoord", "127.0.0.2"), Session
    )


async def test_a_session_left_idle_ends(client: Client, haarlem: asyncpg.Pool) -> None:
    member, _ = await make_user(haarlem, "member", "SWT-HLM-OOST", password=PASSWORD)
    session = await signed_in(haarlem, member.email, PASSWORD)
    assert await page_status(client, session) == 200
    async with haarlem.acquire() as conn:
        await conn.execute("update sessions set last_seen_at = now() - interval '31 minutes'")
    assert await page_status(client, session) == 303


async def test_revoking_a_partner_ends_its_tokens_and_its_peoples_sessions(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partner, token = await make_partner(haarlem, PartnerKind.GP)
    await create_user(haarlem, "assistent@example.invalid", PASSWORD, "partner", partner)
    session = await signed_in(haarlem, "assistent@example.invalid", PASSWORD)
    assert await page_status(client, session, "/signalen") == 200
    assert await revoke_partner(haarlem, partner.name) == (1, 1)
    assert await page_status(client, session, "/signalen") == 303
    client.session.cookie_jar.clear()
    assert (await client.get("/api/v1/signals/x", headers=bearer(token))).status == 401


async def test_tokens_expire_and_can_be_listed_and_revoked(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    partner, _ = await make_partner(haarlem, PartnerKind.GP)
    async with haarlem.acquire() as conn:
        short = await tokens.issue_token(
            conn, TokenKind.PARTNER, partner, lifetime=timedelta(seconds=1)
        )
        lasting = await tokens.issue_token(conn, TokenKind.PARTNER, partner)
        admin = await tokens.issue_token(conn, TokenKind.ADMIN)
    listed = await tokens.list_tokens(haarlem)
    assert all(row["expires_at"] is not None for row in listed)  # every token has an end
    assert {row["role"] for row in listed} == {"partner", "admin"}
    assert "shub_" not in repr(listed)  # never the token itself
    async with haarlem.acquire() as conn:
        await conn.execute(
            "update api_tokens set expires_at = now() where expires_at < now() + interval '1 hour'"
        )
    assert (await client.get("/api/v1/signals/x", headers=bearer(short))).status == 401
    assert (await client.get("/api/v1/signals/x", headers=bearer(lasting))).status == 404
    admin_id = next(row["id"] for row in listed if row["role"] == "admin")
    assert await tokens.revoke_token(haarlem, admin_id)
    assert not await tokens.revoke_token(haarlem, admin_id)  # once
    assert (await client.get("/api/v1/admin/deliveries", headers=bearer(admin))).status == 401


async def test_a_second_factor_is_asked_once_set_up(haarlem: asyncpg.Pool) -> None:
    member, _ = await make_user(haarlem, "member", "SWT-HLM-OOST", password=PASSWORD)
    uri = await set_second_factor(haarlem, member.email, on=True)
    assert uri is not None
    assert uri.startswith("otpauth://totp/")
    app = pyotp.parse_uri(uri)
    assert await login(haarlem, member.email, PASSWORD, "127.0.0.3") is None  # no code
    assert await login(haarlem, member.email, PASSWORD, "127.0.0.3", "000000") is None
    assert isinstance(await login(haarlem, member.email, PASSWORD, "127.0.0.3", app.now()), Session)
    async with haarlem.acquire() as conn:
        sealed = await conn.fetchval("select totp_secret from users where id = $1", member.id)
    assert app.secret.encode() not in bytes(sealed)  # kept sealed
    await set_second_factor(haarlem, member.email, on=False)
    assert isinstance(await login(haarlem, member.email, PASSWORD, "127.0.0.3"), Session)
