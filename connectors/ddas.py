"""The DDAS Vroegsignalering delivery: a municipality's early-debt signals and cases for a
period, in the VNG exchange model (v1.2, `json_schema_Uitwisselmodel.json` in the public
repository VNG-Realisatie/ddas-vroegsignalering) that CBS reads for its monitor. Pure: facts in,
the document out.

The hub does not collect the BSN: every client is given by postcode and house number (the
schema's second form). IDs are the hub's own signal ids, derived from nothing personal.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from schemas.early_debt import (
    SIGNAL_PARTNER,
    ContactKind,
    DayPart,
    EarlyDebtResult,
    SignalState,
    national,
)
from schemas.signals import PartnerKind

VERSION = "1.2"


@dataclass(frozen=True)
class EarlySignal:
    id: str
    creditor: PartnerKind
    postcode: str
    house_number: int
    suffix: str  # huisletter and toevoeging together, as the model has one field
    amount_eur: Decimal | None
    arose_on: date | None
    signalled_on: date
    crisis: bool
    warm_handover: bool
    state: SignalState


@dataclass(frozen=True)
class Attempt:
    how: ContactKind | None
    reached: bool
    on: date | None
    part_of_day: DayPart | None


@dataclass(frozen=True)
class EarlyCase:
    signal_ids: list[str]
    taken_on: date | None
    result: EarlyDebtResult | None  # None while open
    attempts: list[Attempt] = field(default_factory=list)


@dataclass(frozen=True)
class Delivery:
    """One municipality's part of the file."""

    municipality_code: str  # CBS: four digits, e.g. 0392 for Haarlem
    organisation: str
    contacts: list[dict[str, str]]
    signals: list[EarlySignal]
    cases: list[EarlyCase]


def whole_euros(amount: Decimal) -> int:
    return int(amount.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def _signal(signal: EarlySignal) -> dict[str, Any]:
    client: dict[str, Any] = {"postcode": signal.postcode, "huisnummer": str(signal.house_number)}
    if signal.suffix:
        client["huisnummertoevoeging"] = signal.suffix
    document: dict[str, Any] = {
        "ID": signal.id,
        "crisissignaal": signal.crisis,
        "warmeOverdracht": signal.warm_handover,
    }
    if signal.amount_eur is not None:
        document["bedrag"] = whole_euros(signal.amount_eur)
    if signal.arose_on is not None:
        document["ontstaansdatum"] = signal.arose_on.isoformat()
    document["signaaldatum"] = signal.signalled_on.isoformat()
    document["status"] = national(signal.state)
    document["signaalpartner"] = {"type": SIGNAL_PARTNER[signal.creditor]}
    document["client"] = client
    return document


def _attempt(attempt: Attempt) -> dict[str, Any]:
    document: dict[str, Any] = {"soort": national(attempt.how or ContactKind.UNKNOWN)}
    document["bereikt"] = attempt.reached
    if attempt.on is not None:
        document["datum"] = attempt.on.isoformat()
    if attempt.part_of_day is not None:
        document["dagdeel"] = national(attempt.part_of_day)
    return document


def _case(case: EarlyCase) -> dict[str, Any]:
    document: dict[str, Any] = {}
    if case.result is not None:
        document["resultaat"] = national(case.result)
    if case.taken_on is not None:
        document["datumOpgepakt"] = case.taken_on.isoformat()
    document["vroegsignalen"] = [{"ID": signal_id} for signal_id in case.signal_ids]
    if case.attempts:
        document["contactpogingen"] = [_attempt(attempt) for attempt in case.attempts]
    return document


def ddas_document(
    start: date,
    end: date,
    delivered_at: datetime,
    supplier_code: str,
    deliveries: list[Delivery],
) -> dict[str, Any]:
    """The whole file: the period, when and by whom it was delivered, one delivery per
    municipality."""
    document: dict[str, Any] = {
        "startdatumLevering": start.isoformat(),
        "einddatumLevering": end.isoformat(),
        "aanleverdatumEnTijd": delivered_at.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "codeGegevensleverancier": supplier_code,
    }
    if deliveries:
        document["leveringen"] = []
    for count, delivery in enumerate(deliveries, start=1):
        organisation: dict[str, Any] = {"naam": delivery.organisation}
        if delivery.contacts:
            organisation["contactpersonen"] = delivery.contacts
        document["leveringen"].append(
            {
                "teller": count,
                "gemeentecode": delivery.municipality_code,
                "aanleverendeOrganisatie": organisation,
                "vroegsignalen": [_signal(signal) for signal in delivery.signals],
                "vroegsignaalzaken": [_case(case) for case in delivery.cases],
            }
        )
    return document
