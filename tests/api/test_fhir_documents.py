"""FHIR documents as ZorgDomein delivers them, their cancellation, and the published SDOH
ServiceRequest: through real HTTP into a real database, as a GP's system would send them."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from connectors.fhir_codes import SDOH_CATEGORY, SNOMED
from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind
from tests.support.factories import OOST, make_partner, make_user
from tests.support.fhir import outcome, post
from tests.support.http import act, bearer, cases_of, log_in
from tests.support.outbox import queued_mail

Client = TestClient[Any, Any]
DATA = Path(__file__).parents[1] / "data"
ZD_NUMBER = "ZD203948571"
LETTER = (
    "Reden van verwijzing\n"
    "Mevrouw Bakker (68) woont alleen sinds het overlijden van haar man in maart. Zij vertelt "
    "dat zij de huur en de energierekening al twee maanden niet heeft betaald en post "
    "ongeopend laat liggen.\n"
    "\n"
    "Zij is akkoord met contact door het wijkteam.\n"
    "\n"
    "Sociale situatie\n"
    "- Geen kinderen in de buurt; één buurvrouw helpt soms.\n"
    "- Loopt slecht (artrose), komt weinig buiten.\n"
    "\n"
    "Vraag aan het wijkteam\n"
    "Graag een huisbezoek: hulp bij de administratie & kijken of hulp in het huishouden nodig "
    "is.\n"
    "Bereikbaar op werkdagen na 10.00 uur."
)


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((DATA / name).read_text(encoding="utf-8"))
    return data


def referral() -> dict[str, Any]:
    return load("zorgdomein-verwijzing.json")


def cancellation() -> dict[str, Any]:
    return load("zorgdomein-annulering.json")


def expressions(issues: list[dict[str, Any]]) -> list[str]:
    return [e for issue in issues for e in issue.get("expression", [])]


async def signals(pool: asyncpg.Pool) -> list[dict[str, Any]]:
    """Every signal stored, its sealed personal data and address opened."""
    async with pool.acquire() as conn:
        rows = await conn.fetch(
            """select s.*, h.address, t.code
               from signals s join households h on h.id = s.household_id
               left join teams t on t.id = s.team_id order by s.received_at"""
        )
    return [unsealed(row) for row in rows]


@pytest.mark.parametrize("path", ["/fhir", "/fhir/Bundle"])
async def test_a_zorgdomein_referral_becomes_a_signal_answered_with_its_task(
    client: Client, haarlem: asyncpg.Pool, path: str
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    response = await post(client, token, path, referral())
    assert response.status == 201, await response.text()
    task = await response.json()
    assert task["resourceType"] == "Task"
    assert task["status"] == "requested"
    assert task["focus"]["identifier"]["value"] == ZD_NUMBER
    assert response.headers["Location"] == f"/fhir/Task/{task['id']}"
    assert "Bakker" not in json.dumps(task)

    (row,) = await signals(haarlem)
    assert row["external_ref"] == ZD_NUMBER
    assert row["description"] == LETTER  # the sections as text: no markup, entities read
    assert row["kind"] == "care_concern"
    assert (row["postcode"], row["house_number"], row["code"]) == ("2031AA", 12, OOST)
    assert (row["person_name"], str(row["person_birth_date"])) == ("Anna Bakker", "1958-04-17")
    assert row["coding"] is None  # the document type is not the concern

    again = await post(client, token, path, referral())
    assert again.status == 200
    assert (await again.json())["id"] == task["id"]
    assert len(await signals(haarlem)) == 1


async def test_a_cancellation_withdraws_the_signal_and_the_team_is_told(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    gp, token = await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk Schalkwijk")
    member, member_token = await make_user(haarlem, "member", OOST)
    task = await (await post(client, token, "/fhir", referral())).json()
    (case,) = await cases_of(client, member_token)
    mails_before = len(await queued_mail(haarlem))

    response = await post(client, token, "/fhir", cancellation())
    assert response.status == 200, await response.text()
    cancelled = await response.json()
    assert (cancelled["id"], cancelled["status"]) == (task["id"], "cancelled")
    assert cancelled["businessStatus"]["text"] == "Ingetrokken door uw organisatie"
    read = await client.get(f"/fhir/Task/{task['id']}", headers=bearer(token))
    assert (await read.json())["status"] == "cancelled"

    # Nothing is deleted: the signal stays, withdrawn, with its team and case.
    (row,) = await signals(haarlem)
    assert (row["status"], row["code"], row["description"]) == ("withdrawn", OOST, LETTER)

    # The case stays open for the team, whose timeline shows the withdrawal and its reason.
    view = await (
        await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(member_token))
    ).json()
    assert view["status"] == "new"
    (withdrawn,) = [entry for entry in view["timeline"] if entry["kind"] == "withdrawn"]
    assert withdrawn["actor_name"] == "Huisartsenpraktijk Schalkwijk"
    assert withdrawn["detail"] == {
        "reason": "Reden van annulering\nMevrouw heeft zelf contact gezocht met het wijkteam; "
        "deze verwijzing is niet meer nodig.",
        "all_withdrawn": True,
    }
    (signal,) = view["signals"]
    assert signal["status"] == "withdrawn"

    # The team is mailed, through the outbox, without anything personal.
    mails = (await queued_mail(haarlem))[mails_before:]
    assert [mail["recipient"] for mail in mails] == ["swt-hlm-oost@demo.signaalhub.invalid"]
    assert mails[0]["subject"] == "Signaal ingetrokken bij een zaak van Sociaal Wijkteam Oost"
    assert f"/inbox/zaken/{case['id']}" in mails[0]["body"]
    assert "Alle signalen van deze zaak zijn nu ingetrokken" in mails[0]["body"]
    for secret in ("Bakker", "Kruisweg", "2031", ZD_NUMBER, "contact gezocht"):
        assert secret not in mails[0]["subject"] + mails[0]["body"]

    # The team's page says it in words.
    await log_in(client, member.email, "wachtwoord-123")
    page = await (await client.get(f"/inbox/zaken/{case['id']}")).text()
    assert "signaal ingetrokken door Huisartsenpraktijk Schalkwijk" in page
    assert "de zaak blijft open tot het team haar afsluit" in page
    assert "Ingetrokken door de partner" in page

    # Sent again, the cancellation answers the same and changes nothing.
    again = await post(client, token, "/fhir", cancellation())
    assert again.status == 200
    assert (await again.json())["status"] == "cancelled"
    assert len(await queued_mail(haarlem)) == mails_before + 1
    assert gp.id  # the partner that sent it is the one that withdrew it


async def test_entered_in_error_cancels_too(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    await post(client, token, "/fhir/Bundle", referral())
    document = referral()
    document["id"] = "b0c1d2e3-f4a5-4b6c-8d7e-9f0a1b2c3d4e"
    document["entry"][0]["resource"]["status"] = "entered-in-error"
    response = await post(client, token, "/fhir/Bundle", document)
    assert response.status == 200, await response.text()
    assert (await response.json())["status"] == "cancelled"
    (row,) = await signals(haarlem)
    assert row["status"] == "withdrawn"


async def test_cancelling_what_was_never_sent_or_is_finished(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    _, other = await make_partner(haarlem, PartnerKind.GP)
    _, member = await make_user(haarlem, "member", OOST)
    issues = await outcome(await post(client, token, "/fhir", cancellation()), 422)
    assert expressions(issues) == ["Bundle.entry[0].resource.identifier"]

    await post(client, token, "/fhir", referral())
    # Another practice's cancellation with the same number finds nothing of its own.
    await outcome(await post(client, other, "/fhir", cancellation()), 422)
    (case,) = await cases_of(client, member)
    for action in (
        {"action": "take"},
        {"action": "contact_attempt", "reached": True},
        {"action": "close", "outcome": "help_started"},
    ):
        assert (await act(client, member, case["id"], **action)).status == 200
    issues = await outcome(await post(client, token, "/fhir", cancellation()), 409)
    assert "can no longer be withdrawn" in issues[0]["diagnostics"]
    (row,) = await signals(haarlem)
    assert row["status"] == "closed"


async def test_a_document_without_an_address_names_patient_address(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    document = referral()
    del document["entry"][1]["resource"]["address"]
    issues = await outcome(await post(client, token, "/fhir", document), 422)
    assert expressions(issues) == ["Bundle.entry[1].resource.address"]
    assert "Patient.address" in issues[0]["diagnostics"]
    assert await signals(haarlem) == []


@pytest.mark.parametrize(
    ("change", "expression"),
    [
        (  # the Composition's elements where they stand in the Bundle: a FHIRPath of it
            lambda d: d["entry"][0]["resource"].pop("identifier"),
            "Bundle.entry[0].resource.identifier",
        ),
        (lambda d: d["entry"].reverse(), "Bundle.entry[0].resource"),
        (
            lambda d: d["entry"][0]["resource"].update(subject={"reference": "Patient/elders"}),
            "Bundle.entry[0].resource.subject",
        ),
        (  # too long to take whole: refused, not cut short
            lambda d: d["entry"][0]["resource"]["section"][0]["text"].update(
                div=f'<div xmlns="http://www.w3.org/1999/xhtml"><p>{"Zorgen. " * 300}</p></div>'
            ),
            "Bundle.entry[0].resource.section",
        ),
        (lambda d: d.update(type="collection"), "Bundle.type"),
    ],
)
async def test_bad_documents_name_the_element_at_fault(
    client: Client, haarlem: asyncpg.Pool, change: Any, expression: str
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    document = referral()
    change(document)
    issues = await outcome(await post(client, token, "/fhir", document), 422)
    assert expression in expressions(issues)
    assert await signals(haarlem) == []


async def test_markup_in_the_narrative_is_read_as_text_and_never_runs(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    member, _ = await make_user(haarlem, "member", OOST)
    document = referral()
    document["entry"][0]["resource"]["section"] = [
        {
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p>Bang &amp; alleen'
                '<script>alert("x")</script><style>p { color: red }</style></p>'
                '<p onclick="steal()">Typt zelf &lt;b&gt;vet&lt;/b&gt;<img src="x" '
                'onerror="steal()"/> &#8212; klaar</p></div>',
            }
        }
    ]
    assert (await post(client, token, "/fhir", document)).status == 201
    (row,) = await signals(haarlem)
    assert row["description"] == "Bang & alleen\n\nTypt zelf <b>vet</b> — klaar"

    await log_in(client, member.email, "wachtwoord-123")
    (case,) = await cases_of_page(client)
    page = await (await client.get(f"/inbox/zaken/{case}")).text()
    assert "Typt zelf &lt;b&gt;vet&lt;/b&gt; — klaar" in page  # shown as text
    for markup in ("<b>vet", "alert(", "steal()", "color: red"):
        assert markup not in page


async def cases_of_page(client: Client) -> list[str]:
    """The ids of the cases the signed-in person's inbox links to."""
    page = await (await client.get("/inbox?tab=open")).text()
    return sorted({part.split('"')[0] for part in page.split('href="/inbox/zaken/')[1:]})


def sdoh_example() -> dict[str, Any]:
    return load("sdohcc-servicerequest-food-pantry.json")


def with_dutch_patient(request: dict[str, Any]) -> dict[str, Any]:
    """The request as a Dutch GP system posts it to the hub: the Patient contained."""
    posted = copy.deepcopy(request)
    posted["contained"] = [
        {
            "resourceType": "Patient",
            "id": "p1",
            "name": [{"text": "C. Abbas"}],
            "address": [{"line": ["Kruisweg 12"], "postalCode": "2031 AA", "city": "Haarlem"}],
        }
    ]
    posted["subject"] = {"reference": "#p1"}
    return posted


async def test_the_published_sdoh_food_pantry_referral_is_taken_with_its_code(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.GP)
    response = await post(client, token, "/fhir/ServiceRequest", with_dutch_patient(sdoh_example()))
    assert response.status == 201, await response.text()
    created = await response.json()
    assert created["code"]["coding"][1]["code"] == "467771000124109"  # its own code, kept
    task = await (await client.get(f"/fhir/Task/{created['id']}", headers=bearer(token))).json()
    assert task["focus"] == {"reference": f"ServiceRequest/{created['id']}"}
    (row,) = await signals(haarlem)
    assert row["kind"] == "care_concern"
    assert row["coding"] == {
        "system": SNOMED,
        "code": "467771000124109",
        "display": "Assistance with application for food pantry program",
    }
    assert row["description"] == "Assistance with application for food pantry program"
    assert row["external_ref"] == "SDOHCC-ServiceRequestActiveFoodPantryApplicationAssistExample"
    assert row["code"] == OOST

    _, member = await make_user(haarlem, "member", OOST)
    (case,) = await cases_of(client, member)
    view = await (await client.get(f"/api/v1/cases/{case['id']}", headers=bearer(member))).json()
    assert view["signals"][0]["coding"]["code"] == "467771000124109"


async def test_the_sdoh_example_as_published_lacks_only_the_patient(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """Its Patient lives on the sender's server: the one thing the hub cannot do without."""
    _, token = await make_partner(haarlem, PartnerKind.GP)
    issues = await outcome(await post(client, token, "/fhir/ServiceRequest", sdoh_example()), 422)
    assert expressions(issues) == ["ServiceRequest.subject"]


@pytest.mark.parametrize(
    ("partner_kind", "category", "kind"),
    [
        (PartnerKind.GP, "housing-instability", "care_concern"),  # a GP may not send that kind
        (PartnerKind.HOUSING, "housing-instability", "eviction_threat"),
        (PartnerKind.HOUSING, "inadequate-housing", "neglect"),
        (PartnerKind.HOUSING, "food-insecurity", "other"),  # not a housing kind: the default
        (PartnerKind.YOUTH, "stress", "youth_concern"),
    ],
)
async def test_sdoh_categories_map_to_kinds_the_partner_may_send(
    client: Client,
    haarlem: asyncpg.Pool,
    partner_kind: PartnerKind,
    category: str,
    kind: str,
) -> None:
    _, token = await make_partner(haarlem, partner_kind)
    request = with_dutch_patient(sdoh_example())
    del request["code"]
    request["category"] = [{"coding": [{"system": SDOH_CATEGORY, "code": category}]}]
    request["note"] = [{"text": "Zorgen over de thuissituatie."}]
    response = await post(client, token, "/fhir/ServiceRequest", request)
    assert response.status == 201, await response.text()
    (row,) = await signals(haarlem)
    assert row["kind"] == kind
    assert row["coding"]["code"] == category
