"""The early-debt vocabulary and its rules, without a database."""

from __future__ import annotations

import hashlib
from datetime import date
from decimal import Decimal

from hub.intake.service import creditor_of, early_debt_refusal, payload_digest
from hub.privacy.sealed import keyed_payload_digest
from schemas.cases import OUTCOME_OF_RESULT, RESULT_OF_OUTCOME, Close, Outcome
from schemas.early_debt import (
    NATIONAL,
    SIGNAL_PARTNER,
    ContactKind,
    DayPart,
    EarlyDebtResult,
    SignalState,
    state_told,
)
from schemas.signals import Arrears, PartnerKind, SignalIn, SignalKind, Urgency


def signal(**arrears: object) -> SignalIn:
    return SignalIn.model_validate(
        {
            "external_ref": "R-1",
            "kind": "payment_arrears",
            "address": {"postcode": "2031AA", "house_number": 1},
            "resident_informed": {"informed": False, "reason": "vroegsignaal"},
            "description": "Achterstand.",
            "arrears": {"amount_eur": "100.00", **arrears},
        }
    )


def test_the_national_lists_are_complete_and_in_their_words() -> None:
    assert len(EarlyDebtResult) == 16
    assert len(SIGNAL_PARTNER) == 11
    assert sorted(NATIONAL[kind] for kind in ContactKind)[0] == "Administratief"
    assert [NATIONAL[part] for part in DayPart] == ["Ochtend", "Middag", "Avond"]
    assert NATIONAL[EarlyDebtResult.NOT_TAKEN_OTHER_REASON] == "Niet opgepakt: andere reden"
    assert set(OUTCOME_OF_RESULT) == set(EarlyDebtResult)
    assert set(RESULT_OF_OUTCOME) == set(Outcome)


def test_a_creditor_is_told_whether_it_was_taken_up_never_what_help_came() -> None:
    assert state_told(EarlyDebtResult.FOLLOW_UP_FINANCIAL, taken=True) is SignalState.TAKEN
    assert state_told(EarlyDebtResult.ADVICE_QUICK_FIX, taken=True) is SignalState.TAKEN
    assert state_told(EarlyDebtResult.NOT_TAKEN_OTHER_REASON, taken=True) is (
        SignalState.NOT_TAKEN_OTHER_REASON
    )
    assert state_told(EarlyDebtResult.DECEASED, taken=True) is SignalState.DECEASED
    assert state_told(None, taken=False) is SignalState.NOT_YET_TAKEN


def test_a_crisis_is_urgent_and_closing_with_a_result_gives_the_outcome() -> None:
    assert signal(crisis=True).urgency is Urgency.HIGH
    assert signal().urgency is Urgency.NORMAL
    close = Close(action="close", early_debt_result=EarlyDebtResult.NEVER_REACHED)
    assert close.final_outcome is Outcome.NOT_REACHED


def test_who_may_name_which_creditor() -> None:
    assert early_debt_refusal(PartnerKind.ENERGY, signal()) is None
    assert creditor_of(PartnerKind.ENERGY, signal()) is PartnerKind.ENERGY
    assert early_debt_refusal(PartnerKind.ENERGY, signal(creditor="water")) == (
        ["arrears", "creditor"],
        "a creditor signals its own arrears only",
    )
    loc, _ = early_debt_refusal(PartnerKind.COLLECTION_SYSTEM, signal()) or ([], "")
    assert loc == ["arrears", "creditor"]
    assert early_debt_refusal(PartnerKind.COLLECTION_SYSTEM, signal(creditor="duo")) is None
    loc, _ = early_debt_refusal(PartnerKind.COLLECTION_SYSTEM, signal(creditor="gp")) or ([], "")
    assert loc == ["arrears", "creditor"]  # a GP is no creditor
    without = signal().model_copy(update={"arrears": None})
    assert early_debt_refusal(PartnerKind.ENERGY, without) == (
        ["arrears"],
        "a payment-arrears signal needs its arrears (at least amount_eur)",
    )
    assert SignalKind.PAYMENT_ARREARS.value == "payment_arrears"


def test_a_rent_arrears_signal_sent_again_after_the_upgrade_is_the_same() -> None:
    """Signals stored before the early-debt facts existed were hashed without them."""
    old = SignalIn.model_validate(
        {
            "external_ref": "HV-1",
            "kind": "rent_arrears",
            "address": {"postcode": "2031AA", "house_number": 1},
            "resident_informed": {"informed": True},
            "description": "Huurachterstand.",
            "arrears": {"amount_eur": "1234.56", "since": "2026-02-01"},
        }
    )
    before = old.model_dump_json(
        exclude={
            "coding": True,
            "arrears": {"creditor", "signalled_on", "crisis", "ends_on", "warm_handover"},
        }
    )
    assert '"since":"2026-02-01"}' in before  # as the arrears were before
    assert payload_digest(old) == keyed_payload_digest(hashlib.sha256(before.encode()).digest())
    crisis = old.model_copy(
        update={
            "arrears": Arrears(amount_eur=Decimal("1234.56"), crisis=True, ends_on=date.today())
        }
    )
    assert payload_digest(crisis) != payload_digest(old)
