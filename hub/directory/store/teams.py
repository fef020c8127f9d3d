"""Teams."""

from __future__ import annotations

from hub.directory.models import Team
from hub.platform.connection import Connection, required


async def upsert_team(
    conn: Connection,
    code: str,
    name: str,
    municipality_code: str,
    municipality: str,
    email: str | None = None,
) -> Team:
    row = required(
        await conn.fetchrow(
            """
        insert into teams (code, name, municipality_code, municipality, email)
        values ($1, $2, $3, $4, $5)
        on conflict (code) do update
            set name = excluded.name,
                municipality_code = excluded.municipality_code,
                municipality = excluded.municipality,
                email = coalesce(excluded.email, teams.email)
        returning id, code, name, municipality_code, municipality
        """,
            code,
            name,
            municipality_code,
            municipality,
            email,
        )
    )
    return Team(**row)


async def team_by_code(conn: Connection, code: str) -> Team | None:
    row = await conn.fetchrow(
        "select id, code, name, municipality_code, municipality from teams where code = $1", code
    )
    return Team(**row) if row else None


async def team_codes(conn: Connection) -> dict[str, int]:
    return {row["code"]: row["id"] for row in await conn.fetch("select id, code from teams")}


async def list_teams(conn: Connection) -> list[Team]:
    rows = await conn.fetch(
        "select id, code, name, municipality_code, municipality from teams order by code"
    )
    return [Team(**row) for row in rows]


async def set_capacity(conn: Connection, code: str, capacity: int | None) -> Team | None:
    """The team's capacity set (None: cleared); None when there is no such team."""
    row = await conn.fetchrow(
        "update teams set capacity = $2 where code = $1 "
        "returning id, code, name, municipality_code, municipality",
        code,
        capacity,
    )
    return Team(**row) if row else None
