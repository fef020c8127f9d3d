"""Administrator use cases behind the CLI: routing table, partners, teams, tokens."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date

import asyncpg

from connectors.csv_batch import BatchProfile
from hub.errors import InvalidFields, NotFound
from hub.feedback import STEPS
from hub.routing import RuleImport, choose_rule, parse_rules_csv
from hub.store import feedback as feedback_store
from hub.store import routing as routing_store
from hub.store import teams as team_store
from hub.store.batches import set_custom_profile
from hub.store.partners import (
    Partner,
    add_partner,
    issue_token,
    partner_by_name,
    revoke_tokens,
)
from hub.store.users import user_by_email
from schemas.routing import RoutingRule
from schemas.signals import PartnerKind, kinds_for


async def import_routing_table(
    pool: asyncpg.Pool, text: str, *, partial: bool
) -> tuple[RuleImport, bool]:
    """Read a rule table and, if every line is accepted (or `partial`), replace the table at once.

    Returns the report and whether the table was replaced. A table with refused lines is not
    applied by default: silently dropping a line would send its addresses to the wrong team.
    """
    async with pool.acquire() as conn, conn.transaction():
        team_ids = await team_store.team_codes(conn)
        report = parse_rules_csv(text, team_ids)
        if report.refused and not partial:
            return report, False
        if not report.accepted:
            return report, False
        await routing_store.replace_rules(conn, report.accepted, team_ids)
    return report, True


@dataclass(frozen=True)
class RoutingAnswer:
    rule: RoutingRule | None
    team: team_store.Team | None


async def check_routing(
    pool: asyncpg.Pool, postcode: str, house_number: int, on: date
) -> RoutingAnswer:
    async with pool.acquire() as conn:
        rule = choose_rule(
            await routing_store.candidate_rules(conn, [postcode, postcode[:4]]),
            postcode,
            house_number,
            on,
        )
        team = await team_store.team_by_code(conn, rule.team_code) if rule else None
    return RoutingAnswer(rule, team)


async def create_partner(pool: asyncpg.Pool, name: str, kind: PartnerKind) -> tuple[Partner, str]:
    """A new partner and its first token (the only time the token is shown)."""
    async with pool.acquire() as conn, conn.transaction():
        partner = await add_partner(conn, name, kind)
        token = await issue_token(conn, "partner", partner)
    return partner, token


async def create_admin_token(pool: asyncpg.Pool) -> str:
    async with pool.acquire() as conn:
        return await issue_token(conn, "admin")


async def add_team(
    pool: asyncpg.Pool,
    code: str,
    name: str,
    municipality_code: str,
    municipality: str,
    email: str | None = None,
) -> team_store.Team:
    async with pool.acquire() as conn:
        return await team_store.upsert_team(
            conn, code, name, municipality_code, municipality, email
        )


async def require_team(pool: asyncpg.Pool, code: str) -> team_store.Team:
    async with pool.acquire() as conn:
        team = await team_store.team_by_code(conn, code)
    if team is None:
        raise NotFound(f"no team {code}")
    return team


async def create_user_token(pool: asyncpg.Pool, email: str) -> str:
    async with pool.acquire() as conn:
        user = await user_by_email(conn, email)
        if user is None:
            raise NotFound(f"no user {email}")
        return await issue_token(conn, "user", user_id=user.id)


async def require_partner(pool: asyncpg.Pool, name: str) -> Partner:
    async with pool.acquire() as conn:
        partner = await partner_by_name(conn, name)
    if partner is None:
        raise NotFound(f"no partner named {name!r}")
    return partner


async def set_batch_profile(pool: asyncpg.Pool, name: str, profile: BatchProfile) -> None:
    partner = await require_partner(pool, name)
    if profile.kind not in kinds_for(partner.kind):
        raise InvalidFields(f"a {partner.kind.value} partner cannot send {profile.kind.value}")
    async with pool.acquire() as conn:
        await set_custom_profile(conn, partner.id, profile.model_dump(mode="json"))


async def add_agreement(
    pool: asyncpg.Pool,
    *,
    step: str,
    working_days: int | None,
    partner: str | None = None,
    partner_kind: PartnerKind | None = None,
    team: str | None = None,
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> int:
    """A feedback agreement for a partner (or every partner of a kind, or everyone) and a team
    (or every team); `working_days` None means at the event itself."""
    if step not in STEPS:
        raise InvalidFields(f"step is one of {', '.join(STEPS)}")
    found_partner = await require_partner(pool, partner) if partner else None
    found_team = await require_team(pool, team) if team else None
    async with pool.acquire() as conn:
        return await feedback_store.add_agreement(
            conn,
            step=step,
            working_days=working_days,
            partner_id=found_partner.id if found_partner else None,
            partner_kind=partner_kind.value if partner_kind else None,
            team_id=found_team.id if found_team else None,
            valid_from=valid_from,
            valid_to=valid_to,
        )


async def list_agreements(pool: asyncpg.Pool) -> list[dict[str, object]]:
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """
            select a.id, coalesce(p.name, a.partner_kind, 'alle partners') as partner,
                   coalesce(t.name, 'alle teams') as team, a.step, a.working_days,
                   a.valid_from, a.valid_to
            from feedback_agreements a
            left join partners p on p.id = a.partner_id left join teams t on t.id = a.team_id
            order by a.id
            """
        )
    return [dict(row) for row in rows]


async def set_webhook(pool: asyncpg.Pool, partner_name: str, url: str) -> str:
    """Point a partner's feedback at `url`; returns the new signing secret (shown once)."""
    partner = await require_partner(pool, partner_name)
    secret = secrets.token_urlsafe(32)
    async with pool.acquire() as conn:
        await feedback_store.set_webhook(conn, partner.id, url, secret)
    return secret


async def add_non_working_day(pool: asyncpg.Pool, day: date, reason: str) -> None:
    async with pool.acquire() as conn:
        await conn.execute(
            "insert into non_working_days (day, reason) values ($1, $2) "
            "on conflict (day) do update set reason = excluded.reason",
            day,
            reason,
        )


async def new_partner_token(pool: asyncpg.Pool, name: str) -> str:
    partner = await require_partner(pool, name)
    async with pool.acquire() as conn:
        return await issue_token(conn, "partner", partner)


async def revoke_partner_tokens(pool: asyncpg.Pool, name: str) -> int:
    partner = await require_partner(pool, name)
    async with pool.acquire() as conn:
        return await revoke_tokens(conn, partner)
