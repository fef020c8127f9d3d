"""A small partner network with a flow that dried up and a shared household."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg

from hub.intake.service import submit_signal
from schemas.signals import PartnerKind, SignalIn
from tests.support.factories import make_partner, make_signal


async def send(
    pool: asyncpg.Pool,
    partner: Any,
    postcode: str,
    number: int,
    days_ago: int,
    kind: str = "care_concern",
) -> None:
    body = make_signal(
        kind=kind,
        address={"postcode": postcode, "house_number": number},
        person=None,
        description="Zorgen.",
    )
    moment = datetime.now(UTC) - timedelta(days=days_ago)
    await submit_signal(pool, partner, SignalIn.model_validate(body), received_at=moment)


async def network_of(pool: asyncpg.Pool) -> tuple[Any, Any, Any]:
    gp, _ = await make_partner(pool, PartnerKind.GP, name="Huisarts Oost")
    housing, _ = await make_partner(pool, PartnerKind.HOUSING, name="Corporatie")
    police, _ = await make_partner(pool, PartnerKind.POLICE, name="Politie")
    for n in range(1, 13):  # the previous period: police signalled Oost a dozen times
        await send(pool, police, "2031AA", n, days_ago=50 + n, kind="care_report")
    for n in range(1, 8):
        await send(pool, gp, "2031AA", n, days_ago=n)
    await send(pool, housing, "2031AA", 1, days_ago=3, kind="rent_arrears")  # shared household
    await send(pool, housing, "2011AA", 1, days_ago=3, kind="rent_arrears")
    return gp, housing, police
