"""Signals as partners hand them over, and what the hub answers about them."""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Literal, Self
from uuid import UUID

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    model_validator,
)

from schemas.address import Address

EMERGENCY_NOTICE = (
    "The hub is not for emergencies: in danger call 112; for domestic violence or child abuse "
    "call Veilig Thuis (0800-2000). Niet voor spoed: bel 112 bij gevaar, Veilig Thuis 0800-2000 "
    "bij huiselijk geweld of kindermishandeling."
)


class PartnerKind(StrEnum):
    GP = "gp"
    HOUSING = "housing"
    POLICE = "police"
    WORK_INCOME = "work_income"
    YOUTH = "youth"
    OTHER = "other"
    # Creditors signalling payment arrears (vroegsignalering), after the national list of
    # signal partners (schemas.early_debt.SIGNAL_PARTNER); rent arrears come from `housing`.
    TAX_OFFICE = "tax_office"
    CAK_CONTRIBUTION = "cak_contribution"
    CAK_INSURANCE = "cak_insurance"
    BENEFITS_OFFICE = "benefits_office"
    DUO = "duo"
    ENERGY = "energy"
    MORTGAGE = "mortgage"
    WATER = "water"
    HEALTH_INSURER = "health_insurer"
    CREDITOR = "creditor"
    # A collection system (RIS, xxllnc Vroegsignalering, BKR's VPS) sending the lists of many
    # creditors at once; each of its signals names its creditor.
    COLLECTION_SYSTEM = "collection_system"


class SignalKind(StrEnum):
    CARE_CONCERN = "care_concern"
    RENT_ARREARS = "rent_arrears"
    NUISANCE = "nuisance"
    EVICTION_THREAT = "eviction_threat"
    NEGLECT = "neglect"
    CARE_REPORT = "care_report"
    CONFUSED_BEHAVIOUR = "confused_behaviour"
    NON_RESPONDER = "non_responder"
    YOUTH_CONCERN = "youth_concern"
    PAYMENT_ARREARS = "payment_arrears"  # an early-debt signal (vroegsignaal) of a creditor
    OTHER = "other"


# Who sends early-debt signals (payment arrears) and nothing else: the creditors of the national
# list (housing sends rent arrears as well) and the collection systems that carry their lists.
EARLY_DEBT_SENDERS: tuple[PartnerKind, ...] = (
    PartnerKind.TAX_OFFICE,
    PartnerKind.CAK_CONTRIBUTION,
    PartnerKind.CAK_INSURANCE,
    PartnerKind.BENEFITS_OFFICE,
    PartnerKind.DUO,
    PartnerKind.ENERGY,
    PartnerKind.MORTGAGE,
    PartnerKind.WATER,
    PartnerKind.HEALTH_INSURER,
    PartnerKind.CREDITOR,
    PartnerKind.COLLECTION_SYSTEM,
)
# What each kind of partner may signal; `other` is open to every partner.
KINDS_BY_PARTNER: dict[PartnerKind, frozenset[SignalKind]] = {
    PartnerKind.GP: frozenset({SignalKind.CARE_CONCERN}),
    PartnerKind.HOUSING: frozenset(
        {
            SignalKind.RENT_ARREARS,
            SignalKind.NUISANCE,
            SignalKind.EVICTION_THREAT,
            SignalKind.NEGLECT,
            SignalKind.PAYMENT_ARREARS,
        }
    ),
    PartnerKind.POLICE: frozenset({SignalKind.CARE_REPORT, SignalKind.CONFUSED_BEHAVIOUR}),
    PartnerKind.WORK_INCOME: frozenset({SignalKind.NON_RESPONDER}),
    PartnerKind.YOUTH: frozenset({SignalKind.YOUTH_CONCERN}),
    PartnerKind.OTHER: frozenset(),
    **{creditor: frozenset({SignalKind.PAYMENT_ARREARS}) for creditor in EARLY_DEBT_SENDERS},
}


def kinds_for(partner_kind: PartnerKind) -> frozenset[SignalKind]:
    return KINDS_BY_PARTNER[partner_kind] | {SignalKind.OTHER}


# The kind a partner's referral takes when its code names no kind this hub knows (a coded
# referral from a GP's system must not bounce); partners without one of their own get `other`.
DEFAULT_KIND_BY_PARTNER: dict[PartnerKind, SignalKind] = {
    PartnerKind.GP: SignalKind.CARE_CONCERN,
    PartnerKind.POLICE: SignalKind.CARE_REPORT,
    PartnerKind.YOUTH: SignalKind.YOUTH_CONCERN,
    **{creditor: SignalKind.PAYMENT_ARREARS for creditor in EARLY_DEBT_SENDERS},
}


def default_kind(partner_kind: PartnerKind) -> SignalKind:
    return DEFAULT_KIND_BY_PARTNER.get(partner_kind, SignalKind.OTHER)


class Urgency(StrEnum):
    NORMAL = "normal"
    HIGH = "high"


class SignalStatus(StrEnum):
    """Where a signal stands: routed to a team (or not), then as its case moves."""

    ROUTED = "routed"
    UNROUTED = "unrouted"
    ACCEPTED = "accepted"
    IN_CONTACT = "in_contact"
    CLOSED = "closed"
    RETURNED = "returned"
    DECLINED = "declined"
    OUT_OF_AREA = "out_of_area"  # outside every team's area: back to the partner, not routed
    WITHDRAWN = "withdrawn"  # taken back by its partner; kept, and its case stays with the team


_EXTERNAL_REF = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:/#-]{0,99}$")


def _check_external_ref(value: str) -> str:
    if _EXTERNAL_REF.match(value) is None:
        raise ValueError(
            "a reference is 1 to 100 letters, digits or . _ : / # -, "
            "starting with a letter or digit"
        )
    return value


ExternalRef = Annotated[
    str,
    AfterValidator(_check_external_ref),
    Field(
        description="The partner's own reference for this signal; unique per partner.",
        examples=["HIS-2026-000123"],
    ),
]
# Control characters (NUL, escape sequences) have no place in what people read: they hide or
# garble text on a team's screen and in exports. Line breaks and tabs are text. (Bidirectional
# marks are text too, pasted from right-to-left writing: they are kept and shown escaped.)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control(value: str) -> str:
    if _CONTROL.search(value):
        raise ValueError("holds a control character")
    return value


ShortText = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=500),
    AfterValidator(_no_control),
]


def _birth_date_in_past(value: date) -> date:
    if value < date(1900, 1, 1) or value > date.today():
        raise ValueError("a birth date lies between 1900-01-01 and today")
    return value


class Person(BaseModel):
    """Only what the team needs to find the right person in the household."""

    model_config = ConfigDict(extra="forbid")

    name: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
            AfterValidator(_no_control),
        ]
        | None
    ) = None
    birth_date: Annotated[date, AfterValidator(_birth_date_in_past)] | None = None


class ResidentInformed(BaseModel):
    """Whether the resident knows about the signal; if not, why not."""

    model_config = ConfigDict(extra="forbid")

    informed: bool = Field(strict=True)
    reason: ShortText | None = Field(default=None, description="Required when `informed` is false.")

    @model_validator(mode="after")
    def _reason_when_not_informed(self) -> Self:
        if not self.informed and self.reason is None:
            raise ValueError("say why the resident was not informed (reason)")
        return self


def _plausible_day(value: date) -> date:
    if not date(2000, 1, 1) <= value <= date(2099, 12, 31):
        raise ValueError("a date between 2000-01-01 and 2099-12-31")
    return value


PlausibleDay = Annotated[date, AfterValidator(_plausible_day)]


def _plain_amount(value: object) -> object:
    """An amount as digits and a point ("412.50"), or a number: not "٤١٢", "1_000" or " 4 "."""
    if isinstance(value, str) and re.fullmatch(r"[0-9]{1,7}(\.[0-9]{1,2})?", value) is None:
        raise ValueError("an amount in euros as digits with a decimal point, e.g. 412.50")
    return value


class Arrears(BaseModel):
    """Payment arrears: rent arrears as a housing corporation reports them, or an early-debt
    signal (vroegsignaal) of any creditor, with the national model's facts."""

    model_config = ConfigDict(extra="forbid")

    amount_eur: Annotated[Decimal, BeforeValidator(_plain_amount)] = Field(
        ge=0, le=1_000_000, decimal_places=2
    )
    since: PlausibleDay | None = Field(
        default=None, description="When the arrears arose (ontstaansdatum)."
    )
    creditor: PartnerKind | None = Field(
        default=None,
        description="The creditor's kind (signaalpartner) when a collection system sends the "
        "signal on its behalf; a creditor's own signal is its own kind.",
    )
    signalled_on: PlausibleDay | None = Field(
        default=None, description="When the creditor signalled it (signaaldatum)."
    )
    crisis: bool = Field(
        default=False,
        strict=True,
        description="Eviction or cut-off is imminent (crisissignaal): the signal is urgent.",
    )
    ends_on: PlausibleDay | None = Field(
        default=None,
        description="The day the supply ends or the eviction is set, as the creditor announced "
        "it: first contact is due before it.",
    )
    warm_handover: bool = Field(
        default=False,
        strict=True,
        description="The creditor already spoke with the resident, who asked to be contacted "
        "(warme overdracht).",
    )

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.since and self.signalled_on and self.since > self.signalled_on:
            raise ValueError("the arrears arose (since) on or before the day they were signalled")
        if self.ends_on and self.signalled_on and self.ends_on < self.signalled_on:
            raise ValueError("the cut-off (ends_on) is announced for a day after the signal")
        return self


class NonResponse(BaseModel):
    """A Work & Income client who stopped answering invitations."""

    model_config = ConfigDict(extra="forbid")

    client_ref: Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=50)
    ]
    invitations: list[date] = Field(default_factory=list, max_length=10)


class Coding(BaseModel):
    """A code from the referrer's own code system, as a FHIR Coding carries it."""

    model_config = ConfigDict(extra="forbid")

    system: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    code: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    display: (
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
        | None
    ) = None


class SignalIn(BaseModel):
    """A signal as a partner hands it over."""

    model_config = ConfigDict(
        extra="forbid",
        title="SignalIn",
        json_schema_extra={
            "description": "A signal about a household. " + EMERGENCY_NOTICE,
            "examples": [
                {
                    "external_ref": "HIS-2026-000123",
                    "kind": "care_concern",
                    "urgency": "normal",
                    "address": {
                        "postcode": "2036 AA",
                        "house_number": 12,
                        "house_letter": "A",
                        "addition": "bis",
                    },
                    "person": {"name": "J. de Vries", "birth_date": "1971-03-05"},
                    "resident_informed": {"informed": False, "reason": "niet bereikbaar"},
                    "description": "Mist afspraken, noemt huurachterstand.",
                }
            ],
        },
    )

    external_ref: ExternalRef
    kind: SignalKind
    urgency: Urgency = Urgency.NORMAL
    address: Address
    person: Person | None = None
    resident_informed: ResidentInformed
    description: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=2000),
        AfterValidator(_no_control),
    ]
    arrears: Arrears | None = None
    non_response: NonResponse | None = None

    @model_validator(mode="after")
    def _crisis_is_urgent(self) -> Self:
        """A crisis (cut-off or eviction near) is urgent whatever the sender chose."""
        if self.arrears is not None and self.arrears.crisis and self.urgency is Urgency.NORMAL:
            self.urgency = Urgency.HIGH
        return self

    coding: Coding | None = Field(
        default=None,
        description="The code the referrer's system gave the concern (e.g. SNOMED CT), kept "
        "as sent and shown to the team.",
    )


class TeamRef(BaseModel):
    code: str
    name: str


class SignalReceipt(BaseModel):
    """The answer to a partner once its signal is safely stored."""

    id: UUID
    status: SignalStatus
    team: TeamRef | None
    received_at: AwareDatetime
    repeat_of: UUID | None = Field(
        default=None,
        description="An earlier signal of yours about the same household and kind, within the "
        "repeat window: this one is recorded as a repeat of it (herhaalde melding).",
    )


class PromisedFeedback(BaseModel):
    """One step a feedback agreement promised the partner: by when, and when it happened."""

    step: Literal["received", "first_contact", "outcome"]
    due_on: date | None = Field(description="The last day; null: at the event itself.")
    met_at: AwareDatetime | None = Field(description="When the team took the step.")
    late: bool = Field(description="Taken after its day, or not yet taken and its day is past.")
    delivered_at: AwareDatetime | None = Field(
        default=None, description="When it reached your system by webhook, if you take those."
    )


class PartnerSignalView(SignalReceipt):
    """What a partner can read back about its own signal: status, never the team's work."""

    external_ref: str
    kind: SignalKind
    urgency: Urgency
    status_at: AwareDatetime | None = Field(
        default=None, description="When the status last changed (for a new signal: received_at)."
    )
    feedback: list[PromisedFeedback] | None = Field(
        default=None,
        description="What the team promised to let you know, per step, and what it did when "
        "(in the view of one signal; not in lists).",
    )


class TeamSignalView(BaseModel):
    """A signal as its district team sees it in the inbox."""

    id: UUID
    partner: str
    partner_kind: PartnerKind
    kind: SignalKind
    urgency: Urgency
    address: Address
    person: Person | None
    resident_informed: ResidentInformed
    description: str
    received_at: AwareDatetime


class TeamSignalPage(BaseModel):
    items: list[TeamSignalView]
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next (older) page; null on the last page."
    )


class WithdrawalIn(BaseModel):
    """A partner takes its signal back (the referral is called off). The signal is kept, its
    case stays with the team, which is told; the reason, if given, is shown to the team."""

    model_config = ConfigDict(extra="forbid", title="WithdrawalIn")

    reason: (
        Annotated[
            str,
            StringConstraints(strip_whitespace=True, min_length=1, max_length=1000),
            AfterValidator(_no_control),
        ]
        | None
    ) = Field(default=None, examples=["Patiënt is verhuisd naar een andere gemeente."])
