"""Weeks of example signals through the real intake, and months of the teams' work on them."""

from __future__ import annotations

import csv
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING

from hub.cases.workflow import SETTLED_SIGNAL, SIGNAL_STATUS_OF_CASE
from hub.demo import store
from hub.demo.data import (
    HAARLEM_TEAMS,
    DemoPartner,
    demo_partners,
    demo_pc6_codes,
    descriptions,
    names,
    shipped_data,
)
from hub.intake.service import submit_signal
from hub.platform.clock import LOCAL_TIME, today
from hub.routing.rules import choose_rule, parse_rules_csv
from schemas.address import Address
from schemas.cases import CaseStatus, Outcome
from schemas.signals import (
    KINDS_BY_PARTNER,
    Arrears,
    PartnerKind,
    Person,
    ResidentInformed,
    SignalIn,
    SignalKind,
    Urgency,
)

if TYPE_CHECKING:
    import asyncpg

    from hub.directory.models import Partner

# Households both partners that share households signal.
SHARED_POSTCODES = ("2035AB", "2035AC", "2035AD")


def _signal_for(rng: random.Random, partner: Partner, number: int, postcode: str) -> SignalIn:
    kinds = sorted(KINDS_BY_PARTNER[partner.kind] or {SignalKind.OTHER})
    kind = rng.choice(kinds)
    informed = rng.random() < 0.7
    initials, surnames = names()
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
            name=f"{rng.choice(initials)} {rng.choice(surnames)}",
            birth_date=date(rng.randint(1940, 2004), rng.randint(1, 12), rng.randint(1, 28)),
        )
        if rng.random() < 0.8
        else None,
        resident_informed=ResidentInformed(informed=True)
        if informed
        else ResidentInformed(informed=False, reason="Niet bereikbaar geweest"),
        description=rng.choice(descriptions()[kind]),
        arrears=_arrears(rng, partner.kind) if kind is SignalKind.PAYMENT_ARREARS else None,
    )


# The creditors a demo collection system sends lists for.
COLLECTED = (
    PartnerKind.WATER,
    PartnerKind.CAK_INSURANCE,
    PartnerKind.CAK_CONTRIBUTION,
    PartnerKind.DUO,
    PartnerKind.TAX_OFFICE,
    PartnerKind.BENEFITS_OFFICE,
)


def _arrears(rng: random.Random, partner_kind: PartnerKind) -> Arrears:
    """An early-debt signal's facts: a few hundred euros, arisen weeks ago; now and then a
    crisis with a cut-off date (energy) or a warm handover."""
    crisis = rng.random() < 0.08
    signalled = today() - timedelta(days=rng.randint(1, 5))
    return Arrears(
        amount_eur=Decimal(rng.randint(90, 2400)),
        since=signalled - timedelta(days=rng.randint(30, 100)),
        creditor=rng.choice(COLLECTED) if partner_kind is PartnerKind.COLLECTION_SYSTEM else None,
        signalled_on=signalled,
        crisis=crisis,
        ends_on=signalled + timedelta(days=28)
        if crisis and partner_kind is PartnerKind.ENERGY
        else None,
        warm_handover=rng.random() < 0.1,
    )


def _postcodes_by_team() -> dict[str, list[str]]:
    """Real PC6 codes per demo team, from the shipped routing table and postcode data."""
    teams = [
        row["team_code"] for row in csv.DictReader(shipped_data("teams_demo.csv").splitlines())
    ]
    rules = parse_rules_csv(shipped_data("routing_demo.csv"), teams).rules
    day = today()
    found: dict[str, list[str]] = {team: [] for team in teams}
    for pc6 in demo_pc6_codes():
        rule = choose_rule(rules, pc6, 1, day)
        if rule:
            found[rule.team_code].append(pc6)
    found["SWT-ZVT"] = [
        f"{pc4}{a}{b}" for pc4 in ("2041", "2042") for a in "ABCEG" for b in "ABCEG"
    ]
    return found


async def load_history(
    pool: asyncpg.Pool, partners: list[Partner], *, weeks: int = 12, until: date | None = None
) -> int:
    """`weeks` of example signals through the real intake, dated in the past; returns the
    count."""
    rng = random.Random(2026)  # noqa: S311 - demo data, not security
    by_team = _postcodes_by_team()
    described: dict[str, DemoPartner] = {p.name: p for p in demo_partners()}
    end = until or today()
    count = 0
    for day_offset in range(weeks * 7, 0, -1):
        day = end - timedelta(days=day_offset)
        if day.weekday() >= 5:
            continue
        for _ in range(rng.randint(4, 10)):
            partner = rng.choice(partners)
            demo = described[partner.name]
            if demo.stopped_days_ago is not None and day_offset <= demo.stopped_days_ago:
                continue
            if rng.random() < 0.02 and demo.works_in == HAARLEM_TEAMS:
                postcode = "2116" + rng.choice(["AB", "CD", "EH"])  # Bentveld: no rule
            else:
                postcode = rng.choice(by_team[rng.choice(demo.works_in)])
            moment = datetime.combine(day, time(rng.randint(8, 17), rng.randint(0, 59)), LOCAL_TIME)
            count += 1
            signal = _signal_for(rng, partner, count, postcode)
            await submit_signal(
                pool, partner, signal, received_at=moment.astimezone(UTC), channel="demo"
            )
    for partner in partners:
        if described[partner.name].shares_households:
            for index, postcode in enumerate(SHARED_POSTCODES):
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
        await store.simulate_casework(
            conn,
            reached=CaseStatus.REACHED.value,
            closed=CaseStatus.CLOSED.value,
            outcome=Outcome.HELP_STARTED.value,
            signal_in_contact=SIGNAL_STATUS_OF_CASE[CaseStatus.REACHED].value,
            signal_closed=SIGNAL_STATUS_OF_CASE[CaseStatus.CLOSED].value,
            settled=[status.value for status in SETTLED_SIGNAL],
        )
