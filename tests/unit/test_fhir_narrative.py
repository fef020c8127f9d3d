"""A FHIR narrative read as plain text, and codes read as kinds: pure translations."""

from __future__ import annotations

import hashlib

import pytest

from connectors.fhir import FhirInputError, KindCodes, referral_from_service_request
from connectors.fhir_codes import SDOH_CATEGORY, SNOMED
from connectors.narrative import plain_text
from hub.intake.service import payload_digest
from hub.privacy.sealed import keyed_payload_digest
from schemas.signals import PartnerKind, SignalKind, default_kind, kinds_for

XHTML = '<div xmlns="http://www.w3.org/1999/xhtml">{}</div>'


@pytest.mark.parametrize(
    ("body", "text"),
    [
        ("<p>Eén regel</p>", "Eén regel"),
        ("<p>Eerste</p><p>Tweede</p>", "Eerste\n\nTweede"),
        ("<p>regel<br/>volgende</p>", "regel\nvolgende"),
        ("<p>over\n    twee   regels\tin de bron</p>", "over twee regels in de bron"),
        ("<ul><li>huur</li><li>energie</li></ul>", "- huur\n- energie"),
        ("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td></tr></table>", "a b\nc"),
        ("<h3>Kop</h3><p>tekst</p>", "Kop\n\ntekst"),
        ("<p>A &amp; B &lt;3 &#233;&#xE9; &nbsp;C</p>", "A & B <3 éé C"),
        ("<p>vóór<script>alert(1)</script><style>p {}</style>na</p>", "vóórna"),
        ('<p onclick="x()">tekst<img src="x" onerror="x()"/></p>', "tekst"),
        ("<p>open<script>nooit gesloten <p>weg</p>", "open"),
        ("<p>stuur&#0;teken&#7;</p>", "stuur\ufffdteken"),
        ("gewone tekst", "gewone tekst"),
        ("", ""),
    ],
)
def test_narrative_as_plain_text(body: str, text: str) -> None:
    assert plain_text(XHTML.format(body)) == text


def request(*concepts: dict[str, object], **extra: object) -> dict[str, object]:
    body: dict[str, object] = {
        "resourceType": "ServiceRequest",
        "id": "sr-1",
        "status": "active",
        "intent": "order",
        "subject": {"reference": "#p"},
        "contained": [
            {
                "resourceType": "Patient",
                "id": "p",
                "address": [{"line": ["Kruisweg 12"], "postalCode": "2031 AA"}],
            }
        ],
        **extra,
    }
    if concepts:
        body["code"] = concepts[0]
        body["category"] = list(concepts[1:])
    return body


def codes_of(partner_kind: PartnerKind) -> KindCodes:
    return KindCodes(allowed=kinds_for(partner_kind), fallback=default_kind(partner_kind))


def coding(system: str, code: str, display: str | None = None) -> dict[str, object]:
    return {"coding": [{"system": system, "code": code, "display": display}]}


@pytest.mark.parametrize(
    ("partner_kind", "concepts", "kind"),
    [
        (PartnerKind.GP, [coding(SNOMED, "467771000124109")], SignalKind.CARE_CONCERN),
        (PartnerKind.GP, [coding(SNOMED, "1234")], SignalKind.CARE_CONCERN),
        (PartnerKind.GP, [coding(SNOMED, "1156191002")], SignalKind.CARE_CONCERN),
        (PartnerKind.HOUSING, [coding(SNOMED, "1156191002")], SignalKind.EVICTION_THREAT),
        (PartnerKind.HOUSING, [coding(SNOMED, "1234")], SignalKind.OTHER),
        (
            PartnerKind.HOUSING,
            [coding(SNOMED, "1234"), coding(SDOH_CATEGORY, "inadequate-housing")],
            SignalKind.NEGLECT,
        ),
        (PartnerKind.POLICE, [coding(SNOMED, "1234")], SignalKind.CARE_REPORT),
        (PartnerKind.YOUTH, [], SignalKind.YOUTH_CONCERN),
    ],
)
def test_codes_become_a_kind_the_partner_may_send(
    partner_kind: PartnerKind, concepts: list[dict[str, object]], kind: SignalKind
) -> None:
    body = request(*concepts, note=[{"text": "Zorgen."}], identifier=[{"value": "R-1"}])
    referral = referral_from_service_request(body, codes_of(partner_kind))
    assert referral.signal.kind is kind


def test_without_a_default_an_unknown_code_is_refused() -> None:
    with pytest.raises(FhirInputError) as refused:
        referral_from_service_request(request(coding(SNOMED, "1234"), note=[{"text": "Zorgen."}]))
    assert refused.value.issues[0].expression == "ServiceRequest.code"


@pytest.mark.parametrize(
    ("extra", "description"),
    [
        ({"note": [{"text": "Uit de notitie."}]}, "Uit de notitie."),
        ({"reasonCode": [{"text": "Uit de reden."}]}, "Uit de reden."),
        ({}, "Hulp bij aanvraag voedselbank"),  # the code's text
    ],
)
def test_the_description_is_the_note_else_the_reason_else_the_code(
    extra: dict[str, object], description: str
) -> None:
    concept = {
        **coding(SNOMED, "467771000124109", "Assistance"),
        "text": "Hulp bij aanvraag voedselbank",
    }
    referral = referral_from_service_request(request(concept, **extra), codes_of(PartnerKind.GP))
    assert referral.signal.description == description
    assert referral.signal.coding is not None
    assert (referral.signal.coding.code, referral.signal.coding.display) == (
        "467771000124109",
        "Assistance",
    )


def test_a_signal_without_a_code_is_the_same_as_before_codes_were_kept() -> None:
    """Signals stored before `coding` existed were hashed without it: sent again, unchanged."""
    body = request(coding(SNOMED, "1234"), note=[{"text": "Zorgen."}], identifier=[{"value": "R"}])
    with_code = referral_from_service_request(body, codes_of(PartnerKind.GP)).signal
    without = with_code.model_copy(update={"coding": None})
    before = hashlib.sha256(without.model_dump_json(exclude={"coding"}).encode()).digest()
    assert payload_digest(without) == keyed_payload_digest(before)
    assert payload_digest(with_code) != payload_digest(without)
