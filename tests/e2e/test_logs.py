"""`hub serve` logs JSON lines, each request with its id (the caller's, or a new one, echoed in
X-Request-Id), by route pattern: no path ids, no query strings."""

from __future__ import annotations

import asyncio
import json
import subprocess
from pathlib import Path

import aiohttp
import asyncpg

from tests.support.factories import make_partner, make_signal, make_user
from tests.support.processes import serve


async def test_request_lines_are_json_with_their_request_id(
    haarlem: asyncpg.Pool, dsn: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    _, token = await make_partner(haarlem)
    _, admin = await make_user(haarlem, "admin")  # in person: reads name a person
    log = tmp_path / "hub.log"
    process, base = await serve(processes, log, DATABASE_URL=dsn)
    async with aiohttp.ClientSession(base) as http:
        async with http.post(
            "/api/v1/signals",
            json=make_signal(),
            headers={"Authorization": f"Bearer {token}", "X-Request-Id": "partner-req-42"},
        ) as response:
            assert response.status == 202
            assert response.headers["X-Request-Id"] == "partner-req-42"
        async with http.get(
            "/api/v1/admin/access-log?postcode=2034AB&house_number=12",
            headers={"Authorization": f"Bearer {admin}", "X-Request-Id": "bad id\twith tab"},
        ) as response:
            assert response.status == 404
            generated = response.headers["X-Request-Id"]
            assert len(generated) == 32
        async with http.get(f"/api/v1/signals/{generated}x") as response:
            assert response.status == 401
    process.terminate()
    await asyncio.to_thread(process.wait, 30)

    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    assert lines, log.read_text()[-2000:]
    requests = [line for line in lines if line["logger"] == "aiohttp.access"]
    by_id = {line.get("request_id"): line for line in requests}
    posted = by_id["partner-req-42"]
    assert (posted["method"], posted["route"], posted["status"]) == ("POST", "/api/v1/signals", 202)
    assert posted["ms"] >= 0
    looked = by_id[generated]
    assert looked["route"] == "/api/v1/admin/access-log"
    text = log.read_text()
    assert "2034AB" not in text  # the query string is not logged
    assert "/api/v1/signals/{id}" in text
    assert f"{generated}x" not in text  # nor the path's id


async def test_malformed_requests_get_an_access_line_and_leave_nothing_personal(
    dsn: str, tmp_path: Path, processes: list[subprocess.Popen[bytes]]
) -> None:
    """Requests aiohttp cannot parse are answered 400 and logged as one access line each: no
    traceback, and none of the raw request, which may hold a postcode."""
    log = tmp_path / "hub.log"
    process, base = await serve(processes, log, DATABASE_URL=dsn)
    port = int(base.rsplit(":", 1)[1])
    raw_requests = [
        b"GARBAGE 2034AB\r\n\r\n",
        b"GET /signalen/2034AB HTTP/9.9\r\n\r\n",
        b"GET /x\x002034AB HTTP/1.1\r\nHost: a\r\n\r\n",
        b"POST /api/v1/signals HTTP/1.1\r\nHost: a\r\nContent-Length: 2034AB\r\n\r\n",
    ] * 5
    for raw in raw_requests:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(raw)
        await writer.drain()
        assert (await reader.read(64)).startswith(b"HTTP/1.")
        writer.close()
    process.terminate()
    await asyncio.to_thread(process.wait, 30)

    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.startswith("{")]
    refused = [
        line for line in lines if line["logger"] == "aiohttp.access" and line["status"] == 400
    ]
    assert len(refused) == len(raw_requests)
    assert "Traceback" not in text
    assert "2034AB" not in text
