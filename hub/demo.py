"""The Haarlem/Zandvoort demo: teams, routing table, partners of every kind, weeks of signals."""

from __future__ import annotations

import csv
import json
import os
import random
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from pathlib import Path
from typing import Any

import asyncpg

from hub.accounts import create_user, login, logout, new_password, set_password
from hub.admin import add_agreement, import_routing_table
from hub.intake import submit_signal
from hub.store import teams as team_store
from hub.store.partners import (
    Partner,
    add_partner,
    caller_for_token,
    issue_token,
    partner_by_name,
    revoke_tokens,
)
from hub.workdays import LOCAL_TIME
from schemas.address import Address, is_pc6
from schemas.signals import (
    KINDS_BY_PARTNER,
    PartnerKind,
    Person,
    ResidentInformed,
    SignalIn,
    SignalKind,
    Urgency,
)

CREDENTIALS_FILE = "demo-credentials.json"

# Fictional organisations: the demo implies no real organisation takes part.
DEMO_PARTNERS: list[tuple[str, PartnerKind]] = [
    ("Huisartsenpraktijk De Linde", PartnerKind.GP),
    ("Huisartsenpraktijk Spaarnezicht", PartnerKind.GP),
    ("Gezondheidscentrum Schalkwijk-Midden", PartnerKind.GP),
    ("Huisartsen Zandvoort Centrum", PartnerKind.GP),
    ("Woonstichting Kennemerland (demo)", PartnerKind.HOUSING),
    ("Spaarnestad Wonen (demo)", PartnerKind.HOUSING),
    ("Politie basisteam Haarlem, wijkagenten (demo)", PartnerKind.POLICE),
    ("Politie basisteam Zandvoort (demo)", PartnerKind.POLICE),
    ("Gemeente Haarlem, Werk en Inkomen (demo)", PartnerKind.WORK_INCOME),
    ("Gemeente Zandvoort, Werk en Inkomen (demo)", PartnerKind.WORK_INCOME),
    ("CJG Haarlem (demo)", PartnerKind.YOUTH),
    ("Schuldhulpmaatjes Haarlem (demo)", PartnerKind.OTHER),
]

DESCRIPTIONS: dict[SignalKind, list[str]] = {
    SignalKind.CARE_CONCERN: [
        "Mist afspraken, maakt een verwarde indruk en noemt geldzorgen.",
        "Vermagerd, weinig sociaal netwerk, vraagt niet zelf om hulp.",
        "Mantelzorger lijkt overbelast; partner met dementie.",
    ],
    SignalKind.RENT_ARREARS: [
        "Huurachterstand van drie maanden, reageert niet op brieven.",
        "Betalingsregeling niet nagekomen, achterstand loopt op.",
    ],
    SignalKind.NUISANCE: ["Buren melden geluidsoverlast en vervuiling in het portiek."],
    SignalKind.EVICTION_THREAT: ["Vonnis ontruiming aangevraagd; geen contact met bewoner."],
    SignalKind.NEGLECT: ["Woning ernstig vervuild bij reparatieverzoek aangetroffen."],
    SignalKind.CARE_REPORT: ["Zorgmelding na huiselijke ruzie, geen strafbaar feit."],
    SignalKind.CONFUSED_BEHAVIOUR: ["Bewoner 's nachts verward op straat aangetroffen."],
    SignalKind.NON_RESPONDER: ["Reageert niet op drie uitnodigingen voor heronderzoek uitkering."],
    SignalKind.YOUTH_CONCERN: ["Kinderen vaak niet op school; ouder overbelast."],
    SignalKind.OTHER: ["Maatje ziet stapel ongeopende post en oplopende schulden."],
}

FIRST_NAMES = [
    "A.",
    "B.",
    "C.",
    "D.",
    "E.",
    "F.",
    "G.",
    "H.",
    "J.",
    "K.",
    "L.",
    "M.",
    "N.",
    "R.",
    "S.",
]
SURNAMES = [
    "de Vries",
    "Jansen",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "Yilmaz",
    "El Amrani",
    "Kaya",
    "Dekker",
]


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


def shipped_data(name: str) -> str:
    """A file shipped in `hub/data`, as text."""
    return resources.files("hub").joinpath("data", name).read_text("utf-8")


def demo_pc6_codes() -> list[str]:
    """The PC6 codes of the Haarlem data that can be real addresses.

    The source expanded letter ranges, so it lists a few codes with SD or SS that PostNL never
    issues (13 of 4,687); they are left out here.
    """
    return [
        row["pc6"]
        for row in csv.DictReader(shipped_data("haarlem_pc6_buurt_2013.csv").splitlines())
        if is_pc6(row["pc6"])
    ]


async def load_agreements(pool: asyncpg.Pool) -> None:
    """Receipt at once, first contact within 5 working days (10 for housing), the outcome within
    20; CJG (youth) has no agreement at all: a gap the network view shows."""
    for kind in (
        PartnerKind.GP,
        PartnerKind.HOUSING,
        PartnerKind.POLICE,
        PartnerKind.WORK_INCOME,
        PartnerKind.OTHER,
    ):
        first_contact = 10 if kind is PartnerKind.HOUSING else 5
        for step, days in (("received", 0), ("first_contact", first_contact), ("outcome", 20)):
            await add_agreement(pool, step=step, working_days=days, partner_kind=kind)


def team_email(code: str) -> str:
    return f"{code.lower()}@demo.signaalhub.invalid"


async def load_teams(pool: asyncpg.Pool) -> None:
    async with pool.acquire() as conn, conn.transaction():
        for row in csv.DictReader(shipped_data("teams_demo.csv").splitlines()):
            await team_store.upsert_team(
                conn,
                row["team_code"],
                row["team_name"],
                row["municipality_code"],
                row["municipality"],
                team_email(row["team_code"]),
            )


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def demo_email(partner: Partner) -> str:
    return f"{_slug(partner.name)}@demo.signaalhub.invalid"


async def _demo_user(
    pool: asyncpg.Pool, email: str, role: str, partner: Partner | None, team_id: int | None
) -> str:
    """The user with a fresh password (created where missing); returns the password."""
    password = new_password()
    if not await set_password(pool, email, password):
        await create_user(pool, email, password, role, partner, team_id)
    return password


async def _demo_users(pool: asyncpg.Pool, partners: list[Partner]) -> list[dict[str, str]]:
    """A login per demo partner, a member and a lead per team, a coordinator, a manager and an
    administrator; each with a fresh password."""
    users = []
    for partner in partners:
        email = demo_email(partner)
        password = await _demo_user(pool, email, "partner", partner, None)
        users.append(
            {"email": email, "password": password, "role": "partner", "partner": partner.name}
        )
    async with pool.acquire() as conn:
        teams = await team_store.list_teams(conn)
    for team in teams:
        for role, title in (("member", "medewerker"), ("lead", "teamleider")):
            email = f"{title}.{_slug(team.code)}@demo.signaalhub.invalid"
            password = await _demo_user(pool, email, role, None, team.id)
            users.append({"email": email, "password": password, "role": role, "team": team.code})
    for role, name in (("coordinator", "coordinator"), ("manager", "manager"), ("admin", "beheer")):
        email = f"{name}@demo.signaalhub.invalid"
        password = await _demo_user(pool, email, role, None, None)
        users.append({"email": email, "password": password, "role": role})
    return users


async def _partners_with_tokens(pool: asyncpg.Pool) -> tuple[list[tuple[Partner, str]], str]:
    """The demo partners (created where missing), each with a fresh token, and an admin token.

    Old demo tokens are revoked: only the tokens in the credentials file work.
    """
    issued = []
    async with pool.acquire() as conn, conn.transaction():
        for name, kind in DEMO_PARTNERS:
            partner = await partner_by_name(conn, name) or await add_partner(conn, name, kind)
            await revoke_tokens(conn, partner)
            issued.append((partner, await issue_token(conn, "partner", partner)))
        await revoke_tokens(conn, None)
        admin = await issue_token(conn, "admin")
    return issued, admin


def _signal_for(rng: random.Random, partner: Partner, number: int, postcode: str) -> SignalIn:
    kinds = sorted(KINDS_BY_PARTNER[partner.kind] or {SignalKind.OTHER})
    kind = rng.choice(kinds)
    informed = rng.random() < 0.7
    return SignalIn(
        external_ref=f"DEMO-{partner.kind.value.upper()}-{number:05d}",
        kind=kind,
        urgency=Urgency.HIGH if rng.random() < 0.15 else Urgency.NORMAL,
        address=Address(
            postcode=postcode,
            house_number=rng.randint(1, 180),
            house_letter=rng.choice([None, None, None, "A", "B"]),
        ),
        person=Person(
            name=f"{rng.choice(FIRST_NAMES)} {rng.choice(SURNAMES)}",
            birth_date=date(rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)),
        )
        if rng.random() < 0.8
        else None,
        resident_informed=ResidentInformed(informed=True)
        if informed
        else ResidentInformed(informed=False, reason="Niet bereikbaar geweest"),
        description=rng.choice(DESCRIPTIONS[kind]),
    )


# Where each demo partner works (team codes), drawn so the network page shows every kind of weak
# link: no GP signals in Noord-Oost (a coverage gap), Zandvoort reached through its GP alone
# (a bridge), Zandvoort's police and Work & Income stopped six weeks ago (dried-up flows), CJG
# without an agreement, and the debt buddies sharing households with CJG in few districts.
HAARLEM_TEAMS = (
    "SWT-HLM-CENTRUM",
    "SWT-HLM-ZUID",
    "SWT-HLM-WEST",
    "SWT-HLM-OOST",
    "SWT-HLM-NOORDOOST",
    "SWT-HLM-NOORDWEST",
    "SWT-HLM-SCHALKWIJK-NOORD",
    "SWT-HLM-SCHALKWIJK-ZUID",
)
SCHALKWIJK = ("SWT-HLM-SCHALKWIJK-NOORD", "SWT-HLM-SCHALKWIJK-ZUID")
AREAS: dict[str, tuple[str, ...]] = {
    "Huisartsenpraktijk De Linde": tuple(t for t in HAARLEM_TEAMS if t != "SWT-HLM-NOORDOOST"),
    "Huisartsenpraktijk Spaarnezicht": tuple(t for t in HAARLEM_TEAMS if t != "SWT-HLM-NOORDOOST"),
    "Gezondheidscentrum Schalkwijk-Midden": SCHALKWIJK,
    # Mostly Zandvoort, now and then a patient over the border in Haarlem-West.
    "Huisartsen Zandvoort Centrum": ("SWT-ZVT", "SWT-ZVT", "SWT-ZVT", "SWT-ZVT", "SWT-HLM-WEST"),
    "Politie basisteam Zandvoort (demo)": ("SWT-ZVT",),
    "Gemeente Zandvoort, Werk en Inkomen (demo)": ("SWT-ZVT",),
    "CJG Haarlem (demo)": SCHALKWIJK,
    "Schuldhulpmaatjes Haarlem (demo)": (
        "SWT-HLM-CENTRUM",
        "SWT-HLM-OOST",
        "SWT-HLM-NOORDOOST",
        "SWT-HLM-NOORDWEST",
        "SWT-HLM-SCHALKWIJK-NOORD",
    ),
}
STOPPED_SIX_WEEKS_AGO = {
    "Politie basisteam Zandvoort (demo)",
    "Gemeente Zandvoort, Werk en Inkomen (demo)",
}


def _postcodes_by_team() -> dict[str, list[str]]:
    """Real PC6 codes per demo team, from the shipped routing table and postcode data."""
    from hub.routing import choose_rule, parse_rules_csv

    teams = [
        row["team_code"] for row in csv.DictReader(shipped_data("teams_demo.csv").splitlines())
    ]
    rules = parse_rules_csv(shipped_data("routing_demo.csv"), teams).rules
    today = datetime.now(LOCAL_TIME).date()
    found: dict[str, list[str]] = {team: [] for team in teams}
    for pc6 in demo_pc6_codes():
        rule = choose_rule(rules, pc6, 1, today)
        if rule:
            found[rule.team_code].append(pc6)
    found["SWT-ZVT"] = [
        f"{pc4}{a}{b}" for pc4 in ("2041", "2042") for a in "ABCEG" for b in "ABCEG"
    ]
    return found


async def load_history(
    pool: asyncpg.Pool, partners: list[Partner], *, weeks: int = 12, today: date | None = None
) -> int:
    """Weeks of example signals through the real intake, dated in the past; returns the count."""
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    by_team = _postcodes_by_team()
    end = today or datetime.now(LOCAL_TIME).date()
    count = 0
    shared = ["2035AB", "2035AC", "2035AD"]  # households both CJG and the buddies signal
    for day_offset in range(weeks * 7, 0, -1):
        day = end - timedelta(days=day_offset)
        if day.weekday() >= 5:
            continue
        for _ in range(rng.randint(4, 10)):
            partner = rng.choice(partners)
            if partner.name in STOPPED_SIX_WEEKS_AGO and day_offset <= 42:
                continue
            area = AREAS.get(partner.name, HAARLEM_TEAMS)
            if rng.random() < 0.02 and area == HAARLEM_TEAMS:
                postcode = "2116" + rng.choice(["AB", "CD", "EH"])  # Bentveld: no rule
            else:
                postcode = rng.choice(by_team[rng.choice(area)])
            moment = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), LOCAL_TIME)
            count += 1
            signal = _signal_for(rng, partner, count, postcode)
            await submit_signal(
                pool, partner, signal, received_at=moment.astimezone(UTC), channel="demo"
            )
    for partner in partners:
        if partner.name in ("CJG Haarlem (demo)", "Schuldhulpmaatjes Haarlem (demo)"):
            for index, postcode in enumerate(shared):
                count += 1
                signal = _signal_for(rng, partner, count, postcode)
                signal = signal.model_copy(
                    update={"address": Address(postcode=postcode, house_number=index + 2)}
                )
                moment = datetime.combine(end - timedelta(days=10 + index), time(11), LOCAL_TIME)
                await submit_signal(
                    pool, partner, signal, received_at=moment.astimezone(UTC), channel="demo"
                )
    return count


async def simulate_casework(pool: asyncpg.Pool) -> None:
    """Months of the teams' work, written as the inbox would have: cases older than four
    weeks closed, younger ones (from three days) in contact; first contact on time except in
    Oost, which is slow (an agreement kept poorly)."""
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute(
            """
            create temporary table demo_work on commit drop as
            select c.id as case_id, c.team_id, t.code, c.opened_at,
                   (select u.id from users u where u.team_id = c.team_id and u.role = 'member'
                    order by u.email limit 1) as director,
                   case when t.code = 'SWT-HLM-OOST' then interval '9 days'
                        else interval '2 days' end as contact_after,
                   c.opened_at < now() - interval '28 days' as closing
            from cases c join teams t on t.id = c.team_id
            where c.closed_at is null and c.opened_at < now() - interval '3 days'
            """
        )
        await conn.execute(
            """
            insert into events (case_id, kind, actor, data, occurred_at)
            select case_id, 'take', 'user:' || director, '{}'::jsonb, opened_at + interval '1 day'
            from demo_work where director is not null
            union all
            select case_id, 'contact_attempt', 'user:' || director, '{"reached": true}'::jsonb,
                   opened_at + contact_after
            from demo_work where director is not null and opened_at + contact_after < now()
            union all
            select case_id, 'close', 'user:' || director, '{"outcome": "help_started"}'::jsonb,
                   opened_at + interval '15 days'
            from demo_work where director is not null and closing
            """
        )
        await conn.execute(
            """
            update obligations o set met_at = w.opened_at + w.contact_after
            from signals s join demo_work w on w.case_id = s.case_id
            where o.signal_id = s.id and o.step = 'first_contact' and o.met_at is null
              and w.opened_at + w.contact_after < now()
            """
        )
        await conn.execute(
            """
            update obligations o set met_at = w.opened_at + interval '15 days'
            from signals s join demo_work w on w.case_id = s.case_id
            where o.signal_id = s.id and o.step = 'outcome' and o.met_at is null and w.closing
            """
        )
        await conn.execute(
            """
            update cases c set director_id = w.director,
                status = case when w.closing then 'closed' else 'reached' end,
                outcome = case when w.closing then 'help_started' end,
                closed_at = case when w.closing then w.opened_at + interval '15 days' end,
                updated_at = now()
            from demo_work w where c.id = w.case_id and w.director is not null
              and (w.closing or w.opened_at + w.contact_after < now())
            """
        )
        await conn.execute(
            """
            update signals s set status = case c.status when 'closed' then 'closed'
                                                        else 'in_contact' end
            from cases c where s.case_id = c.id and c.status in ('closed', 'reached')
              and s.status not in ('returned', 'declined')
            """
        )


async def demo_loaded(pool: asyncpg.Pool) -> bool:
    async with pool.acquire() as conn:
        return bool(
            await conn.fetchval(
                "select exists (select 1 from signals where external_ref like 'DEMO-%')"
            )
        )


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
    async with pool.acquire() as conn:
        for token in tokens:
            if not isinstance(token, str) or await caller_for_token(conn, token) is None:
                return None
    for email, password in logins[:1]:
        session = await login(pool, email, password)
        if session is None:
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
        report, applied = await import_routing_table(
            pool, shipped_data("routing_demo.csv"), partial=False
        )
        if not applied:
            raise RuntimeError(f"the shipped demo routing table was refused: {report.refused}")
    issued, admin = await _partners_with_tokens(pool)
    partners = [partner for partner, _ in issued]
    if not loaded:
        await load_agreements(pool)
        await load_history(pool, partners)
    users = await _demo_users(pool, partners)
    if not loaded:
        await simulate_casework(pool)
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
