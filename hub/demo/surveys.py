"""The demo's partner survey: seven statements, every demo partner's contact address, and two
past surveys (closed about 14 and 2 months ago) answered by most demo partners, through the
survey's own services, so that the trend, the masking of small counts and partners' verdict
beside the measurement all show something real.

The answers are invented, drawn to tell what the pages should show: partners of Oost (whose
first contacts are late, see `hub.demo.store.simulate_casework`) still rate the keeping of
feedback agreements high, a verdict higher than delivered (measurement); half the partners of
Schalkwijk-Noord rate it low though its feedback comes on time (communication); Zandvoort's
team is rated by too few partners to show; and partners reach the teams more easily than a year
before.
"""

from __future__ import annotations

import json
import random
import re
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, Final

from hub.demo.data import demo_partners, shipped_data
from hub.directory.service import list_teams, set_partner_email
from hub.platform.clock import LOCAL_TIME, today
from hub.surveys.service import (
    links_of,
    list_statements,
    load_statements,
    save_answers,
    start_survey,
)
from schemas.surveys import Score, Theme

if TYPE_CHECKING:
    import asyncpg

    from hub.directory.models import Partner

# Zandvoort's police and Work & Income never answer, and a year ago a few more stayed silent.
SILENT_NOW: Final = (
    "Politie basisteam Zandvoort (demo)",
    "Gemeente Zandvoort, Werk en Inkomen (demo)",
)
SILENT_BEFORE: Final = (*SILENT_NOW, "CJG Haarlem (demo)", "Kennemer Energie (demo)")
# (closed this many days ago, open this many days, who did not answer)
PAST: Final = ((425, 28, SILENT_BEFORE), (55, 28, SILENT_NOW))
# How partners lean per theme (the mean score from 1 to 5), a year before and now.
LEANING: Final = {
    Theme.VISIBILITY: (3.3, 3.5),
    Theme.REACHABILITY: (2.8, 3.7),
    Theme.TAILORED_SUPPORT: (3.7, 3.8),
    Theme.EXPERTISE: (4.0, 4.1),
    Theme.AGREEMENTS_POSSIBLE: (3.6, 3.9),
    Theme.AGREEMENTS_KEPT: (3.6, 3.6),
    Theme.CLARITY: (3.1, 3.4),
}
DOUBTED_TEAM: Final = "SWT-HLM-SCHALKWIJK-NOORD"  # on time, yet half its partners doubt it


def survey_data() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(shipped_data("survey.json"))
    return found


def shipped_statements() -> list[tuple[Theme, str]]:
    """The demo's seven statements, by theme."""
    return [(Theme(theme), text) for theme, text in survey_data()["statements"]]


def contact_email(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    return f"{slug}@example.invalid"


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour), LOCAL_TIME).astimezone(UTC)


def _score(rng: random.Random, mean: float) -> Score | None:
    if rng.random() < 0.08:
        return None  # "don't know"
    return Score(min(5, max(1, round(rng.gauss(mean, 0.9)))))


def _kept(rng: random.Random, team: str, place: int, of: int) -> Score:
    """A partner's rating of "agreements are kept" for a team now: every team's partners agree,
    but the later half (by name) of Schalkwijk-Noord's."""
    if team == DOUBTED_TEAM and place >= of // 2:
        return rng.choice((Score.STRONGLY_DISAGREE, Score.DISAGREE, Score.NEUTRAL))
    return rng.choice((Score.AGREE, Score.STRONGLY_AGREE))


async def load_surveys(pool: asyncpg.Pool, partners: list[Partner]) -> None:
    """The statements, each demo partner's contact address, and the two past surveys."""
    await load_statements(pool, shipped_statements())
    for partner in partners:
        await set_partner_email(pool, partner.name, contact_email(partner.name))
    works_in = {p.name: set(p.works_in) for p in demo_partners()}
    team_ids = {team.code: team.id for team in await list_teams(pool)}
    comments = survey_data()["comments"]
    rng = random.Random(2018)  # noqa: S311 - demo data, not security
    statements = await list_statements(pool)
    for recent, (closed_ago, days_open, silent) in enumerate(PAST):
        closes = today() - timedelta(days=closed_ago)
        opened = closes - timedelta(days=days_open)
        started = await start_survey(
            pool,
            closes,
            None,
            public_url="",
            now=_at(opened, 9),
            pairs={partner.id: works_in[partner.name] for partner in partners},
            mail=False,
        )
        tokens = await links_of(pool, started.survey_id)
        answering = sorted(
            (partner for partner in partners if partner.name not in silent), key=lambda p: p.name
        )
        for number, partner in enumerate(answering):
            answers: dict[tuple[int, int], Score | None] = {}
            for team in sorted(works_in[partner.name]):
                mates = [p.name for p in answering if team in works_in[p.name]]
                place = mates.index(partner.name)
                for statement in statements:
                    theme = statement.theme or Theme.CLARITY
                    if recent and theme is Theme.AGREEMENTS_KEPT:
                        score: Score | None = _kept(rng, team, place, len(mates))
                    else:
                        score = _score(rng, LEANING[theme][recent])
                    answers[(team_ids[team], statement.id)] = score
            notes = {}
            if recent and number % 2 == 0:
                team = sorted(works_in[partner.name])[number % len(works_in[partner.name])]
                notes[team_ids[team]] = comments[(number // 2) % len(comments)]
            await save_answers(
                pool,
                tokens[partner.id],
                answers,
                notes,
                _at(opened + timedelta(days=1 + number % (days_open - 1)), 14),
            )
