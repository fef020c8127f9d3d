"""The partner survey's results for managers, and partners' verdict beside the measurement.

Per team and statement: the shares agreeing, neutral and disagreeing ("don't know" not
counted), the response rate (partners that answered for the team of those invited for it), the
trend (the same statement's share agreeing in earlier surveys of the team), and partners'
comments where at least five partners answered for the team. Every count passes the masking
rule of every manager figure (`hub.privacy.masking`).

Beside it, per team and per kind of partner, "agreements are kept" as partners rate it against
the share of feedback deadlines the hub measured as met on time in the same period (the twelve
months up to the survey's closing day): where the two differ by at least the threshold of
`graphs.weak_links.Thresholds`, that is a finding, and on the network page a weak link.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from typing import TYPE_CHECKING, Final

from graphs.network import Verdict
from graphs.weak_links import Direction, Thresholds, verdict_gap
from hub.network.service import NetworkQuery, load_facts
from hub.platform.errors import NotFound
from hub.privacy.crypto import keyring
from hub.privacy.masking import SMALL, shown, shown_rate, shown_total
from hub.surveys import store
from hub.surveys.service import COMMENT_PLACE, Statement
from schemas.signals import PartnerKind
from schemas.surveys import (
    EarlierShare,
    Finding,
    StatementResult,
    SurveyList,
    SurveyResults,
    SurveySummary,
    TeamResult,
    Theme,
    VerdictRow,
)

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence
    from uuid import UUID

    import asyncpg

# A verdict on the network page comes from the last survey closed within this long before the
# end of the period shown: an older one is no finding any more.
VERDICT_VALID: Final = timedelta(days=366)
FINDING: Final = {Direction.LOWER: Finding.RATED_LOWER, Direction.HIGHER: Finding.RATED_HIGHER}


@dataclass
class Tally:
    """Partners' scores of one statement, as counted (never shown as they are)."""

    agree: int = 0
    neutral: int = 0
    disagree: int = 0
    dont_know: int = 0

    @property
    def answers(self) -> int:
        return self.agree + self.neutral + self.disagree

    def add(self, row: asyncpg.Record | Tally) -> None:
        for key in ("agree", "neutral", "disagree", "dont_know"):
            setattr(
                self,
                key,
                getattr(self, key)
                + int(row[key] if not isinstance(row, Tally) else getattr(row, key)),
            )


def share(part: int, whole: int) -> float | None:
    """`part / whole` to three decimals, or None where it would tell a masked count."""
    rate = shown_rate(part, whole)
    return round(rate, 3) if rate is not None else None


def statement_result(
    statement: Statement, tally: Tally, earlier: list[EarlierShare]
) -> StatementResult:
    parts = [tally.agree, tally.neutral, tally.disagree]
    return StatementResult(
        statement=statement.id,
        theme=statement.theme,
        text=statement.text,
        answers=shown_total(tally.answers, parts),
        agree=shown(tally.agree),
        neutral=shown(tally.neutral),
        disagree=shown(tally.disagree),
        dont_know=shown(tally.dont_know),
        agree_share=share(tally.agree, tally.answers),
        neutral_share=share(tally.neutral, tally.answers),
        disagree_share=share(tally.disagree, tally.answers),
        earlier=earlier,
    )


def _summary(row: asyncpg.Record, today: date) -> SurveySummary:
    return SurveySummary(
        id=row["id"],
        team=row["team"],
        opened_on=row["opened_on"],
        closes_on=row["closes_on"],
        covers_from=row["covers_from"],
        covers_to=row["covers_to"],
        open=today <= row["closes_on"],
        statements=row["statements"],
        invited=shown(row["invited"]),
        answered=shown(row["answered"]),
        response_rate=share(row["answered"], row["invited"]),
    )


async def list_surveys(pool: asyncpg.Pool, today: date) -> SurveyList:
    async with pool.acquire() as conn:
        rows = await store.surveys(conn)
    return SurveyList(surveys=[_summary(row, today) for row in rows])


@dataclass(frozen=True)
class Counted:
    """A survey's counts: per (team id, statement id) and per (team id, statement id, kind)."""

    scores: dict[tuple[UUID, int, int], Tally]  # (survey, team id, statement id)
    by_kind: dict[tuple[UUID, int, int, PartnerKind], Tally]


def _counted(rows: Iterable[asyncpg.Record]) -> Counted:
    scores: dict[tuple[UUID, int, int], Tally] = defaultdict(Tally)
    by_kind: dict[tuple[UUID, int, int, PartnerKind], Tally] = defaultdict(Tally)
    for row in rows:
        scores[(row["survey_id"], row["team_id"], row["statement_id"])].add(row)
        by_kind[
            (row["survey_id"], row["team_id"], row["statement_id"], PartnerKind(row["kind"]))
        ].add(row)
    return Counted(scores, by_kind)


async def survey_results(pool: asyncpg.Pool, survey_id: UUID, today: date) -> SurveyResults:
    """One survey's results as managers may see them."""
    async with pool.acquire() as conn:
        found = await store.surveys(conn, survey_id)
        if not found:
            raise NotFound(f"no survey {survey_id}")
        survey = found[0]
        everything = await store.surveys(conn)
        # Earlier surveys: closed before this one opened.
        earlier = sorted(
            (row for row in everything if row["closes_on"] < survey["opened_on"]),
            key=lambda row: row["closes_on"],
        )
        ids = [survey_id, *(row["id"] for row in earlier)]
        teams = await store.survey_teams(conn, ids)
        counted = _counted(await store.score_counts(conn, ids))
        statements = [
            Statement(row["id"], Theme(row["theme"]) if row["theme"] else None, row["text"])
            for row in await store.questions(conn, survey_id)
        ]
        sealed = await store.comments(conn, survey_id)
    ours = sorted(
        (row for row in teams if row["survey_id"] == survey_id),
        key=lambda row: (row["name"], row["code"]),
    )
    asked_about = {row["id"]: row["team_id"] for row in everything}

    def trend(team_id: int | None, statement: int) -> list[EarlierShare]:
        shares = []
        for row in earlier:
            if team_id is None and row["team_id"] is not None:
                continue
            if team_id is not None and asked_about[row["id"]] not in (None, team_id):
                continue
            tally = Tally()
            for (one, team, asked), counts in counted.scores.items():
                if one == row["id"] and asked == statement and team_id in (None, team):
                    tally.add(counts)
            if tally.answers or tally.dont_know:
                shares.append(
                    EarlierShare(
                        survey=row["id"],
                        closes_on=row["closes_on"],
                        answers=shown(tally.answers),
                        agree_share=share(tally.agree, tally.answers),
                    )
                )
        return shares

    comments: dict[int, list[str]] = defaultdict(list)
    for row in sealed:
        text = keyring().unseal_bytes(row["comment"], COMMENT_PLACE, row["id"])
        comments[row["team_id"]].append(text.decode())
    all_teams = []
    for statement in statements:
        tally = Tally()
        for (one, _, asked), counts in counted.scores.items():
            if one == survey_id and asked == statement.id:
                tally.add(counts)
        all_teams.append(statement_result(statement, tally, trend(None, statement.id)))
    team_results = []
    for row in ours:
        team_id = row["team_id"]
        team_results.append(
            TeamResult(
                code=row["code"],
                name=row["name"],
                invited=shown(row["invited"]),
                answered=shown(row["answered"]),
                response_rate=share(row["answered"], row["invited"]),
                statements=[
                    statement_result(
                        statement,
                        counted.scores.get((survey_id, team_id, statement.id), Tally()),
                        trend(team_id, statement.id),
                    )
                    for statement in statements
                ],
                # In no telling order: not the order partners answered in.
                comments=sorted(comments[team_id], key=str.casefold)
                if row["answered"] >= SMALL
                else None,
            )
        )
    by_team, by_kind = await verdicts(pool, survey, statements, teams, counted)
    names = {row["code"]: row["name"] for row in ours}
    return SurveyResults(
        survey=_summary(survey, today),
        all_teams=all_teams,
        teams=team_results,
        verdict_by_team=[verdict_row(v, names.get(v.team or "")) for v in by_team],
        # The kinds of partner that rated it: a kind no one of which answered has no verdict.
        verdict_by_partner_kind=[verdict_row(v, None) for v in by_kind if v.answers],
    )


# --- partners' verdict beside the measurement -------------------------------------------------


async def verdicts(
    pool: asyncpg.Pool,
    survey: asyncpg.Record,
    statements: Sequence[Statement],
    teams: Sequence[asyncpg.Record],
    counted: Counted,
    *,
    in_scope: set[str] | None = None,
    kind: PartnerKind | None = None,
) -> tuple[list[Verdict], list[Verdict]]:
    """Per team and per kind of partner: ratings of "agreements are kept" in `survey`, and the
    feedback deadlines of its period with how many were met on time. `in_scope` limits the
    teams, `kind` the partners."""
    kept = next((s for s in statements if s.theme is Theme.AGREEMENTS_KEPT), None)
    if kept is None:
        return [], []
    codes = {
        row["team_id"]: row["code"]
        for row in teams
        if row["survey_id"] == survey["id"] and (in_scope is None or row["code"] in in_scope)
    }
    facts = await load_facts(pool, NetworkQuery(survey["covers_from"], survey["covers_to"]))
    kind_of = {partner.id: partner.kind for partner in facts.partners}
    rated_team: dict[str, Tally] = defaultdict(Tally)
    rated_kind: dict[PartnerKind, Tally] = defaultdict(Tally)
    for (survey_id, team_id, statement, partner_kind), tally in counted.by_kind.items():
        if survey_id != survey["id"] or statement != kept.id or team_id not in codes:
            continue
        if kind is not None and partner_kind is not kind:
            continue
        rated_team[codes[team_id]].add(tally)
        rated_kind[partner_kind].add(tally)
    due_team: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    due_kind: dict[PartnerKind, list[int]] = defaultdict(lambda: [0, 0])
    for flow in facts.flows:
        of_kind = kind_of.get(flow.partner)
        if flow.team not in codes.values() or of_kind is None:
            continue
        if kind is not None and of_kind is not kind:
            continue
        for figures in (due_team[flow.team], due_kind[of_kind]):
            figures[0] += flow.due
            figures[1] += flow.on_time
    closed = survey["closes_on"].isoformat()
    by_team = [
        Verdict(
            code,
            None,
            rated_team[code].answers,
            rated_team[code].agree,
            due_team[code][0],
            due_team[code][1],
            closed,
        )
        for code in sorted(set(codes.values()))
    ]
    by_kind = [
        Verdict(
            None,
            partner_kind,
            rated_kind[partner_kind].answers,
            rated_kind[partner_kind].agree,
            due_kind[partner_kind][0],
            due_kind[partner_kind][1],
            closed,
        )
        for partner_kind in PartnerKind
        if partner_kind in rated_kind or partner_kind in due_kind
    ]
    return by_team, by_kind


def shows_both(verdict: Verdict) -> bool:
    """Whether both shares can be shown: only then is a gap between them a finding (else its
    direction would tell a masked count)."""
    return (
        shown_rate(verdict.agreeing, verdict.answers) is not None
        and shown_rate(verdict.on_time, verdict.due) is not None
    )


def verdict_row(verdict: Verdict, team_name: str | None) -> VerdictRow:
    rated = share(verdict.agreeing, verdict.answers)
    measured = share(verdict.on_time, verdict.due)
    direction = verdict_gap(verdict, Thresholds()) if shows_both(verdict) else None
    return VerdictRow(
        team=verdict.team,
        team_name=team_name,
        partner_kind=verdict.partner_kind,
        answers=shown(verdict.answers),
        rated_kept=rated,
        due=shown_total(verdict.due, [verdict.on_time]),
        on_time=shown(verdict.on_time),
        measured_on_time=measured,
        gap_points=(
            round(100 * (rated - measured)) if rated is not None and measured is not None else None
        ),
        finding=FINDING[direction] if direction else None,
    )


async def verdict_facts(pool: asyncpg.Pool, query: NetworkQuery, today: date) -> list[Verdict]:
    """For the network page's period and filters: partners' verdicts in the last survey that
    closed within a year before the period's end, per team and per kind of partner, where both
    shares can be shown."""
    end, municipality, team, kind = query.end, query.municipality, query.team, query.partner_kind
    async with pool.acquire() as conn:
        everything = await store.surveys(conn)
        chosen = next(
            (
                row
                for row in everything
                if row["closes_on"] < today and end - VERDICT_VALID <= row["closes_on"] <= end
            ),
            None,
        )
        if chosen is None:
            return []
        teams = await store.survey_teams(conn, [chosen["id"]])
        counted = _counted(await store.score_counts(conn, [chosen["id"]]))
        statements = [
            Statement(row["id"], Theme(row["theme"]) if row["theme"] else None, row["text"])
            for row in await store.questions(conn, chosen["id"])
        ]
    in_scope = {
        row["code"]
        for row in teams
        if (municipality is None or row["municipality"] == municipality)
        and (team is None or row["code"] == team)
    }
    by_team, by_kind = await verdicts(
        pool, chosen, statements, teams, counted, in_scope=in_scope, kind=kind
    )
    return [verdict for verdict in by_team + by_kind if shows_both(verdict)]


def survey_id_of(text: str) -> UUID | None:
    """A survey id as a page's address gives it; None for anything that is not one."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None
