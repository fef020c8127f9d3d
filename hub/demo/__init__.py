"""The Haarlem/Zandvoort demo: teams, the routing table, partners of every kind with tokens and
logins, feedback agreements, twelve weeks of signals and the teams' work on them, and two past
partner surveys."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hub.demo import store
from hub.demo.data import DEMO_CAPACITY, demo_partners, demo_teams, shipped_data, staff_names
from hub.demo.history import load_history, simulate_casework
from hub.demo.surveys import load_surveys
from hub.directory.accounts import Throttled, create_user, login, logout, set_name, set_password
from hub.directory.passwords import new_password
from hub.directory.service import (
    add_team,
    list_teams,
    reissue_tokens,
    set_team_capacity,
    token_works,
)
from hub.feedback.agreements import add_agreement
from hub.routing.service import import_routing_table
from schemas.signals import PartnerKind

if TYPE_CHECKING:
    import asyncpg

    from hub.directory.models import Partner

CREDENTIALS_FILE = "demo-credentials.json"


@dataclass(frozen=True)
class DemoCredentials:
    url: str
    admin_token: str
    partners: list[dict[str, str]]
    users: list[dict[str, str]]

    def as_json(self) -> dict[str, Any]:
        return {
            "url": self.url,
            "admin_token": self.admin_token,
            "partners": self.partners,
            "users": self.users,
        }


async def load_agreements(pool: asyncpg.Pool) -> None:
    """Receipt at once, first contact within 5 working days (10 for housing and the creditors
    of early-debt signalling), the outcome within 20; CJG (youth) has no agreement at all: a
    gap the network view shows."""
    early_debt = (PartnerKind.ENERGY, PartnerKind.HEALTH_INSURER, PartnerKind.COLLECTION_SYSTEM)
    for kind in (
        PartnerKind.GP,
        PartnerKind.HOUSING,
        PartnerKind.POLICE,
        PartnerKind.WORK_INCOME,
        PartnerKind.OTHER,
        *early_debt,
    ):
        first_contact = 10 if kind is PartnerKind.HOUSING or kind in early_debt else 5
        for step, days in (("received", 0), ("first_contact", first_contact), ("outcome", 20)):
            await add_agreement(pool, step=step, working_days=days, partner_kind=kind)


def team_email(code: str) -> str:
    return f"{code.lower()}@demo.signaalhub.invalid"


async def load_teams(pool: asyncpg.Pool) -> None:
    """The demo's teams, each with its capacity."""
    for row in demo_teams():
        await add_team(
            pool,
            row["team_code"],
            row["team_name"],
            row["municipality_code"],
            row["municipality"],
            team_email(row["team_code"]),
        )
        await set_team_capacity(pool, row["team_code"], DEMO_CAPACITY.get(row["team_code"]))


async def load_routing(pool: asyncpg.Pool) -> None:
    report, applied = await import_routing_table(
        pool, shipped_data("routing_demo.csv"), partial=False
    )
    if not applied:
        raise RuntimeError(f"the shipped demo routing table was refused: {report.refused}")


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def demo_email(partner: Partner) -> str:
    return f"{_slug(partner.name)}@demo.signaalhub.invalid"


async def _demo_user(
    pool: asyncpg.Pool,
    email: str,
    role: str,
    partner: Partner | None,
    team_id: int | None,
    name: str | None = None,
) -> str:
    """The user with a fresh password (created where missing); returns the password."""
    password = new_password()
    if await set_password(pool, email, password):
        await set_name(pool, email, name)
    else:
        await create_user(pool, email, password, role, partner, team_id, name)
    return password


async def _demo_users(pool: asyncpg.Pool, partners: list[Partner]) -> list[dict[str, str]]:
    """A login per demo partner, a member and a lead per team, a coordinator, a manager and an
    administrator; each with a fresh password."""
    users = []
    names = iter(staff_names())
    for partner in partners:
        email = demo_email(partner)
        password = await _demo_user(pool, email, "partner", partner, None)
        users.append(
            {"email": email, "password": password, "role": "partner", "partner": partner.name}
        )
    for team in await list_teams(pool):
        for role, title in (("member", "medewerker"), ("lead", "teamleider")):
            email = f"{title}.{_slug(team.code)}@demo.signaalhub.invalid"
            name = next(names)
            password = await _demo_user(pool, email, role, None, team.id, name)
            users.append(
                {"email": email, "password": password, "role": role, "team": team.code}
                | {"name": name}
            )
    others = (("coordinator", "coordinator"), ("manager", "manager"), ("admin", "beheer"))
    for role, local in others:
        email = f"{local}@demo.signaalhub.invalid"
        name = next(names)
        password = await _demo_user(pool, email, role, None, None, name)
        users.append({"email": email, "password": password, "role": role, "name": name})
    return users


async def demo_loaded(pool: asyncpg.Pool) -> bool:
    async with pool.acquire() as conn:
        return await store.demo_loaded(conn)


def read_saved_credentials(path: Path) -> dict[str, Any] | None:
    """What an earlier run wrote to the credentials file, if it is readable."""
    try:
        saved = json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    return saved if isinstance(saved, dict) else None


async def _reusable(pool: asyncpg.Pool, saved: dict[str, Any], url: str) -> DemoCredentials | None:
    """The earlier run's credentials, if every token in them still works."""
    try:
        tokens = [saved["admin_token"], *(p["token"] for p in saved["partners"])]
        logins = [(u["email"], u["password"]) for u in saved["users"]]
    except (KeyError, TypeError):
        return None
    for token in tokens:
        if not isinstance(token, str) or not await token_works(pool, token):
            return None
    for email, password in logins[:1]:
        session = await login(pool, email, password, "demo")
        if session is None or isinstance(session, Throttled):
            return None
        await logout(pool, session.token)
    return DemoCredentials(url, saved["admin_token"], saved["partners"], saved["users"])


async def prepare_demo(
    pool: asyncpg.Pool, saved: dict[str, Any] | None, url: str
) -> DemoCredentials:
    """Load the demo once; later runs reuse its data and, where they still work, its tokens."""
    loaded = await demo_loaded(pool)
    if loaded:
        reused = await _reusable(pool, saved, url) if saved else None
        if reused is not None:
            return reused
    else:
        await load_teams(pool)
        await load_routing(pool)
    issued, admin = await reissue_tokens(pool, [(p.name, p.kind) for p in demo_partners()])
    partners = [partner for partner, _ in issued]
    if not loaded:
        await load_agreements(pool)
        await load_history(pool, partners)
    users = await _demo_users(pool, partners)
    if not loaded:
        await simulate_casework(pool)
        await load_surveys(pool, partners)
    return DemoCredentials(
        url,
        admin,
        [{"name": p.name, "kind": p.kind.value, "token": token} for p, token in issued],
        users,
    )


def write_credentials(path: Path, credentials: DemoCredentials) -> None:
    """Write the credentials readable by the owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(credentials.as_json(), handle, indent=2, ensure_ascii=False)
        handle.write("\n")
