"""The routing table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import asyncpg

from hub.platform.connection import Connection
from schemas.routing import Parity, RoutingRule

_RULE_COLUMNS = """
    r.postcode, r.house_number_from, r.house_number_to, r.parity, t.code as team_code,
    r.valid_from, r.valid_to
"""


def _rule(row: asyncpg.Record) -> RoutingRule:
    return RoutingRule(
        postcode=row["postcode"],
        house_number_from=row["house_number_from"],
        house_number_to=row["house_number_to"],
        parity=Parity(row["parity"]) if row["parity"] else None,
        team_code=row["team_code"],
        valid_from=row["valid_from"],
        valid_to=row["valid_to"],
    )


async def replace_rules(
    conn: Connection,
    rules: Sequence[tuple[int, RoutingRule]],
    team_ids: Mapping[str, int],
) -> None:
    """Replace the whole table; call inside a transaction so readers see old or new, never half."""
    await conn.execute("lock table routing_rules in exclusive mode")
    await conn.execute("delete from routing_rules")
    await conn.execute(
        """
        insert into routing_rules (postcode, house_number_from, house_number_to, parity, team_id,
                                   valid_from, valid_to, source_line)
        select * from unnest($1::text[], $2::int[], $3::int[], $4::text[], $5::bigint[],
                             $6::date[], $7::date[], $8::int[])
        """,
        [rule.postcode for _, rule in rules],
        [rule.house_number_from for _, rule in rules],
        [rule.house_number_to for _, rule in rules],
        [rule.parity.value if rule.parity else None for _, rule in rules],
        [team_ids[rule.team_code] for _, rule in rules],
        [rule.valid_from for _, rule in rules],
        [rule.valid_to for _, rule in rules],
        [line for line, _ in rules],
    )


async def candidate_rules(conn: Connection, postcodes: Sequence[str]) -> list[RoutingRule]:
    """The rules for these postcodes (pass a PC6 and its PC4 to get all that could route it)."""
    rows = await conn.fetch(
        f"select {_RULE_COLUMNS} from routing_rules r join teams t on t.id = r.team_id "  # noqa: S608 - constant columns
        "where r.postcode = any($1::text[])",
        list(postcodes),
    )
    return [_rule(row) for row in rows]


async def all_rules(conn: Connection) -> list[RoutingRule]:
    rows = await conn.fetch(
        f"select {_RULE_COLUMNS} from routing_rules r join teams t on t.id = r.team_id "  # noqa: S608 - constant columns
        "order by r.postcode, r.id"
    )
    return [_rule(row) for row in rows]
