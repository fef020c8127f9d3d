"""CSV batches as housing corporations send them, and waiting for one to be processed."""

from __future__ import annotations

import asyncio
from typing import Any

from aiohttp.test_utils import TestClient

from tests.support.http import bearer

Client = TestClient[Any, Any]


HEADER = "Referentie;Postcode;Huisnummer;Toevoeging;Naam huurder;Achterstand;Achterstand sinds"


def arrears_file(*rows: str) -> bytes:
    return ("\r\n".join([HEADER, *rows]) + "\r\n").encode("cp1252")


MIXED = arrears_file(
    "HV-1;2034 AB;12;;J. Jansen;1.234,56;01-02-2026",
    "HV-2;0123AB;4;;;100;",
    "HV-3;2116AB;3;;;€ 80;",
    "HV-4;2031AA;9;;;twintig;",
    "HV-5;2011 AA;1;A;;2.000,00;15-01-2026",
)


async def upload(client: Client, token: str, data: bytes, **params: str) -> Any:
    return await client.post(
        "/api/v1/batches",
        data=data,
        params=params,
        headers={**bearer(token), "Content-Type": "text/csv"},
    )


async def finished(client: Client, token: str, batch_id: str) -> dict[str, Any]:
    for _ in range(600):  # every 0.2 s: a partner polling politely stays under its rate limit
        response = await client.get(f"/api/v1/batches/{batch_id}", headers=bearer(token))
        assert response.status == 200
        view: dict[str, Any] = await response.json()
        if view["status"] != "pending":
            return view
        await asyncio.sleep(0.2)
    raise AssertionError("batch not processed")
