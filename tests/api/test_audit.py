"""NEN 7513: every read of a household's data is logged with who, when, on whose behalf; an
administrator lists one household's log for a resident who asks who looked."""

from __future__ import annotations

from typing import Any

import asyncpg
from aiohttp.test_utils import TestClient

from schemas.signals import PartnerKind
from tests.support.factories import make_partner, make_user, signal_from
from tests.support.http import act, bearer, cases_of, problem

Client = TestClient[Any, Any]
OOST = "SWT-HLM-OOST"
ASKING = {"postcode": "2031AA", "house_number": 12, "house_letter": "a"}
NEIGHBOUR = {"postcode": "2031AA", "house_number": 14}


async def access_log(client: Client, token: str, **query: str) -> Any:
    return await client.get("/api/v1/admin/access-log", params=query, headers=bearer(token))


async def test_a_resident_can_learn_who_looked(client: Client, haarlem: asyncpg.Pool) -> None:
    gp, _ = await make_partner(haarlem, PartnerKind.GP, name="Huisartsenpraktijk Oost")
    member, member_token = await make_user(haarlem, "member", OOST)
    _, admin = await make_user(haarlem, "admin")  # in person: reads name a person
    await signal_from(haarlem, gp, address=ASKING)
    await signal_from(haarlem, gp, address=NEIGHBOUR)
    cases = {c["household"]["house_number"]: c["id"] for c in await cases_of(client, member_token)}
    assert (await client.get(f"/api/v1/cases/{cases[12]}", headers=bearer(member_token))).ok
    taken = await act(client, member_token, cases[12], action="take")
    assert taken.status == 200

    response = await access_log(
        client, admin, postcode="2031 aa", house_number="12", house_letter="A"
    )
    assert response.status == 200, await response.text()
    entries = (await response.json())["entries"]
    seen = [(e["action"], e["who"], e["on_behalf_of"]) for e in entries]
    assert ("received", "Huisartsenpraktijk Oost", None) in seen  # the change: it came in
    assert ("list_cases", member.email, f"team:{OOST}") in seen  # read in the inbox list
    assert ("read_case", member.email, f"team:{OOST}") in seen  # the case opened
    assert ("take", member.email, None) in seen  # a change to the case
    assert all(e["subject"] != f"case:{cases[14]}" for e in entries)  # not the neighbours'
    times = [e["occurred_at"] for e in entries]
    assert times == sorted(times)

    # Reading the log is itself logged, for that household only.
    again = await (
        await access_log(client, admin, postcode="2031AA", house_number="12", house_letter="a")
    ).json()
    assert again["entries"][-1]["action"] == "read_access_log"
    neighbour = await (await access_log(client, admin, postcode="2031AA", house_number="14")).json()
    assert all(e["action"] != "read_access_log" for e in neighbour["entries"])


async def test_the_access_log_listing_refuses_bad_input_and_other_roles(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, admin = await make_user(haarlem, "admin")  # in person: reads name a person
    _, manager = await make_user(haarlem, "manager")
    bad = await problem(await access_log(client, admin, postcode="0123AB", house_number="1"), 422)
    assert [e["loc"] for e in bad["errors"]] == [["postcode"]]
    bad = await problem(await access_log(client, admin, postcode="2031AA", house_number="x"), 422)
    assert [e["loc"] for e in bad["errors"]] == [["house_number"]]
    await problem(await access_log(client, admin, postcode="2031AA", house_number="99"), 404)
    await problem(await access_log(client, manager, postcode="2031AA", house_number="1"), 403)
    await problem(await client.get("/api/v1/admin/access-log"), 401)
