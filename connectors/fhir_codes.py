"""The social-care codes a referral may carry, and the kind of signal each suggests. Pure data.

GP systems code a referral's concern in SNOMED CT, and systems following the Gravity Project's
SDOH Clinical Care guide (HL7 FHIR US, `sdoh-clinicalcare`) add one of its SDOH categories. A
code listed here becomes its kind where the partner may send that kind; any other code (or a
listed one the partner may not send) becomes the partner kind's default kind
(`schemas.signals.default_kind`), and the code itself is kept on the signal for the team.
Codes an administrator maps (`hub fhir map`) win over this table.

Most concerns a district team hears of are "zorgen over gezondheid of welzijn" (care_concern):
food, money, loneliness, a home that is lost. Only what a housing corporation would itself
signal gets a housing kind, so that its coded referrals keep their own kind.
"""

from __future__ import annotations

from typing import Final

from schemas.signals import SignalKind

SNOMED: Final = "http://snomed.info/sct"
SDOH_CATEGORY: Final = (
    "http://hl7.org/fhir/us/sdoh-clinicalcare/CodeSystem/SDOHCC-CodeSystemTemporaryCodes"
)

_CARE = SignalKind.CARE_CONCERN

# SNOMED CT concepts as the SDOH Clinical Care guide's examples use them.
_SNOMED: Final = {
    "410606002": _CARE,  # Social service procedure (the guide's ServiceRequest.category)
    "467771000124109": _CARE,  # Assistance with application for food pantry program
    "467681000124101": _CARE,  # Assistance with application for Summer Food Service Program
    "733423003": _CARE,  # Food insecurity (finding)
    "1184702004": _CARE,  # Financial insecurity (finding)
    "32911000": _CARE,  # Homeless (finding)
    "1156191002": SignalKind.EVICTION_THREAT,  # Housing instability (finding)
    "73438004": _CARE,  # Unemployed (finding)
    "422650009": _CARE,  # Social isolation (finding)
    "706893006": _CARE,  # Victim of intimate partner abuse (finding)
}

# The guide's SDOH categories (SDOHCC-CodeSystemTemporaryCodes), domain by domain.
_SDOH_CATEGORIES: Final = {
    "food-insecurity": _CARE,
    "financial-insecurity": _CARE,
    "medical-cost-burden": _CARE,
    "material-hardship": _CARE,
    "utility-insecurity": _CARE,
    "homelessness": _CARE,
    "housing-instability": SignalKind.EVICTION_THREAT,  # behind on rent, moves, cost burden
    "inadequate-housing": SignalKind.NEGLECT,  # the home does not meet habitability standards
    "transportation-insecurity": _CARE,
    "employment-status": _CARE,
    "stress": _CARE,
    "social-connection": _CARE,
    "intimate-partner-violence": _CARE,
    "elder-abuse": _CARE,
    "personal-health-literacy": _CARE,
    "digital-literacy": _CARE,
    "digital-access": _CARE,
    "sdoh-category-unspecified": _CARE,
}

SOCIAL_CARE_CODES: Final[dict[tuple[str, str], SignalKind]] = {
    **{(SNOMED, code): kind for code, kind in _SNOMED.items()},
    **{(SDOH_CATEGORY, code): kind for code, kind in _SDOH_CATEGORIES.items()},
}
