"""The DDAS Vroegsignalering export: a period's early-debt signals and their cases, per
municipality, as CBS's monitor reads them (`connectors.ddas` writes the document).

Reads addresses and arrears (sealed), so it is logged in the access log like any read of
personal data, for the administrator who asked and with the purpose "DDAS-levering CBS".
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from uuid import UUID

from connectors.ddas import Attempt, Delivery, EarlyCase, EarlySignal, ddas_document
from hub.cases import store
from hub.platform.clock import LOCAL_TIME, local_day
from hub.platform.errors import InvalidFields
from hub.privacy.audit import log_access
from hub.privacy.sealed import open_address, open_personal
from schemas.cases import RESULT_OF_OUTCOME, Outcome
from schemas.early_debt import (
    CREDITORS,
    ContactKind,
    DayPart,
    EarlyDebtResult,
    SignalState,
    state_told,
)
from schemas.signals import PartnerKind, SignalStatus

if TYPE_CHECKING:
    import asyncpg

PURPOSE = "DDAS-levering CBS"


@dataclass(frozen=True)
class DdasSettings:
    supplier_code: str
    organisation: str | None  # None: "Gemeente <name>"
    contact_name: str | None
    contact_email: str | None


@dataclass(frozen=True)
class DdasExport:
    document: dict[str, Any]
    signals: int
    left_out: int  # signals whose address retention already removed


def municipality_code(given: str | None) -> str | None:
    """`GM0392`, `0392` or `392` as the hub stores it (GM0392); None for all."""
    if given is None or not given.strip():
        return None
    digits = given.strip().upper().removeprefix("GM")
    if not digits.isascii() or not digits.isdigit() or len(digits) > 4:
        message = "municipality is a CBS code such as GM0392 or 0392"
        raise InvalidFields(message, errors=[{"loc": ["municipality"], "msg": message}])
    return "GM" + digits.zfill(4)


def _case_facts(rows: list[asyncpg.Record]) -> dict[UUID, EarlyCase | None]:
    """Per case: the day it was taken up, its national end result (None while open) and its
    contact attempts."""
    events: dict[UUID, list[asyncpg.Record]] = defaultdict(list)
    status: dict[UUID, tuple[str, str | None]] = {}
    for row in rows:
        status[row["id"]] = (row["status"], row["outcome"])
        if row["kind"] is not None:
            events[row["id"]].append(row)
    facts: dict[UUID, EarlyCase | None] = {}
    for case_id, (case_status, outcome) in status.items():
        taken_on: date | None = None
        attempts: list[Attempt] = []
        result: EarlyDebtResult | None = None
        for event in events[case_id]:
            data = event["data"] or {}
            if event["kind"] in ("take", "assign") and taken_on is None:
                taken_on = local_day(event["occurred_at"])
            elif event["kind"] == "contact_attempt":
                attempts.append(
                    Attempt(
                        how=ContactKind(data["how"]) if data.get("how") else None,
                        reached=bool(data.get("reached")),
                        on=date.fromisoformat(data["on"])
                        if data.get("on")
                        else local_day(event["occurred_at"]),
                        part_of_day=DayPart(data["part_of_day"])
                        if data.get("part_of_day")
                        else None,
                    )
                )
            elif event["kind"] == "close":
                result = (
                    EarlyDebtResult(data["early_debt_result"])
                    if data.get("early_debt_result")
                    else RESULT_OF_OUTCOME[Outcome(data.get("outcome") or outcome or "other")]
                )
            elif event["kind"] == "decline":
                result = EarlyDebtResult.NOT_TAKEN_OTHER_REASON
            elif event["kind"] == "reopen":
                result = None
        if case_status not in ("closed", "declined"):
            result = None
        facts[case_id] = EarlyCase([], taken_on, result, attempts)
    return facts


def _state(status: str, case: EarlyCase | None, repeat: bool) -> SignalState:
    if status == SignalStatus.OUT_OF_AREA.value:
        return SignalState.NOT_A_RESIDENT
    if case is None:
        return SignalState.NOT_TAKEN_REPEAT if repeat else SignalState.NOT_YET_TAKEN
    return state_told(case.result, taken=case.taken_on is not None)


async def ddas_export(
    pool: asyncpg.Pool,
    actor: str,
    start: date,
    end: date,
    municipality: str | None,
    settings: DdasSettings,
    now: datetime | None = None,
) -> DdasExport:
    """The delivery for signals received from `start` to `end` (inclusive, local days)."""
    if start > end:
        message = "from must be on or before to"
        raise InvalidFields(message, errors=[{"loc": ["query", "from"], "msg": message}])
    if not (date(2000, 1, 1) <= start and end <= date(2099, 12, 31)):
        message = "the period lies between 2000-01-01 and 2099-12-31"
        raise InvalidFields(message, errors=[{"loc": ["query", "from"], "msg": message}])
    code = municipality_code(municipality)
    since = datetime.combine(start, time.min, LOCAL_TIME)
    until = datetime.combine(end + timedelta(days=1), time.min, LOCAL_TIME)
    async with pool.acquire() as conn, conn.transaction():
        rows = await store.early_debt_signals(conn, since, until, code)
        case_rows = await store.early_debt_cases(
            conn, sorted({row["case_id"] for row in rows if row["case_id"]})
        )
        if rows:
            await log_access(
                conn,
                actor,
                "ddas_export",
                PURPOSE,
                [(f"signal:{row['id']}", row["household_id"]) for row in rows],
                actor,
            )
    # Opening thousands of sealed values and building the document is CPU work: off the loop.
    return await asyncio.to_thread(
        _build, rows, case_rows, start, end, settings, now or datetime.now(UTC)
    )


def _build(
    rows: list[asyncpg.Record],
    case_rows: list[asyncpg.Record],
    start: date,
    end: date,
    settings: DdasSettings,
    now: datetime,
) -> DdasExport:
    cases = _case_facts(case_rows)
    per_municipality: dict[tuple[str, str], list[EarlySignal]] = defaultdict(list)
    # Per case, per municipality: its signals in that municipality's delivery.
    case_signals: dict[UUID, dict[tuple[str, str], list[str]]] = defaultdict(
        lambda: defaultdict(list)
    )
    left_out = 0
    for row in rows:
        address = open_address(row["address"], row["household_id"])
        personal = open_personal(row["personal"], row["id"])
        if address["postcode"] is None or address["house_number"] is None:
            left_out += 1  # removed by retention: there is no client to name
            continue
        early = personal.get("early_debt") or {}
        partner_kind = PartnerKind(row["partner_kind"])
        creditor = (
            PartnerKind(early["creditor"])
            if early.get("creditor")
            else partner_kind
            if partner_kind in CREDITORS
            else PartnerKind.CREDITOR
        )
        case = cases.get(row["case_id"]) if row["case_id"] else None
        amount = personal.get("arrears_amount")
        signalled = early.get("signalled_on")
        where = (row["municipality_code"], row["municipality"])
        per_municipality[where].append(
            EarlySignal(
                id=str(row["id"]),
                creditor=creditor,
                postcode=str(address["postcode"]).replace(" ", ""),
                house_number=int(address["house_number"]),
                suffix=" ".join(
                    part for part in (address["house_letter"], address["addition"]) if part
                ),
                amount_eur=Decimal(amount) if amount is not None else None,
                arose_on=personal.get("arrears_since"),
                signalled_on=date.fromisoformat(signalled)
                if signalled
                else local_day(row["received_at"]),
                crisis=bool(early.get("crisis")),
                warm_handover=bool(early.get("warm_handover")),
                state=_state(row["status"], case, row["repeat_of"] is not None),
            )
        )
        if row["case_id"]:
            case_signals[row["case_id"]][where].append(str(row["id"]))
    # Each case in the delivery of every municipality that has its signals, in case order.
    cases_of: dict[tuple[str, str], list[EarlyCase]] = defaultdict(list)
    for case_id, facts in cases.items():
        if facts is not None:
            for where, ids_here in case_signals.get(case_id, {}).items():
                cases_of[where].append(
                    EarlyCase(ids_here, facts.taken_on, facts.result, facts.attempts)
                )
    deliveries = []
    for (stored_code, name), signals in sorted(per_municipality.items()):
        in_delivery = cases_of[(stored_code, name)]
        contacts = (
            [
                {
                    key: value
                    for key, value in (
                        ("naam", settings.contact_name),
                        ("email", settings.contact_email),
                    )
                    if value
                }
            ]
            if settings.contact_name or settings.contact_email
            else []
        )
        deliveries.append(
            Delivery(
                municipality_code=stored_code.removeprefix("GM"),
                organisation=settings.organisation or f"Gemeente {name}",
                contacts=contacts,
                signals=signals,
                cases=in_delivery,
            )
        )
    document = ddas_document(start, end, now, settings.supplier_code, deliveries)
    return DdasExport(document, sum(len(d.signals) for d in deliveries), left_out)
