"""Plain functions that make what tests need, with overrides."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from hub.directory.accounts import create_user, login
from hub.directory.models import Partner, Session, TokenKind
from hub.directory.service import require_team
from hub.directory.store.partners import add_partner
from hub.directory.tokens import issue_token
from hub.intake.service import submit_signal
from hub.privacy.crypto import new_keyring
from schemas.signals import PartnerKind, SignalIn

# One keyring for the whole run: the test process and every hub it starts seal with it.
TEST_KEYRING = new_keyring()

Client = TestClient[Any, Any]


async def make_partner(
    pool: asyncpg.Pool, kind: PartnerKind = PartnerKind.GP, name: str | None = None
) -> tuple[Partner, str]:
    """A partner and its token."""
    async with pool.acquire() as conn:
        partner = await add_partner(conn, name or f"{kind.value} {uuid.uuid4().hex[:6]}", kind)
        return partner, await issue_token(conn, TokenKind.PARTNER, partner)


async def make_admin_token(pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn:
        return await issue_token(conn, TokenKind.ADMIN)


def make_signal(**overrides: Any) -> dict[str, Any]:
    """The documented example signal with a fresh `external_ref`; pass fields to change."""
    examples = SignalIn.model_json_schema()["examples"]
    body: dict[str, Any] = copy.deepcopy(examples[0])
    body["external_ref"] = f"REF-{uuid.uuid4().hex[:10]}"
    body.update(overrides)
    return body


async def make_user(
    pool: asyncpg.Pool,
    role: str,
    team_code: str | None = None,
    password: str = "wachtwoord-123",
    name: str | None = None,
) -> tuple[Any, str]:
    """A person with a role (and team for members and leads), and a personal API token."""
    team_id = (await require_team(pool, team_code)).id if team_code else None
    email = f"{role}-{uuid.uuid4().hex[:6]}@example.invalid"
    user = await create_user(pool, email, password, role, None, team_id, name)
    async with pool.acquire() as conn:
        token = await issue_token(conn, TokenKind.USER, user_id=user.id)
    return user, token


OOST = "SWT-HLM-OOST"


ADDRESS = {"postcode": "2031 AA", "house_number": 9, "house_letter": "b", "addition": "Bis"}


async def signal_from(pool: asyncpg.Pool, partner: Partner, **overrides: Any) -> Any:
    overrides.setdefault("address", ADDRESS)
    kind = {"gp": "care_concern", "housing": "rent_arrears", "police": "care_report"}
    overrides.setdefault("kind", kind.get(partner.kind.value, "other"))
    body = make_signal(**overrides)
    return await submit_signal(pool, partner, SignalIn.model_validate(body))


async def signed_in(pool: asyncpg.Pool, email: str, password: str) -> Session:
    """A session of the person, as a login from loopback gives it."""
    session = await login(pool, email, password, "127.0.0.1")
    assert isinstance(session, Session), session
    return session
