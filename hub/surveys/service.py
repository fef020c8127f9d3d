"""The partner survey's use cases: the statements an administrator keeps, starting a survey
(an invitation per partner organisation, covering each team it worked with), answering through
the personal link (changeable, and withdrawable, until the survey closes), and reminders.

A survey asks each partner about the teams it signalled in the twelve months before it starts
(the signal flows of the partner network); its results are about the twelve months up to its
closing day, which is also the period whose feedback deadlines the hub measures beside them.
"""

from __future__ import annotations

import unicodedata
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, ClassVar, Final

from hub.directory.service import list_teams, partner_contacts, partner_names, require_team
from hub.network.service import NetworkQuery, load_facts
from hub.platform.clock import local_day
from hub.platform.errors import Conflict, HubError, InvalidFields, NotFound
from hub.platform.locks import lock_for_transaction
from hub.platform.mail import Mail, compose, queue_mail
from hub.privacy.crypto import keyring
from hub.privacy.sealed import SURVEY_COMMENT
from hub.surveys import links, store
from schemas.surveys import Score, Theme

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence
    from uuid import UUID

    import asyncpg

    from hub.platform.connection import Connection

INVITATION: Final = "survey_invitation"
REMINDER: Final = "survey_reminder"
MAIL_TOPICS: Final = (INVITATION, REMINDER)
# Reminders to partners who have not answered: this many days before the survey closes.
REMINDER_DAYS: Final = (7, 3)
LONGEST: Final = 92  # days a survey may stay open
LOOK_BACK: Final = timedelta(days=364)  # with the day itself: the twelve months before it
MAX_COMMENT: Final = 1000
MAX_STATEMENT: Final = 300
COMMENT_PLACE: Final = SURVEY_COMMENT
_START_LOCK: Final = 0x5348_5355_5256_4559  # one survey starts at a time


class SurveyClosed(HubError):
    """The survey has closed: its link no longer takes or shows answers."""

    status: ClassVar[int] = 410
    slug: ClassVar[str] = "survey-closed"
    title: ClassVar[str] = "Survey closed"

    def __init__(self, closes_on: date) -> None:
        super().__init__(f"the survey closed after {closes_on.isoformat()}")
        self.closes_on = closes_on


# --- statements -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Statement:
    id: int
    theme: Theme | None
    text: str


def clean_text(text: str, field: str, longest: int) -> str:
    """Text people typed: trimmed, at most `longest` characters, no control characters but line
    breaks and tabs (PostgreSQL's text holds no NUL; others hide what a text says)."""
    cleaned = text.replace("\r\n", "\n").strip()
    if len(cleaned) > longest or any(
        unicodedata.category(c).startswith("C") and c not in "\n\t" for c in cleaned
    ):
        message = f"at most {longest} characters, without control characters"
        raise InvalidFields(message, errors=[{"loc": [field], "msg": message}])
    return cleaned


def _statement_text(text: str) -> str:
    cleaned = clean_text(text, "text", MAX_STATEMENT)
    if not cleaned:
        message = "a statement needs text"
        raise InvalidFields(message, errors=[{"loc": ["text"], "msg": message}])
    return cleaned


async def list_statements(pool: asyncpg.Pool) -> list[Statement]:
    """The statements a survey started now would ask, in their order."""
    async with pool.acquire() as conn:
        rows = await store.statements(conn)
    return [_statement(row) for row in rows]


def _statement(row: asyncpg.Record) -> Statement:
    theme = row["theme"]
    return Statement(row["id"], Theme(theme) if theme else None, row["text"])


async def add_statement(pool: asyncpg.Pool, text: str, theme: Theme | None = None) -> int:
    """A statement for surveys started from now on (at most one in use per theme)."""
    cleaned = _statement_text(text)
    async with pool.acquire() as conn:
        return await store.add_statement(conn, theme.value if theme else None, cleaned)


async def change_statement(pool: asyncpg.Pool, statement_id: int, text: str) -> None:
    """New wording for surveys started from now on; surveys started before keep theirs, and
    the trend goes on across the change."""
    cleaned = _statement_text(text)
    async with pool.acquire() as conn:
        if not await store.set_statement_text(conn, statement_id, cleaned):
            raise NotFound(f"no statement {statement_id} in use")


async def retire_statement(pool: asyncpg.Pool, statement_id: int) -> None:
    """No longer asked in surveys started from now on."""
    async with pool.acquire() as conn:
        if not await store.retire_statement(conn, statement_id):
            raise NotFound(f"no statement {statement_id} in use")


async def load_statements(pool: asyncpg.Pool, shipped: Sequence[tuple[Theme, str]]) -> None:
    """These statements, where no statement is in use yet (the demo's seven)."""
    if await list_statements(pool):
        return
    for theme, text in shipped:
        await add_statement(pool, text, theme)


# --- starting a survey ------------------------------------------------------------------------


@dataclass(frozen=True)
class Started:
    survey_id: UUID
    closes_on: date
    invited: int  # partner organisations, each with one mail
    pairs: int  # partner-team pairs asked about
    teams: int
    without_address: list[str]  # partners that worked with a team but have no contact address


def _closing_day(closes_on: date, today: date) -> None:
    if not today < closes_on <= today + timedelta(days=LONGEST):
        message = f"a survey closes after today and within {LONGEST} days"
        raise InvalidFields(message, errors=[{"loc": ["closes"], "msg": message}])


async def worked_with(
    pool: asyncpg.Pool, today: date, team: str | None = None
) -> dict[UUID, set[str]]:
    """Per partner, the teams it signalled in the twelve months up to `today`."""
    facts = await load_facts(pool, NetworkQuery(today - LOOK_BACK, today, team=team))
    found: dict[UUID, set[str]] = defaultdict(set)
    for flow in facts.flows:
        if flow.count > 0:
            found[uuid.UUID(flow.partner)].add(flow.team)
    return dict(found)


async def start_survey(
    pool: asyncpg.Pool,
    closes_on: date,
    team: str | None,
    *,
    public_url: str,
    now: datetime,
    pairs: Mapping[UUID, set[str]] | None = None,
    mail: bool = True,
) -> Started:
    """Start a survey (of every team, or of one) open until `closes_on`: one invitation per
    partner organisation with a contact address, for each team it worked with in the twelve
    months before (or `pairs`, partner -> team codes), mailed through the outbox with its
    personal link (unless not `mail`: the demo's past surveys)."""
    today = local_day(now)
    _closing_day(closes_on, today)
    chosen = await require_team(pool, team) if team else None
    statements = await list_statements(pool)
    if not statements:
        message = "there are no statements to ask: add them first"
        raise InvalidFields(message, errors=[{"loc": ["statements"], "msg": message}])
    asked = dict(pairs) if pairs is not None else await worked_with(pool, today, team)
    if chosen is not None:
        asked = {p: {chosen.code} for p, codes in asked.items() if chosen.code in codes}
    contacts = await partner_contacts(pool)
    names = await partner_names(pool, list(asked))
    teams = {t.code: t for t in await list_teams(pool)}
    without = sorted(names[p] for p in asked if not contacts.get(p))
    invited = {p: codes for p, codes in asked.items() if contacts.get(p) and codes}
    async with pool.acquire() as conn, conn.transaction():
        await lock_for_transaction(conn, _START_LOCK)
        if await store.open_overlapping(conn, chosen.id if chosen else None, today):
            raise Conflict("a survey of these teams is open already: wait until it closes")
        survey_id = await store.add_survey(
            conn,
            chosen.id if chosen else None,
            today,
            closes_on,
            closes_on - LOOK_BACK,
            closes_on,
        )
        invitations = [(uuid.uuid4(), partner) for partner in sorted(invited)]
        await store.add_invitations(
            conn,
            survey_id,
            [(i, p, links.token_digest(links.link_token(i))) for i, p in invitations],
            [(i, teams[code].id) for i, p in invitations for code in sorted(invited[p])],
            now,
        )
        await queue_mail(
            conn,
            INVITATION,
            []
            if not mail
            else [
                _survey_mail(
                    INVITATION,
                    str(contacts[p]),
                    i,
                    partner=names[p],
                    teams=sorted(teams[code].name for code in invited[p]),
                    statements=len(statements),
                    closes_on=closes_on,
                    public_url=public_url,
                )
                for i, p in invitations
            ],
        )
    return Started(
        survey_id,
        closes_on,
        len(invitations),
        sum(len(codes) for codes in invited.values()),
        len({code for codes in invited.values() for code in codes}),
        without,
    )


def _survey_mail(template: str, recipient: str, invitation: UUID, **facts: object) -> Mail:
    mail = compose(template, recipient, link=links.SLOT, **facts)
    return Mail(mail.recipient, mail.subject, mail.body, fill={"invitation": str(invitation)})


async def links_of(pool: asyncpg.Pool, survey_id: UUID) -> dict[UUID, str]:
    """Per invited partner, its personal link's token: for the demo, which answers for its
    partners. (The hub itself only ever sends a token, in its mail.)"""
    async with pool.acquire() as conn:
        rows = await store.invitations_of(conn, survey_id)
    return {row["partner_id"]: links.link_token(row["id"]) for row in rows}


# --- answering through the personal link ------------------------------------------------------


@dataclass(frozen=True)
class TeamBlock:
    id: int
    code: str
    name: str


@dataclass(frozen=True)
class SurveyForm:
    """What the survey's page shows a partner: its teams and statements, and (while the
    survey is open) what it answered so far."""

    partner: str
    opened_on: date
    closes_on: date
    open: bool
    teams: list[TeamBlock]
    statements: list[Statement]
    answers: dict[tuple[int, int], Score | None]  # (team id, statement id) -> score
    comments: dict[int, str]  # team id -> comment
    answered_at: datetime | None
    withdrawn_at: datetime | None


@dataclass(frozen=True)
class _Invitation:
    id: UUID
    survey_id: UUID
    partner: str
    opened_on: date
    closes_on: date
    answered_at: datetime | None
    withdrawn_at: datetime | None


async def _invitation(conn: Connection, token: str) -> _Invitation | None:
    """The invitation a personal link belongs to; None for anything else."""
    if not links.well_formed(token):
        return None
    row = await store.invitation_by_digest(conn, links.token_digest(token))
    if row is None or not links.is_token_of(token, row["id"]):
        return None
    return _Invitation(
        row["id"],
        row["survey_id"],
        row["partner"],
        row["opened_on"],
        row["closes_on"],
        row["answered_at"],
        row["withdrawn_at"],
    )


async def survey_form(pool: asyncpg.Pool, token: str, today: date) -> SurveyForm | None:
    """The survey behind a personal link; None for a link that is not one. Once the survey
    has closed the link shows no answers."""
    async with pool.acquire() as conn:
        invitation = await _invitation(conn, token)
        if invitation is None:
            return None
        is_open = today <= invitation.closes_on
        teams = [
            TeamBlock(r["id"], r["code"], r["name"])
            for r in await store.invitation_teams(conn, invitation.id)
        ]
        statements = [_statement(r) for r in await store.questions(conn, invitation.survey_id)]
        answers: dict[tuple[int, int], Score | None] = {}
        comments: dict[int, str] = {}
        if is_open:
            for row in await store.answers_of(conn, invitation.id):
                score = row["score"]
                answers[(row["team_id"], row["statement_id"])] = (
                    Score(score) if score is not None else None
                )
            for row in await store.comments_of(conn, invitation.id):
                sealed = keyring().unseal_bytes(row["comment"], COMMENT_PLACE, row["id"])
                comments[row["team_id"]] = sealed.decode()
    return SurveyForm(
        invitation.partner,
        invitation.opened_on,
        invitation.closes_on,
        is_open,
        teams,
        statements,
        answers,
        comments,
        invitation.answered_at if is_open else None,
        invitation.withdrawn_at if is_open else None,
    )


async def _open_invitation(conn: Connection, token: str, today: date) -> _Invitation:
    invitation = await _invitation(conn, token)
    if invitation is None:
        raise NotFound("no such survey link")
    if today > invitation.closes_on:
        raise SurveyClosed(invitation.closes_on)
    return invitation


async def save_answers(
    pool: asyncpg.Pool,
    token: str,
    answers: Mapping[tuple[int, int], Score | None],
    comments: Mapping[int, str],
    now: datetime,
) -> None:
    """The partner's answers through its link, instead of what it answered before: per
    (team id, statement id) a score or None ("don't know"); a statement left out is not
    answered. Comments per team id. Only while the survey is open."""
    async with pool.acquire() as conn, conn.transaction():
        invitation = await _open_invitation(conn, token, local_day(now))
        teams = {row["id"] for row in await store.invitation_teams(conn, invitation.id)}
        asked = {row["id"] for row in await store.questions(conn, invitation.survey_id)}
        for team_id, statement_id in answers:
            if team_id not in teams or statement_id not in asked:
                message = "an answer about a team or statement this survey does not ask"
                raise InvalidFields(message, errors=[{"loc": ["answers"], "msg": message}])
        kept: list[tuple[uuid.UUID, int, bytes]] = []
        for team_id, text in comments.items():
            if team_id not in teams:
                message = "a comment about a team this survey does not ask about"
                raise InvalidFields(message, errors=[{"loc": ["comments"], "msg": message}])
            cleaned = clean_text(text, f"c-{team_id}", MAX_COMMENT)
            if cleaned:
                comment_id = uuid.uuid4()
                sealed = keyring().seal_bytes(cleaned.encode(), COMMENT_PLACE, comment_id)
                kept.append((comment_id, team_id, sealed))
        await store.replace_answers(
            conn,
            invitation.id,
            [
                (t, s, int(score) if score is not None else None)
                for (t, s), score in answers.items()
            ],
            kept,
            now,
        )


async def withdraw_answers(pool: asyncpg.Pool, token: str, now: datetime) -> None:
    """Every answer and comment of the partner gone, while the survey is open; it gets no
    reminders after."""
    async with pool.acquire() as conn, conn.transaction():
        invitation = await _open_invitation(conn, token, local_day(now))
        await store.withdraw(conn, invitation.id, now)


# --- reminders --------------------------------------------------------------------------------


async def send_reminders(pool: asyncpg.Pool, now: datetime, public_url: str) -> int:
    """Remind the partners that have not answered an open survey, 7 and 3 days before it
    closes, each reminder at most once per invitation (counted in the transaction that queues
    its mail, so a second run, on any instance, sends nothing again). Returns the mails
    queued."""
    async with pool.acquire() as conn, conn.transaction():
        due = await store.mark_reminders_due(conn, local_day(now), REMINDER_DAYS, now)
        if not due:
            return 0
        surveys = {row["id"]: row for row in await store.surveys(conn)}
        mails = [
            _survey_mail(
                REMINDER,
                row["contact_email"],
                row["id"],
                partner=row["partner"],
                closes_on=surveys[row["survey_id"]]["closes_on"],
                last=row["number"] == len(REMINDER_DAYS),
                public_url=public_url,
            )
            for row in due
            if row["contact_email"]
        ]
        await queue_mail(conn, REMINDER, mails)
    return len(mails)
