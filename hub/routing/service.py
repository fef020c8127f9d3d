"""The routing table in use: import it, ask it, and route signals by it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hub.directory.models import Team
from hub.directory.service import list_teams
from hub.routing import store
from hub.routing.rules import RuleImport, choose_rule, parse_rules_csv

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date

    import asyncpg

    from hub.platform.connection import Connection
    from schemas.address import Address
    from schemas.routing import RoutingRule


async def import_routing_table(
    pool: asyncpg.Pool, text: str, *, partial: bool
) -> tuple[RuleImport, bool]:
    """Read a rule table and, if every line is accepted (or `partial`), replace the table at once.

    Returns the report and whether the table was replaced. A table with refused lines is not
    applied by default: silently dropping a line would send its addresses to the wrong team.
    """
    team_ids = {team.code: team.id for team in await list_teams(pool)}
    report = parse_rules_csv(text, team_ids)
    if (report.refused and not partial) or not report.accepted:
        return report, False
    async with pool.acquire() as conn, conn.transaction():
        await store.replace_rules(conn, report.accepted, team_ids)
    return report, True


async def routing_table(pool: asyncpg.Pool) -> list[RoutingRule]:
    async with pool.acquire() as conn:
        return await store.all_rules(conn)


@dataclass(frozen=True)
class RoutingAnswer:
    rule: RoutingRule | None
    team: Team | None


async def check_routing(
    pool: asyncpg.Pool, postcode: str, house_number: int, on: date
) -> RoutingAnswer:
    """Which team serves the address on day `on`, and by which rule."""
    async with pool.acquire() as conn:
        rule = choose_rule(
            await store.candidate_rules(conn, [postcode, postcode[:4]]), postcode, house_number, on
        )
    team = None
    if rule is not None:
        team = next((t for t in await list_teams(pool) if t.code == rule.team_code), None)
    return RoutingAnswer(rule, team)


async def route_all(
    conn: Connection, addresses: Sequence[Address], day: date
) -> list[RoutingRule | None]:
    """The rule for each address on `day`, consulting only the rules of the postcodes present."""
    postcodes = {a.postcode for a in addresses} | {a.postcode[:4] for a in addresses}
    by_postcode: dict[str, list[RoutingRule]] = defaultdict(list)
    for rule in await store.candidate_rules(conn, sorted(postcodes)):
        by_postcode[rule.postcode].append(rule)
    chosen = []
    for address in addresses:
        postcode = address.postcode
        candidates = by_postcode.get(postcode, []) + by_postcode.get(postcode[:4], [])
        chosen.append(choose_rule(candidates, postcode, address.house_number, day))
    return chosen
