"""Every Dutch word the hub shows for one of its codes, in one place.

Pages, mail templates, the FHIR Task's business status and exports read these; no code
(`care_concern`, `work_income`) ever reaches a person. A test checks that every value of every
enum has its label.
"""

from __future__ import annotations

from typing import Final

from graphs.weak_links import Direction, WeakLinkKind
from schemas.cases import CaseStatus, Outcome
from schemas.early_debt import NATIONAL, ContactKind, DayPart, EarlyDebtResult, SignalState
from schemas.signals import PartnerKind, SignalKind, SignalStatus, Urgency
from schemas.surveys import Finding, Score, Theme

SIGNAL_KIND: Final = {
    SignalKind.CARE_CONCERN: "Zorgen over gezondheid of welzijn",
    SignalKind.RENT_ARREARS: "Huurachterstand",
    SignalKind.NUISANCE: "Overlast",
    SignalKind.EVICTION_THREAT: "Dreigende huisuitzetting",
    SignalKind.NEGLECT: "Verwaarlozing of vervuiling",
    SignalKind.CARE_REPORT: "Zorgmelding",
    SignalKind.CONFUSED_BEHAVIOUR: "Verward gedrag",
    SignalKind.NON_RESPONDER: "Reageert niet op uitnodigingen",
    SignalKind.YOUTH_CONCERN: "Zorgen over een kind of jongere",
    SignalKind.PAYMENT_ARREARS: "Betalingsachterstand (vroegsignalering)",
    SignalKind.OTHER: "Anders",
}

# One partner of a kind ("een huisarts") and several ("geen huisartsen").
PARTNER_KIND: Final = {
    PartnerKind.GP: "huisarts",
    PartnerKind.HOUSING: "woningcorporatie",
    PartnerKind.POLICE: "politie",
    PartnerKind.WORK_INCOME: "Werk en Inkomen",
    PartnerKind.YOUTH: "CJG",
    PartnerKind.OTHER: "overige partner",
    PartnerKind.TAX_OFFICE: "Belastingdienst",
    PartnerKind.CAK_CONTRIBUTION: "CAK (eigen bijdrage)",
    PartnerKind.CAK_INSURANCE: "CAK (zorgverzekering)",
    PartnerKind.BENEFITS_OFFICE: "Dienst Toeslagen",
    PartnerKind.DUO: "DUO",
    PartnerKind.ENERGY: "energieleverancier",
    PartnerKind.MORTGAGE: "hypotheekverstrekker",
    PartnerKind.WATER: "drinkwaterbedrijf",
    PartnerKind.HEALTH_INSURER: "zorgverzekeraar",
    PartnerKind.CREDITOR: "andere schuldeiser",
    PartnerKind.COLLECTION_SYSTEM: "vroegsignaleringssysteem",
}
PARTNER_KIND_PLURAL: Final = {
    PartnerKind.GP: "huisartsen",
    PartnerKind.HOUSING: "woningcorporaties",
    PartnerKind.POLICE: "politie",
    PartnerKind.WORK_INCOME: "Werk en Inkomen",
    PartnerKind.YOUTH: "CJG",
    PartnerKind.OTHER: "overige partners",
    PartnerKind.TAX_OFFICE: "Belastingdienst",
    PartnerKind.CAK_CONTRIBUTION: "CAK (eigen bijdrage)",
    PartnerKind.CAK_INSURANCE: "CAK (zorgverzekering)",
    PartnerKind.BENEFITS_OFFICE: "Dienst Toeslagen",
    PartnerKind.DUO: "DUO",
    PartnerKind.ENERGY: "energieleveranciers",
    PartnerKind.MORTGAGE: "hypotheekverstrekkers",
    PartnerKind.WATER: "drinkwaterbedrijven",
    PartnerKind.HEALTH_INSURER: "zorgverzekeraars",
    PartnerKind.CREDITOR: "andere schuldeisers",
    PartnerKind.COLLECTION_SYSTEM: "vroegsignaleringssystemen",
}
TEAM: Final = "wijkteam"

URGENCY: Final = {Urgency.NORMAL: "Normaal", Urgency.HIGH: "Hoog"}

# A case as its team sees it.
CASE_STATUS: Final = {
    CaseStatus.NEW: "Nieuw",
    CaseStatus.ACCEPTED: "Opgepakt",
    CaseStatus.CONTACTING: "Contact gezocht, nog niet bereikt",
    CaseStatus.REACHED: "In contact",
    CaseStatus.CLOSED: "Afgesloten",
    CaseStatus.RETURNED: "Teruggestuurd naar de coördinator",
    CaseStatus.DECLINED: "Afgewezen",
}

# A signal as its partner sees it: the step, never the team's work. The FHIR Task's business
# status says the same.
SIGNAL_STATUS: Final = {
    SignalStatus.ROUTED: "Ontvangen en doorgestuurd naar het wijkteam",
    SignalStatus.UNROUTED: "Ontvangen; de coördinator wijst een wijkteam toe",
    SignalStatus.RETURNED: "Ontvangen; de coördinator wijst een wijkteam toe",
    SignalStatus.ACCEPTED: "Opgepakt door het wijkteam",
    SignalStatus.IN_CONTACT: "Het wijkteam zoekt of heeft contact",
    SignalStatus.CLOSED: "Afgerond door het wijkteam",
    SignalStatus.DECLINED: "Niet opgepakt door het wijkteam",
    SignalStatus.OUT_OF_AREA: "Niet doorgestuurd: het adres valt buiten het werkgebied van de "
    "wijkteams",
    SignalStatus.WITHDRAWN: "Ingetrokken door uw organisatie",
}
# A withdrawn signal as its team sees it on the case.
WITHDRAWN_SIGNAL: Final = "Ingetrokken door de partner"


def signal_status(status: SignalStatus, team: str | None = None) -> str:
    """A signal's status for its partner; a routed one names the team it went to."""
    if status is SignalStatus.ROUTED and team:
        return f"Ontvangen en doorgestuurd naar {team}"
    return SIGNAL_STATUS[status]


OUTCOME: Final = {
    Outcome.HELP_STARTED: "Hulp gestart",
    Outcome.REFERRED_ELSEWHERE: "Doorverwezen",
    Outcome.NO_HELP_NEEDED: "Geen hulp nodig",
    Outcome.NOT_REACHED: "Niet bereikt",
    Outcome.DECLINED: "Hulp geweigerd",
    Outcome.REPEAT_SIGNAL: "Herhaalde melding",
    Outcome.OUT_OF_AREA: "Buiten ons werkgebied",
    Outcome.OTHER: "Anders",
}

# The steps of a feedback agreement, in the order they happen.
STEP: Final = {
    "received": "ontvangst",
    "first_contact": "eerste contact",
    "outcome": "uitkomst",
}

# The tabs of a team's inbox.
TAB: Final = {"new": "Nieuw", "mine": "Mijn zaken", "open": "Alle open", "closed": "Afgesloten"}

# What happened, as a case's timeline says it.
EVENT: Final = {
    "received": "signaal ontvangen",
    "routed": "doorgestuurd naar het team",
    "unrouted": "geen team gevonden: naar de coördinator",
    "routed_by_hand": "door de coördinator naar het team gestuurd",
    "repeat": "herhaalde melding ontvangen",
    "take": "opgepakt",
    "assign": "toegewezen",
    "contact_attempt": "contactpoging, niet bereikt",
    "contact_reached": "contact gelukt",
    "close": "afgesloten",
    "return": "teruggestuurd naar de coördinator",
    "decline": "afgewezen",
    "out_of_area": "buiten ons werkgebied: terug naar de partner",
    "note": "notitie",
    "reopen": "weer geopend",
    "pseudonymised": "persoonsgegevens verwijderd (bewaartermijn)",
    "withdrawn": "signaal ingetrokken door",  # + the partner's name
}
# Said after a withdrawal that leaves the case without a signal still standing.
ALL_WITHDRAWN: Final = (
    "alle signalen van deze zaak zijn ingetrokken; de zaak blijft open tot het team haar afsluit"
)

# The message on a case's page after an action of its team.
DONE: Final = {
    "take": "U heeft de zaak opgepakt en bent nu de regisseur.",
    "assign": "De zaak is toegewezen.",
    "contact_attempt": "De contactpoging is vastgelegd.",
    "close": "De zaak is afgesloten. De partners krijgen de uitkomst te horen.",
    "return": "De zaak is teruggestuurd naar de coördinator.",
    "decline": "De zaak is afgewezen. De partners krijgen dat te horen.",
    "note": "De notitie is opgeslagen.",
    "reopen": "De zaak is weer geopend.",
}

# What an administrator did to a feedback agreement (the page's address says it, `?gedaan=`).
AGREEMENT_DONE: Final = {
    "toegevoegd": "De afspraak is toegevoegd en geldt vanaf vandaag voor nieuwe signalen.",
    "gewijzigd": "De afspraak is gewijzigd. De nieuwe versie geldt vanaf vandaag voor nieuwe "
    "signalen. De oude versie staat bij Eerdere afspraken.",
    "ongewijzigd": "Er is niets gewijzigd: de afspraak was al zo.",
    "beeindigd": "De afspraak is beëindigd en geldt vanaf vandaag niet meer voor nieuwe signalen. "
    "U vindt haar bij Eerdere afspraken.",
}

# Who did something, where it was not a person of the hub.
ACTOR: Final = {"hub": "automatisch", "partner": "de partner"}

# Each kind of weak link in the partner network, as a heading of its list (plural).
WEAK_LINK_KIND: Final = {
    WeakLinkKind.BRIDGE: "Enige verbindingen",
    WeakLinkKind.ARTICULATION_POINT: "Knooppunten",
    WeakLinkKind.DRIED_UP_FLOW: "Opgedroogde signaalstromen",
    WeakLinkKind.AGREEMENT_KEPT_POORLY: "Afspraken slecht nagekomen",
    WeakLinkKind.NO_AGREEMENT: "Geen terugkoppelingsafspraak",
    WeakLinkKind.COVERAGE_GAP: "Gaten in de dekking",
    WeakLinkKind.WEAK_TIE: "Zwakke banden",
    WeakLinkKind.VERDICT_GAP: "Oordeel anders dan gemeten",
}

# What a manager can do about each kind of weak link in the partner network.
WEAK_LINK_ACTION: Final = {
    WeakLinkKind.BRIDGE: "Zoek een tweede partner die deze huishoudens ziet.",
    WeakLinkKind.ARTICULATION_POINT: (
        "Spreid de verbindingen: zonder dit knooppunt raken delen los."
    ),
    WeakLinkKind.DRIED_UP_FLOW: "Vraag de partner waarom de signalen zijn gestopt.",
    WeakLinkKind.AGREEMENT_KEPT_POORLY: "Bespreek capaciteit of termijnen met het team.",
    WeakLinkKind.NO_AGREEMENT: "Maak een terugkoppelingsafspraak met deze partner.",
    WeakLinkKind.COVERAGE_GAP: "Breng het team in contact met zo'n partner in de wijk.",
    WeakLinkKind.WEAK_TIE: "Stel deze partners aan elkaar voor.",
    WeakLinkKind.VERDICT_GAP: (
        "Zoek uit waar het verschil zit tussen het oordeel van partners en de meting."
    ),
}
# A verdict gap points one way or the other: at communication, or at measurement.
VERDICT_GAP_ACTION: Final = {
    Direction.LOWER: (
        "Vraag partners hoe de terugkoppeling hen bereikt: ze krijgen die op tijd, maar zo "
        "voelt het voor hen niet."
    ),
    Direction.HIGHER: (
        "Kijk wat het team in de signaalhub vastlegt: partners zijn tevredener dan de meting "
        "laat zien, dus misschien wordt niet alle terugkoppeling geregistreerd."
    ),
}
VERDICT_FINDING: Final = {
    Finding.RATED_LOWER: "Partners oordelen lager dan gemeten",
    Finding.RATED_HIGHER: "Partners oordelen hoger dan gemeten",
}

# The partner survey: the agree scale, and what each theme of statements is about.
SURVEY_SCALE: Final = {
    Score.STRONGLY_AGREE: "Helemaal mee eens",
    Score.AGREE: "Mee eens",
    Score.NEUTRAL: "Niet mee eens, niet mee oneens",
    Score.DISAGREE: "Mee oneens",
    Score.STRONGLY_DISAGREE: "Helemaal mee oneens",
}
SURVEY_DONT_KNOW: Final = "Weet ik niet"
SURVEY_THEME: Final = {
    Theme.VISIBILITY: "Zichtbaar in de wijk",
    Theme.REACHABILITY: "Bereikbaar",
    Theme.TAILORED_SUPPORT: "Hulp op maat",
    Theme.EXPERTISE: "Deskundig",
    Theme.AGREEMENTS_POSSIBLE: "Afspraken over terugkoppeling te maken",
    Theme.AGREEMENTS_KEPT: "Afspraken nagekomen",
    Theme.CLARITY: "Duidelijk waarvoor het team er is",
}

# Early-debt signalling: the national words (schemas.early_debt.NATIONAL), Dutch already.
CONTACT_KIND: Final = {kind: NATIONAL[kind] for kind in ContactKind}
DAY_PART: Final = {part: NATIONAL[part] for part in DayPart}
EARLY_DEBT_RESULT: Final = {result: NATIONAL[result] for result in EarlyDebtResult}
EARLY_DEBT_STATE: Final = {state: NATIONAL[state] for state in SignalState}
