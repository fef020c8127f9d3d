"""A region's history (issue 19): two years of a region of ten municipalities loaded through the
hub's own functions, then the pages people use every day timed inside the server, each beside
its own SQL run alone through asyncpg, and the DDAS export of a year.

    python benchmarks/region_history.py [--scale 1.0] [--requests 200] [--explain]

`--scale` multiplies every volume (`--scale 0.02` is a quick run). Uses an embedded PostgreSQL
in a temporary directory, or HUB_BENCH_DATABASE_URL (a server where it may create databases).
Prints figures beside their references and ratios; asserts nothing.

What is loaded (at scale 1): 10 municipalities with 30 district teams and a routing table of
synthetic postcodes; ~1,000 partners of every kind (GP practices serve their own district,
corporations and police their municipality, creditors the whole region), ~300 team accounts,
the demo's feedback agreements, ~200,000 signals over two years about households that recur
(about one in three signals is about a household seen before: another partner within days, or
the same household again months later), and the teams' work on them.

How it is loaded:

- Teams, capacities, routing table, partners with tokens, webhooks, agreements, users and saved
  work queues: the hub's service functions. Passwords are hashed with a cheap argon2 setting
  (`use_hasher`), as the test suite does; logging in costs nothing that is measured here.
- Signals: `hub.intake.service.store_signals`, a partner's signals of a week (a month for
  partners sending less than two a week: their monthly list) in one call and transaction,
  dated when the first of them arrived, week after week in order of time.
- Casework: the hub's `act()` dates every step `now()` and costs a transaction and a dozen
  statements a step: two years of 150,000 cases would take hours and be dated today. So after
  each week the steps due by then are written with set-based SQL that writes exactly the rows
  `hub.cases.service.act` and `hub.feedback.obligations.on_case_step` write (events, case,
  signals with the same progress rule, obligations met, feedback messages in the outbox with the
  payload of `_feedback`, the creditors' national status from `creditor_feedback`), dated when
  the step happened: a director takes the case, first contact days later (one case in ten
  first not reached, some never), then closing with an outcome (early-debt cases with the
  national end result); one team in seven is slow, and a few cases are never picked up. Each
  feedback message and team mail is marked delivered a minute after it was written, as the
  delivery job records it. Signals no rule routes are sent back out of area after two days
  (the coordinator's `send_back_out_of_area`, set-based, then the hub's own `forget_now`),
  except those of the last two weeks, which wait in the coordinator's queue.
- Then the hub's retention (`apply_retention`, as the scheduled job runs it), `analyze`, and
  the nightly network report (`hub.network.report.nightly`, as the scheduled job runs it): a
  region's network is too large to draw, and its page is served from that report.

Known differences from a real history: stacking is refreshed against the wall clock (the hub's
`refresh_cases` uses `now()`), so only the last 90 days' cases can be stacked; rows the hub
dates with `now()` and nothing reads by time (households.created_at, obligations.created_at)
carry the load's time.

Timing: the hub's app runs in this process (aiohttp's test server on 127.0.0.1); a middleware
added in front of the hub's own measures each request from arrival to the handler's answer.
Each route is warmed up, then timed `--requests` times in a row. The reference is the SQL of one
such request, recorded with asyncpg's query logger on the hub's pool and replayed in order on a
plain asyncpg connection, as many times.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from argon2 import PasswordHasher
from pydantic import SecretStr

from hub.app import create_app
from hub.cases import service as cases
from hub.cases.workflow import PROGRESS, SETTLED_SIGNAL, SIGNAL_STATUS_OF_CASE
from hub.demo import load_agreements
from hub.demo.data import descriptions, names
from hub.directory.accounts import create_user, login
from hub.directory.models import Partner, Session
from hub.directory.passwords import use_hasher
from hub.directory.service import (
    add_team,
    create_partner,
    list_teams,
    new_partner_token,
    require_partner,
    set_team_capacity,
)
from hub.feedback.delivery import set_webhook
from hub.feedback.obligations import creditor_feedback
from hub.intake.service import store_signals
from hub.network.report import nightly
from hub.platform.config import Settings
from hub.platform.db import create_pool, embedded_postgres, with_database
from hub.platform.heap import frozen_while_serving
from hub.platform.outbound import OutboundRules
from hub.platform.schema import migrate
from hub.platform.store.schema import ensure_database
from hub.privacy.crypto import new_keyring, use_keyring
from hub.privacy.retention import apply_retention, forget_now
from hub.privacy.retention import policy_of as retention_policy
from hub.routing.service import import_routing_table
from hub.surveys.results import verdict_facts
from hub.web.access import SESSION_COOKIE
from hub.web.appkeys import POOL
from schemas.cases import OUTCOME_OF_RESULT, CaseFilter, CaseStatus, Outcome
from schemas.early_debt import ContactKind, DayPart, EarlyDebtResult
from schemas.signals import (
    EARLY_DEBT_SENDERS,
    KINDS_BY_PARTNER,
    Arrears,
    PartnerKind,
    Person,
    ResidentInformed,
    SignalIn,
    SignalKind,
    SignalStatus,
    Urgency,
)

HUB = shutil.which("hub") or str(Path(sys.executable).with_name("hub"))
TARGET_MS = 100.0
DDAS_TARGET_S = 10.0
PASSWORD = "Regio-geschiedenis-2026!"  # noqa: S105 - the benchmark's own accounts
HISTORY = timedelta(days=730)

# The region: municipality (CBS code, name, short name) and how many district teams it has.
MUNICIPALITIES = (
    ("GM0392", "Haarlem", "HLM", 6),
    ("GM0394", "Haarlemmermeer", "HMM", 6),
    ("GM0453", "Velsen", "VLS", 4),
    ("GM0375", "Beverwijk", "BVW", 3),
    ("GM0396", "Heemskerk", "HMK", 3),
    ("GM0383", "Castricum", "CAS", 2),
    ("GM0397", "Heemstede", "HST", 2),
    ("GM0377", "Bloemendaal", "BLD", 2),
    ("GM0473", "Zandvoort", "ZVT", 1),
    ("GM0450", "Uitgeest", "UTG", 1),
)
PC4_PER_TEAM = 3
UNROUTED_PC4 = tuple(str(pc4) for pc4 in range(9990, 10000))  # outside every team's area
LETTERS = "ABCDEGHJKLMNPRTVWXZ"  # no S: SA, SD and SS are never used


@dataclass(frozen=True)
class PartnerMix:
    """A kind of partner: its share of the partners, of the signals, and whom it serves."""

    kind: PartnerKind
    partners: float
    signals: float
    scope: str  # "team" (its own district), "municipality" or "region"
    label: str


MIX = (
    PartnerMix(PartnerKind.GP, 0.44, 0.18, "team", "Huisartsenpraktijk"),
    PartnerMix(PartnerKind.HOUSING, 0.03, 0.12, "municipality", "Woningcorporatie"),
    PartnerMix(PartnerKind.POLICE, 0.03, 0.07, "municipality", "Politie basisteam"),
    PartnerMix(PartnerKind.WORK_INCOME, 0.01, 0.06, "municipality", "Werk en Inkomen"),
    PartnerMix(PartnerKind.YOUTH, 0.02, 0.05, "municipality", "CJG"),
    PartnerMix(PartnerKind.OTHER, 0.20, 0.06, "team", "Welzijnsorganisatie"),
    PartnerMix(PartnerKind.ENERGY, 0.03, 0.10, "region", "Energieleverancier"),
    PartnerMix(PartnerKind.WATER, 0.01, 0.05, "region", "Drinkwaterbedrijf"),
    PartnerMix(PartnerKind.HEALTH_INSURER, 0.02, 0.08, "region", "Zorgverzekeraar"),
    PartnerMix(PartnerKind.COLLECTION_SYSTEM, 0.005, 0.08, "region", "Incassosysteem"),
    PartnerMix(PartnerKind.MORTGAGE, 0.03, 0.02, "region", "Hypotheekverstrekker"),
    PartnerMix(PartnerKind.CREDITOR, 0.12, 0.02, "region", "Schuldeiser"),
    PartnerMix(PartnerKind.TAX_OFFICE, 0.001, 0.004, "region", "Belastingdienst"),
    PartnerMix(PartnerKind.BENEFITS_OFFICE, 0.001, 0.004, "region", "Dienst Toeslagen"),
    PartnerMix(PartnerKind.CAK_CONTRIBUTION, 0.001, 0.004, "region", "CAK eigen bijdrage"),
    PartnerMix(PartnerKind.CAK_INSURANCE, 0.001, 0.004, "region", "CAK wanbetalers"),
    PartnerMix(PartnerKind.DUO, 0.001, 0.004, "region", "DUO"),
)
COLLECTED = (
    PartnerKind.WATER,
    PartnerKind.CAK_INSURANCE,
    PartnerKind.CAK_CONTRIBUTION,
    PartnerKind.DUO,
    PartnerKind.TAX_OFFICE,
    PartnerKind.BENEFITS_OFFICE,
    PartnerKind.ENERGY,
)


# --- the generator ------------------------------------------------------------------------


@dataclass
class RegionPartner:
    index: int
    kind: PartnerKind
    name: str
    teams: list[int]
    volume: float  # its expected share of all signals
    partner: Partner | None = None


@dataclass
class Region:
    teams: list[tuple[str, str, str, str]]  # code, name, municipality code, municipality
    team_municipality: list[int]
    partners: list[RegionPartner]
    households: list[tuple[str, int, str | None, int]]  # postcode, number, letter, team (-1: none)
    # (received_at, partner index, household index, kind, urgent), in order of time
    signals: list[tuple[datetime, int, int, SignalKind, bool]]


def _zipf(count: int, rng: random.Random) -> list[float]:
    weights = [1.0 / (rank + 1) ** 0.8 for rank in range(count)]
    rng.shuffle(weights)
    total = sum(weights)
    return [w / total for w in weights]


def _working_moment(rng: random.Random, start: datetime, span: timedelta) -> datetime:
    """A moment in office hours on a weekday (Dutch time, roughly) within the span."""
    moment = start + span * rng.random()
    while moment.weekday() >= 5:
        moment -= timedelta(days=1)
    return moment.replace(hour=7 + rng.randint(0, 8), minute=rng.randint(0, 59), second=0)


def generate(scale: float, seed: int, end: datetime) -> Region:
    """Teams, partners, households and the signals of two years ending at `end`."""
    rng = random.Random(seed)  # noqa: S311 - example data, not security
    teams: list[tuple[str, str, str, str]] = []
    team_municipality: list[int] = []
    for m, (code, municipality, short, count) in enumerate(MUNICIPALITIES):
        for t in range(count):
            teams.append(
                (
                    f"SWT-{short}-{t + 1}",
                    f"Sociaal Wijkteam {municipality} {t + 1}",
                    code,
                    municipality,
                )
            )
            team_municipality.append(m)
    by_municipality: dict[int, list[int]] = defaultdict(list)
    for team, m in enumerate(team_municipality):
        by_municipality[m].append(team)

    wanted = max(len(MIX) + 2 * len(MUNICIPALITIES), round(1000 * scale))
    partners: list[RegionPartner] = []
    counts = {
        mix.kind: max(
            len(MUNICIPALITIES) if mix.scope == "municipality" else 1, round(mix.partners * wanted)
        )
        for mix in MIX
    }
    counts[PartnerKind.GP] += max(0, wanted - sum(counts.values()))  # GP practices fill up
    for mix in MIX:
        count = counts[mix.kind]
        shares = _zipf(count, rng)
        for number in range(count):
            if mix.scope == "region":
                served = list(range(len(teams)))
            elif mix.scope == "municipality":
                served = by_municipality[number % len(MUNICIPALITIES)]
            else:
                home = rng.randrange(len(teams))
                served = [home]
                siblings = by_municipality[team_municipality[home]]
                if rng.random() < 0.2 and len(siblings) > 1:
                    served.append(rng.choice([t for t in siblings if t != home]))
            partners.append(
                RegionPartner(
                    len(partners),
                    mix.kind,
                    f"{mix.label} {number + 1}",
                    served,
                    mix.signals * shares[number],
                )
            )

    # Per team, the partners that serve it, weighted by how much each sends there.
    per_team: list[tuple[list[int], list[float]]] = []
    for team in range(len(teams)):
        serving = [p for p in partners if team in p.teams]
        cumulative: list[float] = []
        total = 0.0
        for p in serving:
            total += p.volume / len(p.teams)
            cumulative.append(total)
        per_team.append(([p.index for p in serving], cumulative))

    def partner_for(team: int) -> int:
        indices, cumulative = per_team[team]
        return indices[bisect.bisect(cumulative, rng.random() * cumulative[-1])]

    def kind_for(partner: int) -> SignalKind:
        allowed = sorted(KINDS_BY_PARTNER[partners[partner].kind] or {SignalKind.OTHER})
        return rng.choice(allowed)

    target = max(200, round(200_000 * scale))
    start = end - HISTORY
    households: list[tuple[str, int, str | None, int]] = []
    signals: list[tuple[datetime, int, int, SignalKind, bool]] = []
    while len(signals) < target:
        team = rng.randrange(len(teams))
        if rng.random() < 0.01:
            postcode = rng.choice(UNROUTED_PC4) + rng.choice(LETTERS) + rng.choice(LETTERS)
            home = -1
        else:
            pc4 = 1000 + 10 * team + rng.randrange(PC4_PER_TEAM)
            postcode = f"{pc4}{rng.choice(LETTERS)}{rng.choice(LETTERS)}"
            home = team
        household = len(households)
        households.append(
            (postcode, rng.randint(1, 240), rng.choice([None, None, None, None, "A"]), home)
        )
        moment = _working_moment(rng, start, HISTORY)
        partner = partner_for(team)
        kind = kind_for(partner)
        while moment < end and len(signals) < target:
            signals.append((moment, partner, household, kind, rng.random() < 0.12))
            if rng.random() >= 0.4:
                break
            if rng.random() < 0.6:  # another signal within two weeks: stacking, or a repeat
                moment += timedelta(hours=rng.randint(4, 14 * 24))
            else:  # the household again, months later
                moment += timedelta(days=rng.randint(60, 400))
            if rng.random() < 0.5:
                partner = partner_for(team)
                kind = kind_for(partner)
    signals.sort(key=lambda s: s[0])
    return Region(teams, team_municipality, partners, households, signals)


def signal_in(
    region: Region, number: int, moment: datetime, partner: int, household: int, kind: SignalKind
) -> SignalIn:
    """The signal a partner sends: the household's address and person, a description."""
    postcode, house_number, letter, _ = region.households[household]
    rng = random.Random(household)  # noqa: S311 - the same person for the same household
    initials, surnames = NAMES
    person = (
        Person(
            name=f"{rng.choice(initials)} {rng.choice(surnames)}",
            birth_date=date(rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)),
        )
        if rng.random() < 0.8
        else None
    )
    partner_kind = region.partners[partner].kind
    arrears = None
    if kind is SignalKind.PAYMENT_ARREARS or (kind is SignalKind.RENT_ARREARS and number % 2 == 0):
        signalled = moment.date() - timedelta(days=1 + number % 5)
        crisis = number % 13 == 0
        arrears = Arrears(
            amount_eur=Decimal(90 + (number * 37) % 2300),
            since=signalled - timedelta(days=30 + number % 70),
            creditor=COLLECTED[number % len(COLLECTED)]
            if partner_kind is PartnerKind.COLLECTION_SYSTEM
            else None,
            signalled_on=signalled,
            crisis=crisis,
            ends_on=signalled + timedelta(days=28)
            if crisis and partner_kind is PartnerKind.ENERGY
            else None,
            warm_handover=number % 10 == 0,
        )
    return SignalIn(
        external_ref=f"RH-{partner}-{number}",
        kind=kind,
        urgency=Urgency.HIGH if region_urgent(number) else Urgency.NORMAL,
        address={"postcode": postcode, "house_number": house_number, "house_letter": letter},
        person=person,
        resident_informed=ResidentInformed(informed=True)
        if number % 10 < 7
        else ResidentInformed(informed=False, reason="Niet bereikbaar geweest"),
        description=DESCRIPTIONS[kind][number % len(DESCRIPTIONS[kind])],
        arrears=arrears,
    )


def region_urgent(number: int) -> bool:
    return number % 8 == 0


NAMES = names()
DESCRIPTIONS = descriptions()


# --- loading through the hub's functions -----------------------------------------------------


@dataclass
class Loaded:
    name: str
    dsn: str
    keys: str
    load_seconds: float
    step_seconds: dict[str, float] = field(default_factory=dict)
    reused: bool = False  # --reuse: a database an earlier run kept


def _routing_csv(region: Region) -> str:
    lines = ["postcode,house_number_from,house_number_to,parity,team_code,valid_from,valid_to"]
    for team, (code, *_rest) in enumerate(region.teams):
        for offset in range(PC4_PER_TEAM):
            lines.append(f"{1000 + 10 * team + offset},,,,{code},,")
    return "\n".join(lines) + "\n"


async def load_directory(pool: asyncpg.Pool, region: Region, scale: float) -> None:
    """Teams, routing, partners (tokens, webhooks), agreements and people, through services."""
    for code, name, municipality_code, municipality in region.teams:
        await add_team(
            pool, code, name, municipality_code, municipality, f"{code.lower()}@regio.invalid"
        )
    workers = max(2 * len(region.teams), round(300 * scale))
    for team, (code, *_rest) in enumerate(region.teams):
        staff = workers // len(region.teams) + (team < workers % len(region.teams))
        await set_team_capacity(pool, code, max(20, round(staff * 25 * max(scale, 0.05) * 2)))
    report, applied = await import_routing_table(pool, _routing_csv(region), partial=False)
    if not applied:
        raise SystemExit(f"the region's routing table was refused: {report.refused}")
    rules = OutboundRules(allow_http=True, allow_private=True)
    for p in region.partners:
        p.partner, _token = await create_partner(pool, p.name, p.kind)
        if p.index % 3 == 0:  # a third take feedback by webhook (never sent: loopback, no job)
            await set_webhook(pool, p.name, "http://127.0.0.1:9/terugkoppeling", rules)
    await load_agreements(pool)
    teams = {team.code: team for team in await list_teams(pool)}
    for team_index, (code, *_rest) in enumerate(region.teams):
        staff = workers // len(region.teams) + (team_index < workers % len(region.teams))
        for number in range(staff):
            role = "lead" if number == 0 else "member"
            await create_user(
                pool,
                f"{role}{number}.{code.lower()}@regio.invalid",
                PASSWORD,
                role,
                None,
                teams[code].id,
                f"Medewerker {number + 1} {code}",
            )
    for role in ("coordinator", "manager", "admin"):
        await create_user(pool, f"{role}@regio.invalid", PASSWORD, role, None, None, role.title())


def _chunks(region: Region) -> Iterator[tuple[int, list[tuple[int, datetime, int, int, Any]]]]:
    """Per week (in order), the calls to store_signals: a partner's signals of the week (or of
    four weeks, for a partner sending fewer than two a week), each dated at its first signal."""
    start = region.signals[0][0]
    weekly = len(region.signals) / (HISTORY.days / 7)
    period = {
        p.index: 1 if p.volume * weekly >= 2 else 4 for p in region.partners
    }  # weeks a call covers
    calls: dict[tuple[int, int], list[tuple[int, datetime, int, int, Any]]] = {}
    for number, (moment, partner, household, kind, _) in enumerate(region.signals):
        week = (moment - start).days // 7
        key = (week - week % period[partner], partner)
        calls.setdefault(key, []).append((number, moment, partner, household, kind))
    by_week: dict[int, list[list[tuple[int, datetime, int, int, Any]]]] = defaultdict(list)
    for (week, _), rows in calls.items():
        by_week[week].append(rows)
    for week in sorted(by_week):
        yield week, sorted(by_week[week], key=lambda rows: rows[0][1])


async def load_signals(
    conn: asyncpg.Connection, region: Region, casework: Casework, end: datetime
) -> tuple[int, float, float]:
    """Every signal through store_signals, week by week, with the week's casework after it;
    returns the calls made and the seconds spent in intake and in casework."""
    start = region.signals[0][0]
    intake = work = 0.0
    calls = 0
    last_week = -1
    for week, chunks in _chunks(region):
        for rows in chunks:
            partner = region.partners[rows[0][2]]
            assert partner.partner is not None  # noqa: S101 - loaded above
            batch = [
                signal_in(region, number, moment, p, household, kind)
                for number, moment, p, household, kind in rows
            ]
            started = time.perf_counter()
            async with conn.transaction():
                before = await conn.fetchval("select coalesce(max(id), 0) from outbox")
                await store_signals(conn, partner.partner, batch, received_at=rows[0][1])
                await casework.delivered_since(conn, before, rows[0][1])
            intake += time.perf_counter() - started
            calls += 1
        for step in range(last_week + 1, week + 1):
            started = time.perf_counter()
            await casework.run(conn, min(start + timedelta(days=7 * (step + 1)), end), end)
            work += time.perf_counter() - started
        last_week = week
    started = time.perf_counter()
    await casework.run(conn, end, end)
    work += time.perf_counter() - started
    return calls, intake, work


# --- casework, set-based, as the services write it ---------------------------------------------

SETTLED = [status.value for status in SETTLED_SIGNAL]
PROGRESS_STEPS = [status.value for status in PROGRESS]
EARLY_DEBT_KINDS = [SignalKind.PAYMENT_ARREARS.value, SignalKind.RENT_ARREARS.value]
CREDITOR_KINDS = [kind.value for kind in EARLY_DEBT_SENDERS]
# How teams try to reach a resident, and how cases end: weighted lists indexed by a hash of the
# case id.
CONTACT_KINDS = [ContactKind.PHONE] * 4 + [
    ContactKind.HOME_VISIT,
    ContactKind.APPOINTMENT,
    ContactKind.LETTER,
    ContactKind.EMAIL,
]
OUTCOMES = (
    [Outcome.HELP_STARTED] * 9
    + [Outcome.REFERRED_ELSEWHERE] * 4
    + [Outcome.NO_HELP_NEEDED] * 3
    + [Outcome.DECLINED] * 2
    + [Outcome.REPEAT_SIGNAL, Outcome.OTHER]
)
RESULTS = (
    [EarlyDebtResult.FOLLOW_UP_FINANCIAL] * 4
    + [EarlyDebtResult.ADVICE_QUICK_FIX] * 3
    + [EarlyDebtResult.FOLLOW_UP_NON_FINANCIAL] * 2
    + [EarlyDebtResult.PAID_OR_ARRANGED] * 2
    + [EarlyDebtResult.KNOWN_TO_DEBT_SERVICE, EarlyDebtResult.MANAGES_ALONE]
    + [EarlyDebtResult.NO_REACTION_AFTER_CONTACT]
)

# Each case's plan follows from a hash of its id (h): taken 2-74 hours after it opened, first
# contact 1-10 days after that (5 more in a slow team), closed 3-30 days after contact; one in
# ten first tried and not reached, a third of those never reached; one in 300 never picked up.
_PLAN = """
    create temporary table plan on commit drop as
    select c.id as case_id, c.team_id,
           c.opened_at + make_interval(hours => 2 + h % 72) as take_at,
           c.opened_at + make_interval(hours => 2 + h % 72)
               + make_interval(days => 1 + (h / 72) % 10
                                       + case when c.team_id % 7 = 3 then 5 else 0 end)
               as contact_at,
           (h / 720) % 10 = 0 as unreached_first,
           (h / 720) % 30 = 0 as never_reached,
           (h / 21600) % 300 = 0 as forgotten,
           h
    from (select c.*, abs(hashtext(c.id::text)) as h from cases c
          where c.closed_at is null) c
"""
_CLOSE_AFTER = "make_interval(days => 3 + (p.h / 7) % 28)"


class Casework:
    """The teams' steps due by a moment, written as `act()` writes them."""

    def __init__(self) -> None:
        self.coordinator = ""
        told: list[tuple[str, str | None, str | None, str, str]] = []
        for step in ("first_contact", "outcome"):
            for outcome in [None, *Outcome]:
                for result in [None, *EarlyDebtResult]:
                    if step == "first_contact" and (outcome or result):
                        continue
                    said = creditor_feedback(step, outcome.value if outcome else None, result)
                    told.append(
                        (
                            step,
                            outcome.value if outcome else None,
                            result.value if result else None,
                            said["early_debt_status"],
                            said["early_debt_status_text"],
                        )
                    )
        self.told = told

    async def prepare(self, conn: asyncpg.Connection) -> None:
        self.coordinator = str(
            await conn.fetchval("select id from users where role = 'coordinator' limit 1")
        )
        await conn.execute(
            """
            create temporary table staff as
            select team_id, id as user_id,
                   row_number() over (partition by team_id order by id) - 1 as place,
                   count(*) over (partition by team_id) as size
            from users where role in ('member', 'lead') and team_id is not null
            """
        )
        await conn.execute(
            """
            create temporary table creditor_told (step text, outcome text, result text,
                                                  status text, text text)
            """
        )
        await conn.executemany("insert into creditor_told values ($1, $2, $3, $4, $5)", self.told)

    async def delivered_since(self, conn: asyncpg.Connection, after_id: int, at: datetime) -> None:
        """What store_signals put in the outbox (receipts, team mail) was written at `at` and
        delivered a minute later, as `hub.platform.store.outbox.delivered` records it."""
        await conn.execute(
            """
            update outbox set created_at = $2::timestamptz, next_attempt_at = $2::timestamptz,
                delivered_at = $2::timestamptz + interval '1 minute', attempts = attempts + 1
            where id > $1
            """,
            after_id,
            at,
        )

    async def run(self, conn: asyncpg.Connection, until: datetime, end: datetime) -> None:
        """Every step due by `until`, in the order a team takes them."""
        async with conn.transaction():
            await conn.execute(_PLAN)
            await self._step(
                conn,
                """
                select p.case_id, p.take_at as at, s.user_id as director, '{}'::jsonb as data,
                       'take' as kind
                from plan p join cases c on c.id = p.case_id
                join staff s on s.team_id = p.team_id and s.place = p.h % s.size
                where c.status = 'new' and c.director_id is null and not p.forgotten
                  and p.take_at <= $1
                """,
                until,
                case_status=CaseStatus.ACCEPTED,
                signal_status=SignalStatus.ACCEPTED,
            )
            contact = """
                jsonb_build_object(
                    'reached', {reached},
                    'on', (({at}) at time zone 'Europe/Amsterdam')::date,
                    'how', ($2::text[])[1 + p.h % cardinality($2::text[])],
                    'part_of_day', ($3::text[])[1 + (p.h / 3) % cardinality($3::text[])])
            """
            how = [kind.value for kind in CONTACT_KINDS]
            parts = [part.value for part in DayPart]
            await self._step(
                conn,
                f"""
                select p.case_id, p.contact_at - interval '1 day' as at,
                       c.director_id as director,
                       {contact.format(reached="false", at="p.contact_at - interval '1 day'")}
                           as data,
                       'contact_attempt' as kind
                from plan p join cases c on c.id = p.case_id
                where c.status = 'accepted' and p.unreached_first
                  and p.contact_at - interval '1 day' <= $1
                """,  # noqa: S608 - constant fragments
                until,
                how,
                parts,
                case_status=CaseStatus.CONTACTING,
                signal_status=SIGNAL_STATUS_OF_CASE[CaseStatus.CONTACTING],
            )
            await self._step(
                conn,
                f"""
                select p.case_id, p.contact_at as at, c.director_id as director,
                       {contact.format(reached="true", at="p.contact_at")} as data,
                       'contact_attempt' as kind
                from plan p join cases c on c.id = p.case_id
                where c.status in ('accepted', 'contacting') and not p.never_reached
                  and p.contact_at <= $1
                """,  # noqa: S608 - constant fragments
                until,
                how,
                parts,
                case_status=CaseStatus.REACHED,
                signal_status=SIGNAL_STATUS_OF_CASE[CaseStatus.REACHED],
                meets=["first_contact"],
                topic="first_contact",
            )
            await self._step(
                conn,
                f"""
                select p.case_id, p.contact_at + {_CLOSE_AFTER} as at,
                       c.director_id as director,
                       jsonb_build_object('outcome', o.outcome)
                           || case when o.result is null then '{{}}'::jsonb
                              else jsonb_build_object('early_debt_result', o.result) end
                           as data,
                       'close' as kind
                from plan p join cases c on c.id = p.case_id
                cross join lateral (
                    select exists (select 1 from signals s where s.case_id = p.case_id
                                   and s.kind = any($5::text[])) as early
                ) e
                cross join lateral (
                    select case
                        when c.status = 'contacting' and e.early then $7::text
                        when e.early
                            then ($3::text[])[1 + (p.h / 11) % cardinality($3::text[])]
                        end as result
                ) r
                cross join lateral (
                    select r.result,
                        case
                        when c.status = 'contacting' then $8::text
                        when r.result is not null then (
                            select t.outcome from unnest($4::text[], $6::text[])
                                as t (result, outcome) where t.result = r.result)
                        else ($2::text[])[1 + (p.h / 11) % cardinality($2::text[])]
                        end as outcome
                ) o
                where (c.status = 'reached'
                       or (c.status = 'contacting' and p.never_reached))
                  and p.contact_at + {_CLOSE_AFTER} <= $1
                """,  # noqa: S608 - constant fragments
                until,
                [outcome.value for outcome in OUTCOMES],
                [result.value for result in RESULTS],
                [result.value for result in OUTCOME_OF_RESULT],
                EARLY_DEBT_KINDS,
                [outcome.value for outcome in OUTCOME_OF_RESULT.values()],
                EarlyDebtResult.NEVER_REACHED.value,
                Outcome.NOT_REACHED.value,
                case_status=CaseStatus.CLOSED,
                signal_status=SIGNAL_STATUS_OF_CASE[CaseStatus.CLOSED],
                meets=["first_contact", "outcome"],
                topic="outcome",
            )
        await self._out_of_area(conn, until, end)

    async def _step(
        self,
        conn: asyncpg.Connection,
        picked: str,
        *args: Any,
        case_status: CaseStatus,
        signal_status: SignalStatus,
        meets: list[str] | None = None,
        topic: str | None = None,
    ) -> None:
        """One kind of step for every case picked (case_id, at, director, data, kind): the
        event, the case, its signals as `set_signals_of_case` moves them, the obligations met and
        the partners told (`on_case_step`), as `act()` does for each."""
        await conn.execute(
            f"create temporary table picked on commit drop as {picked}",
            *args,
        )
        await conn.execute(
            """
            insert into events (case_id, kind, actor, data, occurred_at)
            select case_id, kind, 'user:' || director, data, at from picked order by at
            """
        )
        closing = case_status is CaseStatus.CLOSED
        await conn.execute(
            """
            update cases c set status = $1, director_id = p.director,
                outcome = case when $2 then p.data ->> 'outcome' end,
                updated_at = p.at, closed_at = case when $2 then p.at end
            from picked p where c.id = p.case_id
            """,
            case_status.value,
            closing,
        )
        await conn.execute(
            """
            create temporary table moved on commit drop as
            with next as (
                select s.id, p.at, case
                    when array_position($3::text[], $1) is null then $1
                    when array_position($3::text[], s.status) >= array_position($3::text[], $1)
                        then s.status
                    else $1 end as status
                from signals s join picked p on p.case_id = s.case_id
                where s.status <> all($2::text[]) and s.received_at <= p.at
            ), updated as (
                update signals s set status = n.status,
                    status_at = case when n.status <> s.status then n.at else s.status_at end
                from next n where s.id = n.id
                returning s.id, n.at
            )
            select * from updated
            """,
            signal_status.value,
            SETTLED,
            PROGRESS_STEPS,
        )
        if meets:
            await conn.execute(
                """
                update obligations o set met_at = m.at from moved m
                where o.signal_id = m.id and o.step = any($1::text[]) and o.met_at is null
                """,
                meets,
            )
        if topic:
            await self._tell(conn, topic)
        await conn.execute("drop table picked; drop table moved")

    async def _tell(self, conn: asyncpg.Connection, topic: str) -> None:
        """The feedback messages `tell_partners` writes for the moved signals of partners with
        a webhook (a creditor hears the national status only), delivered a minute later."""
        await conn.execute(
            """
            insert into outbox (channel, topic, partner_id, signal_id, payload, created_at,
                                next_attempt_at, delivered_at, attempts)
            select 'webhook', $1, s.partner_id, s.id,
                   jsonb_build_object(
                       'signal_id', s.id::text, 'external_ref', s.external_ref, 'step', $1,
                       'at', m.at, 'status', s.status, 'outcome', o.outcome)
                   || case when s.kind = 'payment_arrears' or p.kind = any($2::text[])
                      then jsonb_build_object('outcome', null,
                           'early_debt_status', t.status, 'early_debt_status_text', t.text)
                      else '{}'::jsonb end,
                   m.at, m.at, m.at + interval '1 minute', 1
            from moved m join signals s on s.id = m.id
            join partner_webhooks w on w.partner_id = s.partner_id
            join partners p on p.id = s.partner_id
            left join lateral (
                select c.outcome, e.data ->> 'early_debt_result' as result
                from cases c left join picked e on e.case_id = c.id
                where c.id = s.case_id and $1 = 'outcome'
            ) o on true
            left join creditor_told t on t.step = $1
                and t.outcome is not distinct from o.outcome
                and t.result is not distinct from o.result
            order by s.received_at, s.id
            """,
            topic,
            CREDITOR_KINDS,
        )

    async def _out_of_area(self, conn: asyncpg.Connection, until: datetime, end: datetime) -> None:
        """Signals no rule routed, sent back by the coordinator two days after they came (as
        `send_back_out_of_area`), except the last two weeks' (still in the queue)."""
        async with conn.transaction():
            rows = await conn.fetch(
                """
                select s.id, s.household_id, s.received_at + interval '2 days' as at
                from signals s
                where s.status = 'unrouted' and s.received_at + interval '2 days' <= $1
                  and s.received_at < $2
                """,
                until,
                end - timedelta(days=14),
            )
            if not rows:
                return
            await conn.execute(
                """
                create temporary table moved on commit drop as
                with gone as (
                    select * from unnest($1::uuid[], $2::timestamptz[]) as g (id, at)
                ), updated as (
                    update signals s set status = 'out_of_area', team_id = null,
                        status_at = g.at
                    from gone g where s.id = g.id
                    returning s.id, g.at
                )
                select * from updated
                """,
                [row["id"] for row in rows],
                [row["at"] for row in rows],
            )
            await conn.execute(
                """
                insert into events (signal_id, kind, actor, data, occurred_at)
                select id, 'out_of_area', 'user:' || $1, '{}'::jsonb, at from moved order by at
                """,
                self.coordinator,
            )
            await conn.execute(
                "update obligations o set met_at = m.at from moved m "
                "where o.signal_id = m.id and o.step = 'outcome' and o.met_at is null"
            )
            await conn.execute(
                "delete from obligations o using moved m "
                "where o.signal_id = m.id and o.step = 'first_contact' and o.met_at is null"
            )
            await conn.execute(
                """
                create temporary table picked on commit drop as
                select null::uuid as case_id, null::jsonb as data where false
                """
            )
            await conn.execute(
                """
                insert into outbox (channel, topic, partner_id, signal_id, payload, created_at,
                                    next_attempt_at, delivered_at, attempts)
                select 'webhook', 'outcome', s.partner_id, s.id,
                       jsonb_build_object(
                           'signal_id', s.id::text, 'external_ref', s.external_ref,
                           'step', 'outcome', 'at', m.at, 'status', s.status,
                           'outcome', $1::text)
                       || case when s.kind = 'payment_arrears' or p.kind = any($2::text[])
                          then jsonb_build_object('outcome', null,
                               'early_debt_status', t.status, 'early_debt_status_text', t.text)
                          else '{}'::jsonb end,
                       m.at, m.at, m.at + interval '1 minute', 1
                from moved m join signals s on s.id = m.id
                join partner_webhooks w on w.partner_id = s.partner_id
                join partners p on p.id = s.partner_id
                left join creditor_told t on t.step = 'outcome' and t.outcome = $1
                    and t.result is null
                order by s.received_at, s.id
                """,
                Outcome.OUT_OF_AREA.value,
                CREDITOR_KINDS,
            )
            await forget_now(
                conn,
                [row["id"] for row in rows],
                sorted({row["household_id"] for row in rows}),
                until,
            )
            await conn.execute("drop table moved; drop table picked")


async def load_region(server: str, scale: float, seed: int) -> tuple[Loaded, Region]:
    """A new database with the region's two years; how long each part took."""
    use_hasher(PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    end = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    started = time.perf_counter()
    region = generate(scale, seed, end)
    steps = {"generate (Python)": time.perf_counter() - started}
    name = f"region_{uuid.uuid4().hex[:8]}"
    await ensure_database(server, name)
    keyring = new_keyring()
    use_keyring(keyring)
    dsn = with_database(server, name)
    pool = await create_pool(dsn, min_size=1, max_size=4)
    try:
        async with pool.acquire() as conn:
            await migrate(conn)
        mark = time.perf_counter()
        await load_directory(pool, region, scale)
        steps["teams, routing, partners, users"] = time.perf_counter() - mark
        casework = Casework()
        async with pool.acquire() as conn:
            await casework.prepare(conn)
            calls, intake, work = await load_signals(conn, region, casework, end)
            steps[f"signals: store_signals ({calls} calls)"] = intake
            steps["casework and the coordinator (set-based SQL)"] = work
        mark = time.perf_counter()
        policy = retention_policy(Settings(scheduler=False))
        await apply_retention(pool, policy, end)
        steps["retention (apply_retention)"] = time.perf_counter() - mark
        mark = time.perf_counter()
        async with pool.acquire() as conn:
            await conn.execute("vacuum analyze")
        steps["vacuum analyze"] = time.perf_counter() - mark
        mark = time.perf_counter()
        await nightly(pool, date.today(), verdict_facts)  # what the scheduled job did last night
        steps["nightly network report (hub.network.report.nightly)"] = time.perf_counter() - mark
    finally:
        await pool.close()
    loaded = Loaded(name, dsn, keyring.to_json(), time.perf_counter() - started, steps)
    return loaded, region


COUNTED = (
    "teams",
    "routing_rules",
    "partners",
    "partner_webhooks",
    "users",
    "feedback_agreements",
    "households",
    "signals",
    "cases",
    "events",
    "obligations",
    "outbox",
    "access_log",
    "work_queues",
)


async def row_counts(dsn: str) -> dict[str, int]:
    conn = await asyncpg.connect(dsn)
    try:
        return {
            table: int(await conn.fetchval(f"select count(*) from {table}"))  # noqa: S608 - ours
            for table in COUNTED
        }
    finally:
        await conn.close()


# --- timing the pages ----------------------------------------------------------------------


@dataclass
class Recorder:
    """Server-side time of each request, and (when asked) the SQL of one request."""

    elapsed: list[float] = field(default_factory=list)
    recording: bool = False
    queries: list[tuple[str, tuple[Any, ...], float]] = field(default_factory=list)

    @web.middleware
    async def middleware(
        self, request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
    ) -> web.StreamResponse:
        started = time.perf_counter()
        try:
            return await handler(request)
        finally:
            self.elapsed.append(time.perf_counter() - started)

    def log(self, query: asyncpg.connection.LoggedQuery) -> None:
        if self.recording:
            self.queries.append((query.query, tuple(query.args or ()), query.elapsed))

    async def attach(self, conn: Any) -> None:
        """The pool's setup hook: every connection the hub borrows reports its queries (a
        logger is added once per connection: asyncpg keeps them in a set)."""
        conn.add_query_logger(self.log)


@dataclass
class Page:
    label: str
    path: str
    who: str  # "member", "coordinator", "partner", "manager", "partner_token"


@dataclass
class Result:
    page: Page
    hub: list[float]
    sql: list[float]
    statements: list[tuple[str, tuple[Any, ...], float]]
    each: list[float]  # seconds each statement took over all replays


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


async def replay(
    conn: asyncpg.Connection,
    statements: list[tuple[str, tuple[Any, ...], float]],
    each: list[float] | None = None,
) -> float:
    """Run a request's statements in order; the seconds they took (and, in `each`, the sum of
    each statement's)."""
    started = time.perf_counter()
    for place, (query, args, _) in enumerate(statements):
        mark = time.perf_counter()
        if args:
            await conn.fetch(query, *args)
        else:
            await conn.execute(query)
        if each is not None:
            each[place] += time.perf_counter() - mark
    return time.perf_counter() - started


async def pick_subjects(dsn: str) -> dict[str, Any]:
    """Whom to log in as and what to open: the director with the most open cases (and their
    team's busiest open case), the partner with the most signals, its latest signal."""
    conn = await asyncpg.connect(dsn)
    try:
        director = await conn.fetchrow(
            """
            select u.id, u.email, u.team_id from cases c join users u on u.id = c.director_id
            where c.closed_at is null group by u.id order by count(*) desc limit 1
            """
        )
        case_id = await conn.fetchval(
            """
            select c.id from cases c join signals s on s.case_id = c.id
            where c.director_id = $1 and c.closed_at is null
            group by c.id order by count(*) desc, c.id limit 1
            """,
            director["id"],
        )
        partner = await conn.fetchrow(
            """
            select p.id, p.name from signals s join partners p on p.id = s.partner_id
            group by p.id order by count(*) desc limit 1
            """
        )
        top_partner = await conn.fetchval(
            """
            select s.partner_id from signals s join cases c on c.id = s.case_id
            where c.team_id = $1 group by 1 order by count(*) desc limit 1
            """,
            director["team_id"],
        )
        signal_id = await conn.fetchval(
            "select id from signals where partner_id = $1 order by received_at desc limit 1",
            partner["id"],
        )
    finally:
        await conn.close()
    return {
        "director": director["email"],
        "case": case_id,
        "partner": partner["name"],
        "partner_id": partner["id"],
        "team_partner": top_partner,
        "signal": signal_id,
    }


async def sign_in(pool: asyncpg.Pool, email: str) -> Session:
    session = await login(pool, email, PASSWORD, "127.0.0.1")
    if not isinstance(session, Session):
        raise SystemExit(f"could not log in as {email}: {session}")
    return session


async def time_pages(
    loaded: Loaded, requests: int, warm_up: int
) -> tuple[list[Result], dict[str, Any]]:
    subjects = await pick_subjects(loaded.dsn)
    work = Path(tempfile.mkdtemp(prefix="region-history-"))
    settings = Settings(
        data_dir=work / "hub-data",
        scheduler=False,
        keys=SecretStr(loaded.keys),
        partner_rate_per_minute=1e9,
        partner_rate_burst=1_000_000_000,
        max_in_flight=100_000,
    )
    app = create_app(settings, loaded.dsn)
    recorder = Recorder()
    app.middlewares.insert(0, recorder.middleware)

    async def record_queries(app: web.Application) -> Any:
        # asyncpg's `setup` hook (called on every acquire), set on the hub's pool once it
        # exists: asyncpg keeps a copy in each connection holder, so it is set there.
        for holder in app[POOL]._holders:
            holder._setup = recorder.attach
        yield

    app.cleanup_ctx.insert(1, record_queries)
    app.cleanup_ctx.append(frozen_while_serving)  # as `hub serve` does, once started
    results: list[Result] = []
    async with TestClient(TestServer(app, host="127.0.0.1")) as client:
        pool = app[POOL]
        member_session = await sign_in(pool, subjects["director"])
        member = member_session.user
        queues = [
            ("Te laat", "open", CaseFilter(overdue=True)),
            ("Huurachterstand", "open", CaseFilter(kind=SignalKind.RENT_ARREARS)),
            ("Nog niemand", "new", CaseFilter(director="nobody")),
        ]
        partner_email = "medewerker@grootste-partner.invalid"
        partner = await require_partner(pool, subjects["partner"])
        partner_token = await new_partner_token(pool, subjects["partner"])
        if not loaded.reused:
            for queue_name, tab, found in queues:
                await cases.save_work_queue(pool, member, queue_name, tab, found)
            await create_user(pool, partner_email, PASSWORD, "partner", partner)
        sessions = {
            "member": member_session,
            "coordinator": await sign_in(pool, "coordinator@regio.invalid"),
            "partner": await sign_in(pool, partner_email),
            "manager": await sign_in(pool, "manager@regio.invalid"),
        }
        pages = [
            Page("inbox: Nieuw", "/inbox?tab=new", "member"),
            Page("inbox: Mijn zaken", "/inbox?tab=mine", "member"),
            Page("inbox: Alle open", "/inbox?tab=open", "member"),
            Page("inbox: Afgesloten", "/inbox?tab=closed", "member"),
            Page(
                "inbox: filter (status, partner)",
                f"/inbox?tab=open&status=reached&partner={subjects['team_partner']}",
                "member",
            ),
            Page("inbox: saved queue (te laat)", "/inbox?tab=open&te_laat=ja", "member"),
            Page("case page", f"/inbox/zaken/{subjects['case']}", "member"),
            Page("coordinator's queue", "/coordinator", "coordinator"),
            Page("partner: Mijn signalen", "/signalen", "partner"),
            Page("compliance, 12 weeks", "/beheer/terugkoppeling", "manager"),
            Page("team load", "/beheer/teams", "manager"),
            Page("network page", "/beheer/netwerk", "manager"),
            Page("GET /api/v1/cases", "/api/v1/cases", "member"),
            Page("GET /api/v1/signals/{id}", f"/api/v1/signals/{subjects['signal']}", "token"),
        ]
        reference = await asyncpg.connect(loaded.dsn)
        await reference.set_type_codec(
            "jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog"
        )
        try:
            for page in pages:
                if page.who == "token":
                    headers = {"Authorization": f"Bearer {partner_token}"}
                else:
                    headers = {"Cookie": f"{SESSION_COOKIE}={sessions[page.who].token}"}

                async def get(page: Page = page, headers: dict[str, str] = headers) -> None:
                    async with client.get(page.path, headers=headers, allow_redirects=False) as r:
                        await r.read()
                        if r.status != 200:
                            raise SystemExit(f"{page.label}: {page.path} answered {r.status}")

                for _ in range(warm_up):
                    await get()
                recorder.queries.clear()
                recorder.recording = True
                await get()
                await asyncio.sleep(0.01)  # asyncpg calls query loggers soon after, not at once
                recorder.recording = False
                statements = list(recorder.queries)
                if not statements:
                    raise SystemExit(f"{page.label}: no SQL was recorded")
                recorder.elapsed.clear()
                for _ in range(requests):
                    await get()
                hub = list(recorder.elapsed)
                for _ in range(min(warm_up, 3)):
                    await replay(reference, statements)
                each = [0.0] * len(statements)
                sql = [await replay(reference, statements, each) for _ in range(requests)]
                results.append(Result(page, hub, sql, statements, [t / requests for t in each]))
                print(
                    f"  {page.label:<34} hub p95 {1000 * percentile(hub, 0.95):8.1f} ms  "
                    f"SQL p95 {1000 * percentile(sql, 0.95):8.1f} ms  "
                    f"({len(statements)} statements)",
                    flush=True,
                )
        finally:
            await reference.close()
    shutil.rmtree(work, ignore_errors=True)
    return results, subjects


def _reads(query: str) -> bool:
    """A statement that reads (select or with), after any leading SQL comments."""
    code = [line for line in query.splitlines() if not line.strip().startswith("--")]
    return " ".join(code).lstrip().lower().startswith(("select", "with"))


async def explain(dsn: str, results: list[Result], pages: int, lines: int) -> None:
    """EXPLAIN (ANALYZE, BUFFERS) of the heaviest statements of the slowest pages (each in a
    transaction that is rolled back: some statements write the access log)."""
    conn = await asyncpg.connect(dsn)
    await conn.set_type_codec("jsonb", encoder=json.dumps, decoder=json.loads, schema="pg_catalog")
    try:
        slowest = sorted(results, key=lambda r: percentile(r.hub, 0.95), reverse=True)[:pages]
        for result in slowest:
            heavy = sorted(
                (
                    (seconds, query, args)
                    for (query, args, _), seconds in zip(
                        result.statements, result.each, strict=True
                    )
                    if _reads(query)
                ),
                key=lambda s: s[0],
                reverse=True,
            )[:2]
            for seconds, query, args in heavy:
                print(
                    f"\n--- {result.page.label} (hub p95 {1000 * percentile(result.hub, 0.95):.1f}"
                    f" ms): a statement of {1000 * seconds:.2f} ms on average alone\n"
                    f"{' '.join(query.split())[:400]}"
                )
                tr = conn.transaction()
                await tr.start()
                try:
                    plan = await conn.fetch(f"explain (analyze, buffers) {query}", *args)
                finally:
                    await tr.rollback()
                text = [row[0] for row in plan]
                shown = text[:lines]
                if len(text) > lines:
                    shown += [f"  ... ({len(text) - lines} more lines)"]
                    shown += [line for line in text[-3:] if "Time" in line]
                print("\n".join(shown))
    finally:
        await conn.close()


# --- the DDAS export -------------------------------------------------------------------------


def ddas_year(loaded: Loaded, work: Path) -> tuple[float, str]:
    """`hub report ddas` for the last 365 days of the whole region, end to end: the command's
    own process, its database, the JSON file written."""
    until = date.today() - timedelta(days=1)
    since = until - timedelta(days=364)
    output = work / f"ddas-{uuid.uuid4().hex[:6]}.json"
    env = {
        **os.environ,
        "DATABASE_URL": loaded.dsn,
        "HUB_KEYS": loaded.keys,
        "HUB_DATA_DIR": str(work / "hub-data"),
        "HUB_SCHEDULER": "false",
    }
    period = ["--from", since.isoformat(), "--to", until.isoformat()]
    started = time.perf_counter()
    done = subprocess.run(
        [HUB, "report", "ddas", *period, "--output", str(output)],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"hub report ddas failed: {done.stderr[-2000:]}")
    size = output.stat().st_size
    output.unlink()
    return seconds, f"{done.stderr.strip().splitlines()[-1]}; {size / 1e6:.1f} MB of JSON"


async def drop_database(server: str, name: str) -> None:
    """Remove the benchmark's database from a server that outlives the run."""
    conn = await asyncpg.connect(server)
    try:
        await conn.execute(f'drop database if exists "{name}" with (force)')
    finally:
        await conn.close()


# --- main ------------------------------------------------------------------------------------


@contextmanager
def server_dsn(work: Path) -> Iterator[str]:
    url = os.environ.get("HUB_BENCH_DATABASE_URL")
    if url:
        yield url
        return
    with embedded_postgres(work / "pg") as dsn:
        yield dsn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="multiplies every volume")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warm-up", type=int, default=10, help="untimed requests per page first")
    parser.add_argument("--seed", type=int, default=19)
    parser.add_argument(
        "--explain",
        action="store_true",
        help="print EXPLAIN (ANALYZE, BUFFERS) of the slowest pages' heaviest statements",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="with HUB_BENCH_DATABASE_URL: keep the database; its keys go to a file here",
    )
    parser.add_argument(
        "--reuse",
        metavar="NAME",
        help="with HUB_BENCH_DATABASE_URL: time the pages on database NAME that --keep kept "
        "(its keys from NAME-keys.json here) instead of loading a region",
    )
    parser.add_argument("--explain-pages", type=int, default=4)
    parser.add_argument("--explain-lines", type=int, default=40)
    args = parser.parse_args()
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="region-")))
        server = stack.enter_context(server_dsn(work))
        if args.reuse:
            if not os.environ.get("HUB_BENCH_DATABASE_URL"):
                raise SystemExit("--reuse needs HUB_BENCH_DATABASE_URL (the server it is on)")
            loaded = Loaded(
                args.reuse,
                with_database(server, args.reuse),
                Path(f"{args.reuse}-keys.json").read_text(),
                0.0,
                reused=True,
            )
            print(f"reusing {args.reuse} (kept by an earlier run)")
        else:
            loaded, region = asyncio.run(load_region(server, args.scale, args.seed))
            print(
                f"region: {len(MUNICIPALITIES)} municipalities, {len(region.teams)} teams, "
                f"{len(region.partners)} partners, {len(region.households)} households, "
                f"{len(region.signals)} signals over {HISTORY.days} days (scale {args.scale:g})"
            )
            del region  # the pages are timed in a process holding what `hub serve` holds
            print(f"loaded in {loaded.load_seconds:.1f} s:")
            for step, seconds in loaded.step_seconds.items():
                print(f"  {step:<52} {seconds:8.1f} s")
        counts = asyncio.run(row_counts(loaded.dsn))
        print("rows:")
        for table, count in counts.items():
            print(f"  {table:<22} {count:>10,}")
        print(f"\ntiming {args.requests} requests a page after {args.warm_up} to warm up:")
        results, subjects = asyncio.run(time_pages(loaded, args.requests, args.warm_up))
        ddas_seconds, ddas_said = ddas_year(loaded, work)
        print(
            "\nserver-side time per request (ms), beside the same page's SQL replayed alone "
            "through asyncpg:"
        )
        header = (
            f"{'route':<36} {'hub p50':>8} {'hub p95':>8} {'SQL p95':>8} {'hub/SQL':>8} "
            f"{'target':>7}"
        )
        print(header)
        print("-" * len(header))
        for result in results:
            hub95 = 1000 * percentile(result.hub, 0.95)
            sql95 = 1000 * percentile(result.sql, 0.95)
            print(
                f"{result.page.label:<36} {1000 * statistics.median(result.hub):8.1f} "
                f"{hub95:8.1f} {sql95:8.1f} {hub95 / sql95 if sql95 else float('nan'):8.1f} "
                f"{'< 100':>7}{'' if hub95 < TARGET_MS else '  over'}"
            )
        print(
            f"\nDDAS export of a year for the region (hub report ddas, end to end): "
            f"{ddas_seconds:.2f} s  (target < {DDAS_TARGET_S:g} s; ratio to target "
            f"{ddas_seconds / DDAS_TARGET_S:.2f})  [{ddas_said}]"
        )
        print(
            f"as: {subjects['director']} (most open cases), partner {subjects['partner']} "
            "(most signals)"
        )
        if args.explain:
            asyncio.run(explain(loaded.dsn, results, args.explain_pages, args.explain_lines))
        if os.environ.get("HUB_BENCH_DATABASE_URL"):
            if args.keep and not args.reuse:
                keys = Path(f"{loaded.name}-keys.json")
                keys.touch(mode=0o600, exist_ok=False)
                keys.write_text(loaded.keys)
                print(f"kept: DATABASE_URL={loaded.dsn}, its keys in {keys} (HUB_KEY_FILE)")
            elif not args.reuse:
                asyncio.run(drop_database(server, loaded.name))


if __name__ == "__main__":
    main()
