"""Early-debt signalling (vroegsignalering van schulden): the national vocabulary.

By the Wet gemeentelijke schuldhulpverlening creditors (housing, energy, water, health insurers,
CAK, DUO, the tax office, ...) signal payment arrears to the municipality, mostly as monthly
lists from a collection system. The words here are the national ones of the VNG data set
"DDAS Vroegsignalering" (v1.2, `json_schema_Uitwisselmodel.json` in the public repository
VNG-Realisatie/ddas-vroegsignalering), in which municipalities report to CBS: the kinds of signal
partner, the kinds of contact attempt, parts of the day, a signal's status and the end result of
an early-debt case. Codes are ours (English, stable in the API); `NATIONAL` holds the exact
national text for lists and the CBS export. Pure.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from schemas.signals import PartnerKind

# A creditor partner's kind as the national list names it (EnumSignaalpartner). Rent arrears
# come from housing corporations, the hub's `housing` partners.
SIGNAL_PARTNER: Final = {
    PartnerKind.TAX_OFFICE: "Belastingdienst",
    PartnerKind.CAK_CONTRIBUTION: "CAK Eigen bijdrage",
    PartnerKind.CAK_INSURANCE: "CAK Zorgverzekeringen",
    PartnerKind.BENEFITS_OFFICE: "Dienst Toeslagen",
    PartnerKind.DUO: "DUO",
    PartnerKind.ENERGY: "Energie",
    PartnerKind.HOUSING: "Huur",
    PartnerKind.MORTGAGE: "Hypotheek",
    PartnerKind.CREDITOR: "Overige",
    PartnerKind.WATER: "Water",
    PartnerKind.HEALTH_INSURER: "Zorg",
}
CREDITORS: Final = frozenset(SIGNAL_PARTNER)


class ContactKind(StrEnum):
    """How a team tried to reach a resident (EnumContactsoort)."""

    ADMINISTRATIVE = "administrative"
    APPOINTMENT = "appointment"
    LETTER = "letter"
    HOME_VISIT = "home_visit"
    CARD = "card"
    EMAIL = "email"
    UNKNOWN = "unknown"
    OTHER = "other"
    TEXT = "text"
    PHONE = "phone"


class DayPart(StrEnum):
    """Part of the day of a contact attempt (EnumDagdeel)."""

    MORNING = "morning"
    AFTERNOON = "afternoon"
    EVENING = "evening"


class EarlyDebtResult(StrEnum):
    """The end result of an early-debt case (EnumEindresultaat, 16 values)."""

    ADVICE_QUICK_FIX = "advice_quick_fix"
    NEVER_REACHED = "never_reached"
    NO_REACTION_AFTER_CONTACT = "no_reaction_after_contact"
    KNOWN_TO_DEBT_SERVICE = "known_to_debt_service"
    OTHER_TRACK = "other_track"
    PAID_OR_ARRANGED = "paid_or_arranged"
    DECEASED = "deceased"
    MANAGES_ALONE = "manages_alone"
    NOT_TAKEN_OTHER_REASON = "not_taken_other_reason"
    NOT_TAKEN_REPEAT = "not_taken_repeat"
    NOT_TAKEN_UNFOUNDED = "not_taken_unfounded"
    NOT_A_RESIDENT = "not_a_resident"
    FOLLOW_UP = "follow_up"
    FOLLOW_UP_FINANCIAL = "follow_up_financial"
    FOLLOW_UP_NON_FINANCIAL = "follow_up_non_financial"
    REFERRED_WITHOUT_RESIDENT = "referred_without_resident"


class SignalState(StrEnum):
    """Where an early-debt signal stands for the national model (EnumSignaalstatus): all a
    creditor is ever told."""

    NOT_YET_TAKEN = "not_yet_taken"
    TAKEN = "taken"
    KNOWN_TO_DEBT_SERVICE = "known_to_debt_service"
    DECEASED = "deceased"
    NOT_TAKEN_OTHER_REASON = "not_taken_other_reason"
    NOT_TAKEN_REPEAT = "not_taken_repeat"
    NOT_TAKEN_UNFOUNDED = "not_taken_unfounded"
    NOT_A_RESIDENT = "not_a_resident"


NATIONAL: Final[dict[StrEnum, str]] = {
    ContactKind.ADMINISTRATIVE: "Administratief",
    ContactKind.APPOINTMENT: "Afspraak op locatie",
    ContactKind.LETTER: "Brief",
    ContactKind.HOME_VISIT: "Huisbezoek",
    ContactKind.CARD: "Kaartje",
    ContactKind.EMAIL: "Mail",
    ContactKind.UNKNOWN: "Onbekend",
    ContactKind.OTHER: "Overige",
    ContactKind.TEXT: "SMS/Whatsapp",
    ContactKind.PHONE: "Telefoon",
    DayPart.MORNING: "Ochtend",
    DayPart.AFTERNOON: "Middag",
    DayPart.EVENING: "Avond",
    EarlyDebtResult.ADVICE_QUICK_FIX: "(Budget)advies en/of quick fix",
    EarlyDebtResult.NEVER_REACHED: "Definitief geen contact kunnen krijgen",
    EarlyDebtResult.NO_REACTION_AFTER_CONTACT: "Geen reactie na eerder contact",
    EarlyDebtResult.KNOWN_TO_DEBT_SERVICE: "Inwoner al bekend bij schuldhulpverlening",
    EarlyDebtResult.OTHER_TRACK: "Inwoner heeft al een ander lopend traject",
    EarlyDebtResult.PAID_OR_ARRANGED: "Inwoner heeft zelf al betaald/betalingsregeling getroffen",
    EarlyDebtResult.DECEASED: "Inwoner is overleden",
    EarlyDebtResult.MANAGES_ALONE: (
        "Inwoner regelt het zelf/hoeft geen hulp vanuit vroegsignalering"
    ),
    EarlyDebtResult.NOT_TAKEN_OTHER_REASON: "Niet opgepakt: andere reden",
    EarlyDebtResult.NOT_TAKEN_REPEAT: "Niet opgepakt: herhaalde melding",
    EarlyDebtResult.NOT_TAKEN_UNFOUNDED: "Niet opgepakt: onterecht signaal",
    EarlyDebtResult.NOT_A_RESIDENT: "Persoon is geen inwoner (meer) in de gemeente",
    EarlyDebtResult.FOLLOW_UP: "Vervolghulp en/of verwijzing",
    EarlyDebtResult.FOLLOW_UP_FINANCIAL: "Vervolghulp en/of verwijzing financieel",
    EarlyDebtResult.FOLLOW_UP_NON_FINANCIAL: "Vervolghulp en/of verwijzing niet financieel",
    EarlyDebtResult.REFERRED_WITHOUT_RESIDENT: "Verwijzing zonder tussenkomst inwoner",
    SignalState.NOT_YET_TAKEN: "Nog niet opgepakt",
    SignalState.TAKEN: "Opgepakt",
    SignalState.KNOWN_TO_DEBT_SERVICE: "Inwoner al bekend bij schuldhulpverlening",
    SignalState.DECEASED: "Inwoner is overleden",
    SignalState.NOT_TAKEN_OTHER_REASON: "Niet opgepakt: andere reden",
    SignalState.NOT_TAKEN_REPEAT: "Niet opgepakt: herhaalde melding",
    SignalState.NOT_TAKEN_UNFOUNDED: "Niet opgepakt: onterecht signaal",
    SignalState.NOT_A_RESIDENT: "Persoon is geen inwoner (meer) in de gemeente",
}

# What a creditor is told of a closed early-debt case: never the help the resident got (a
# creditor learns whether the municipality picked the signal up, not what came of it). A
# result the national status list does not name is told as "taken"; one not taken up for
# another reason says only that.
STATE_OF_RESULT: Final = {
    EarlyDebtResult.KNOWN_TO_DEBT_SERVICE: SignalState.KNOWN_TO_DEBT_SERVICE,
    EarlyDebtResult.DECEASED: SignalState.DECEASED,
    EarlyDebtResult.NOT_TAKEN_OTHER_REASON: SignalState.NOT_TAKEN_OTHER_REASON,
    EarlyDebtResult.NOT_TAKEN_REPEAT: SignalState.NOT_TAKEN_REPEAT,
    EarlyDebtResult.NOT_TAKEN_UNFOUNDED: SignalState.NOT_TAKEN_UNFOUNDED,
    EarlyDebtResult.NOT_A_RESIDENT: SignalState.NOT_A_RESIDENT,
}


def state_told(result: EarlyDebtResult | None, taken: bool) -> SignalState:
    """The national signal status a creditor is told for a case's result (None: still open)."""
    if result is None:
        return SignalState.TAKEN if taken else SignalState.NOT_YET_TAKEN
    return STATE_OF_RESULT.get(result, SignalState.TAKEN)


def national(value: StrEnum) -> str:
    return NATIONAL[value]


def from_national(enum: type[StrEnum], text: str) -> StrEnum | None:
    """The code for a national text (ignoring case and surrounding space), or None."""
    wanted = text.strip().casefold()
    for member in enum:
        if NATIONAL.get(member, "").casefold() == wanted or member.value == wanted:
            return member
    return None
