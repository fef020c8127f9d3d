"""The partner survey's SQL: statements, surveys, invitations, answers and their counts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import asyncpg

from hub.platform.connection import Connection, updated_count
from hub.platform.errors import Conflict

if TYPE_CHECKING:
    from collections.abc import Sequence
    from datetime import date, datetime
    from uuid import UUID

# --- statements -------------------------------------------------------------------------------


async def statements(conn: Connection) -> list[asyncpg.Record]:
    """The statements in use, in their order."""
    return await conn.fetch(
        "select id, theme, text, position from survey_statements where retired_at is null "
        "order by position, id"
    )


async def add_statement(conn: Connection, theme: str | None, text: str) -> int:
    try:
        statement_id: int = await conn.fetchval(
            """
            insert into survey_statements (theme, text, position)
            select $1, $2, coalesce(max(position), 0) + 1 from survey_statements
            returning id
            """,
            theme,
            text,
        )
    except asyncpg.UniqueViolationError as error:
        raise Conflict("a statement on this theme is in use already") from error
    return statement_id


async def set_statement_text(conn: Connection, statement_id: int, text: str) -> bool:
    status = await conn.execute(
        "update survey_statements set text = $2 where id = $1 and retired_at is null",
        statement_id,
        text,
    )
    return updated_count(status) > 0


async def retire_statement(conn: Connection, statement_id: int) -> bool:
    status = await conn.execute(
        "update survey_statements set retired_at = now() where id = $1 and retired_at is null",
        statement_id,
    )
    return updated_count(status) > 0


# --- surveys and invitations ------------------------------------------------------------------


async def open_overlapping(conn: Connection, team_id: int | None, today: date) -> int:
    """Surveys still open that ask about the same teams (every team, or this one)."""
    found: int = await conn.fetchval(
        """
        select count(*) from surveys
        where closes_on >= $2 and ($1::bigint is null or team_id is null or team_id = $1)
        """,
        team_id,
        today,
    )
    return found


async def add_survey(
    conn: Connection,
    team_id: int | None,
    opened_on: date,
    closes_on: date,
    covers_from: date,
    covers_to: date,
) -> UUID:
    """The survey, with the statements in use copied as its questions."""
    survey_id: UUID = await conn.fetchval(
        """
        insert into surveys (team_id, opened_on, closes_on, covers_from, covers_to)
        values ($1, $2, $3, $4, $5) returning id
        """,
        team_id,
        opened_on,
        closes_on,
        covers_from,
        covers_to,
    )
    await conn.execute(
        """
        insert into survey_questions (survey_id, statement_id, position, theme, text)
        select $1, id, position, theme, text from survey_statements where retired_at is null
        """,
        survey_id,
    )
    return survey_id


async def add_invitations(
    conn: Connection,
    survey_id: UUID,
    invitations: Sequence[tuple[UUID, UUID, bytes]],
    teams: Sequence[tuple[UUID, int]],
    invited_at: datetime,
) -> None:
    """(invitation id, partner id, token digest) each, and (invitation id, team id) pairs."""
    await conn.execute(
        """
        insert into survey_invitations (id, survey_id, partner_id, token_digest, invited_at)
        select i.id, $1, i.partner_id, i.digest, $5
        from unnest($2::uuid[], $3::uuid[], $4::bytea[]) as i (id, partner_id, digest)
        """,
        survey_id,
        [row[0] for row in invitations],
        [row[1] for row in invitations],
        [row[2] for row in invitations],
        invited_at,
    )
    await conn.execute(
        """
        insert into survey_invitation_teams (invitation_id, team_id)
        select * from unnest($1::uuid[], $2::bigint[])
        """,
        [row[0] for row in teams],
        [row[1] for row in teams],
    )


async def surveys(conn: Connection, survey_id: UUID | None = None) -> list[asyncpg.Record]:
    """Every survey (or one), newest first, with how many partners were invited and answered
    and how many statements it asked."""
    return await conn.fetch(
        """
        select s.id, s.team_id, t.code as team, t.name as team_name, s.opened_on, s.closes_on,
               s.covers_from, s.covers_to,
               (select count(*) from survey_questions q where q.survey_id = s.id) as statements,
               (select count(*) from survey_invitations i where i.survey_id = s.id) as invited,
               (select count(*) from survey_invitations i
                where i.survey_id = s.id and i.answered_at is not null) as answered
        from surveys s left join teams t on t.id = s.team_id
        where $1::uuid is null or s.id = $1
        order by s.closes_on desc, s.created_at desc
        """,
        survey_id,
    )


async def invitation_by_digest(conn: Connection, digest: bytes) -> asyncpg.Record | None:
    return await conn.fetchrow(
        """
        select i.id, i.survey_id, i.partner_id, p.name as partner, s.opened_on, s.closes_on,
               i.answered_at, i.withdrawn_at
        from survey_invitations i join surveys s on s.id = i.survey_id
        join partners p on p.id = i.partner_id
        where i.token_digest = $1
        """,
        digest,
    )


async def invitations_of(conn: Connection, survey_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select id, partner_id from survey_invitations where survey_id = $1", survey_id
    )


async def invitation_teams(conn: Connection, invitation_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        """
        select t.id, t.code, t.name from survey_invitation_teams it
        join teams t on t.id = it.team_id
        where it.invitation_id = $1 order by t.name, t.code
        """,
        invitation_id,
    )


async def questions(conn: Connection, survey_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select statement_id as id, theme, text from survey_questions where survey_id = $1 "
        "order by position, statement_id",
        survey_id,
    )


async def answers_of(conn: Connection, invitation_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select team_id, statement_id, score from survey_answers where invitation_id = $1",
        invitation_id,
    )


async def comments_of(conn: Connection, invitation_id: UUID) -> list[asyncpg.Record]:
    return await conn.fetch(
        "select id, team_id, comment from survey_comments where invitation_id = $1",
        invitation_id,
    )


async def _lock(conn: Connection, invitation_id: UUID) -> None:
    """One change of an invitation's answers at a time (two tabs saving at once): the second
    waits for the first and then replaces its answers, instead of colliding with them."""
    await conn.execute("select 1 from survey_invitations where id = $1 for update", invitation_id)


async def replace_answers(
    conn: Connection,
    invitation_id: UUID,
    answers: Sequence[tuple[int, int, int | None]],
    comments: Sequence[tuple[UUID, int, bytes]],
    at: datetime,
) -> None:
    """The invitation's answers, (team id, statement id, score or None for "don't know"), and
    comments, (id, team id, sealed text), instead of those it had; answered at `at` (or, with
    nothing given, not answered)."""
    await _lock(conn, invitation_id)
    await conn.execute("delete from survey_answers where invitation_id = $1", invitation_id)
    await conn.execute("delete from survey_comments where invitation_id = $1", invitation_id)
    await conn.execute(
        """
        insert into survey_answers (invitation_id, team_id, statement_id, score)
        select $1, a.team_id, a.statement_id, a.score
        from unnest($2::bigint[], $3::bigint[], $4::smallint[]) as a (team_id, statement_id, score)
        """,
        invitation_id,
        [row[0] for row in answers],
        [row[1] for row in answers],
        [row[2] for row in answers],
    )
    await conn.execute(
        """
        insert into survey_comments (id, invitation_id, team_id, comment)
        select c.id, $1, c.team_id, c.comment
        from unnest($2::uuid[], $3::bigint[], $4::bytea[]) as c (id, team_id, comment)
        """,
        invitation_id,
        [row[0] for row in comments],
        [row[1] for row in comments],
        [row[2] for row in comments],
    )
    await conn.execute(
        "update survey_invitations set answered_at = $2, withdrawn_at = null where id = $1",
        invitation_id,
        at if answers or comments else None,
    )


async def withdraw(conn: Connection, invitation_id: UUID, at: datetime) -> None:
    """Every answer and comment of the invitation gone; it counts as withdrawn."""
    await _lock(conn, invitation_id)
    await conn.execute("delete from survey_answers where invitation_id = $1", invitation_id)
    await conn.execute("delete from survey_comments where invitation_id = $1", invitation_id)
    await conn.execute(
        "update survey_invitations set answered_at = null, withdrawn_at = $2 where id = $1",
        invitation_id,
        at,
    )


async def mark_reminders_due(
    conn: Connection, today: date, days_before: Sequence[int], at: datetime
) -> list[asyncpg.Record]:
    """Count the reminder now due for every invitation of an open survey without answers (and
    not withdrawn), at most once each: reminder n is due `days_before[n-1]` days before the
    survey closes, if the invitation went out before that day; of several due, only the last
    is sent. Returns the invitations to remind now, with the partner's contact address."""
    return await conn.fetch(
        """
        with due as (
            select i.id,
                   (select max(n) from unnest($2::int[]) with ordinality as r (days, n)
                    where $1 >= s.closes_on - r.days
                      and (i.invited_at at time zone 'Europe/Amsterdam')::date
                          < s.closes_on - r.days) as number
            from survey_invitations i join surveys s on s.id = i.survey_id
            where s.closes_on >= $1 and i.answered_at is null and i.withdrawn_at is null
        )
        update survey_invitations i set reminders_sent = d.number, reminded_at = $3
        from due d, partners p
        where d.id = i.id and d.number > i.reminders_sent and p.id = i.partner_id
        returning i.id, i.survey_id, d.number, p.name as partner, p.contact_email
        """,
        today,
        list(days_before),
        at,
    )


async def survey_teams(conn: Connection, survey_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Per survey and team: the team's names, partners invited for it and partners that
    answered for it (a score, "don't know" or a comment)."""
    return await conn.fetch(
        """
        select i.survey_id, t.id as team_id, t.code, t.name, t.municipality,
               count(*) as invited,
               count(*) filter (
                   where exists (select 1 from survey_answers a
                                 where a.invitation_id = it.invitation_id
                                   and a.team_id = it.team_id)
                      or exists (select 1 from survey_comments c
                                 where c.invitation_id = it.invitation_id
                                   and c.team_id = it.team_id)) as answered
        from survey_invitation_teams it
        join survey_invitations i on i.id = it.invitation_id
        join teams t on t.id = it.team_id
        where i.survey_id = any($1::uuid[])
        group by 1, 2, 3, 4, 5
        """,
        list(survey_ids),
    )


async def score_counts(conn: Connection, survey_ids: Sequence[UUID]) -> list[asyncpg.Record]:
    """Per survey, team, statement and kind of partner: how many partners gave each score, and
    how many said they did not know."""
    return await conn.fetch(
        """
        select i.survey_id, a.team_id, a.statement_id, p.kind,
               count(*) filter (where a.score >= 4) as agree,
               count(*) filter (where a.score = 3) as neutral,
               count(*) filter (where a.score <= 2) as disagree,
               count(*) filter (where a.score is null) as dont_know
        from survey_answers a
        join survey_invitations i on i.id = a.invitation_id
        join partners p on p.id = i.partner_id
        where i.survey_id = any($1::uuid[])
        group by 1, 2, 3, 4
        """,
        list(survey_ids),
    )


async def comments(conn: Connection, survey_id: UUID) -> list[asyncpg.Record]:
    """Every comment of the survey, sealed, with its team (never its partner)."""
    return await conn.fetch(
        """
        select c.id, c.team_id, c.comment from survey_comments c
        join survey_invitations i on i.id = c.invitation_id
        where i.survey_id = $1
        """,
        survey_id,
    )
