from __future__ import annotations

import gzip
import json
import threading
from typing import Any

import asyncpg
import pytest
from aiohttp.test_utils import TestClient

from hub.intake.batches import process_pending, receive_batch
from hub.privacy.sealed import unsealed
from schemas.signals import PartnerKind
from tests.support.batches import MIXED, arrears_file, finished, upload
from tests.support.factories import make_partner
from tests.support.http import bearer, problem

Client = TestClient[Any, Any]


async def test_good_rows_are_accepted_and_bad_rows_reported(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    response = await upload(client, token, MIXED, filename="achterstanden-nov.csv")
    assert response.status == 202
    accepted = await response.json()
    assert response.headers["Location"] == f"/api/v1/batches/{accepted['id']}"
    view = await finished(client, token, accepted["id"])
    assert view["status"] == "done"
    assert view["filename"] == "achterstanden-nov.csv"
    assert view["profile"] == "rent_arrears"
    assert view["counts"] == {"total": 5, "accepted": 3, "repeat": 0, "known": 0, "refused": 2}
    assert [(p["line"], p["column"]) for p in view["problems"]] == [
        (3, "Postcode"),
        (5, "Achterstand"),
    ]
    async with haarlem.acquire() as conn:
        found = await conn.fetch(
            """select s.id, s.household_id, s.status, t.code, s.personal, s.kind, h.address
               from signals s left join teams t on t.id = s.team_id
               join households h on h.id = s.household_id"""
        )
        content = await conn.fetchval("select content from batches")
    rows = sorted((unsealed(row) for row in found), key=lambda row: row["postcode"])
    assert [(r["postcode"], r["code"], str(r["arrears_amount"])) for r in rows] == [
        ("2011AA", "SWT-HLM-CENTRUM", "2000.00"),
        ("2034AB", "SWT-HLM-SCHALKWIJK-NOORD", "1234.56"),
        ("2116AB", None, "80.00"),
    ]
    assert {r["kind"] for r in rows} == {"rent_arrears"}
    assert content is None  # the file is not kept once processed


async def test_same_file_again_adds_nothing(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    first = await (await upload(client, token, MIXED)).json()
    await finished(client, token, first["id"])
    again = await upload(client, token, MIXED)
    assert again.status == 202
    assert (await again.json())["id"] == first["id"]

    # The same rows in another file (reordered, one more): only the new row is new.
    reordered = arrears_file(
        "HV-5;2011 AA;1;A;;2.000,00;15-01-2026",
        "HV-1;2034 AB;12;;J. Jansen;1.234,56;01-02-2026",
        "HV-6;2025AB;2;;;50;",
    )
    view = await finished(
        client, token, (await (await upload(client, token, reordered)).json())["id"]
    )
    assert view["counts"] == {"total": 3, "accepted": 1, "repeat": 0, "known": 2, "refused": 0}
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 4


async def test_next_months_list_records_repeats_unless_arrears_grew(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    october = arrears_file("HV-1;2034AB;12;;;1.000,00;", "HV-2;2031AA;9;;;500,00;")
    november = arrears_file("HV-1;2034AB;12;;;1.000,00;01-10-2026", "HV-2;2031AA;9;;;750,00;")
    await finished(client, token, (await (await upload(client, token, october)).json())["id"])
    view = await finished(
        client, token, (await (await upload(client, token, november)).json())["id"]
    )
    assert view["counts"] == {"total": 2, "accepted": 1, "repeat": 1, "known": 0, "refused": 0}
    async with haarlem.acquire() as conn:
        repeat = await conn.fetchrow(
            """select r.repeat_of = o.id as points_back, r.id, r.personal
               from signals r join signals o on o.household_id = r.household_id
               where r.repeat_of is not null and o.repeat_of is null"""
        )
    assert repeat is not None
    assert repeat["points_back"]
    assert str(unsealed(repeat)["arrears_amount"]) == "1000.00"


async def test_each_stored_row_tells_in_its_history_how_it_was_received_and_routed(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """The case page's timeline reads these events: the partner's `received` with the kind,
    then the hub's routing with rule and team, unrouted, or a repeat naming the earlier one."""
    partner, token = await make_partner(haarlem, PartnerKind.HOUSING)
    october = arrears_file("HV-1;2034AB;12;;;1.000,00;")
    november = arrears_file(
        "HV-1;2034AB;12;;;900,00;", "HV-2;2031AA;9;;;500,00;", "HV-3;9999ZZ;3;;;80;"
    )
    for file in (october, november):
        await finished(client, token, (await (await upload(client, token, file)).json())["id"])
    async with haarlem.acquire() as conn:
        rows = await conn.fetch(
            """
            select s.id, s.repeat_of, s.routed_by, t.code, array_agg(
                       jsonb_build_array(e.kind, e.actor, e.data) order by e.id) as history
            from signals s join events e on e.signal_id = s.id
                 left join teams t on t.id = s.team_id
            group by s.id, t.code
            order by s.received_at, s.id
            """
        )
    received = ["received", f"partner:{partner.id}", {"kind": "rent_arrears"}]
    routed = [
        [received, ["routed", "hub", {"rule": row["routed_by"], "team": row["code"]}]]
        for row in rows
        if row["repeat_of"] is None and row["code"]
    ]
    assert len(routed) == 2
    (repeat,) = [row for row in rows if row["repeat_of"]]
    expected = [
        *routed,
        [
            received,
            [
                "repeat",
                "hub",
                {
                    "rule": repeat["routed_by"],
                    "team": repeat["code"],
                    "repeat_of": str(repeat["repeat_of"]),
                },
            ],
        ],
        [received, ["unrouted", "hub", {}]],
    ]

    def canonical(histories: list[Any]) -> list[str]:
        return sorted(json.dumps(history, sort_keys=True) for history in histories)

    assert canonical([row["history"] for row in rows]) == canonical(expected)


async def test_repeat_window_is_configurable(
    haarlem: asyncpg.Pool, dsn: str, settings: Any
) -> None:
    from datetime import timedelta

    from hub.intake.batches import process_batch
    from hub.intake.service import IntakePolicy

    partner, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    first = arrears_file("HV-1;2034AB;12;;;1.000,00;")
    second = arrears_file("HV-1;2034AB;12;;;1.000,00;01-10-2026")
    for data in (first, second):
        received = await receive_batch(
            haarlem, partner, data, filename=None, source="upload", profile_name=None
        )
        await process_batch(
            haarlem, received.view.id, policy=IntakePolicy(repeat_window=timedelta(0))
        )
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals where repeat_of is null") == 2


async def test_pending_batch_left_by_a_crash_is_processed_by_the_sweep(
    haarlem: asyncpg.Pool,
) -> None:
    partner, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    await receive_batch(haarlem, partner, MIXED, filename=None, source="upload", profile_name=None)
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 0
    assert await process_pending(haarlem) == 1
    assert await process_pending(haarlem) == 0
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 3
        assert await conn.fetchval("select status from batches") == "done"


async def test_a_stopping_hub_pauses_a_batch_between_chunks_and_the_next_run_resumes_it(
    haarlem: asyncpg.Pool, dsn: str
) -> None:
    """On the work loop (as the hub runs batches), with the hub stopping after the first
    chunk: the batch stays pending with that chunk stored; the next run takes in the rest, and
    no row twice."""
    from hub.intake.batches import process_batch
    from hub.platform.workloop import WorkLoop

    partner, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    rows = [f"HV-{n};2034AB;{n};;;1.000,00;" for n in range(1, 8)]
    received = await receive_batch(
        haarlem, partner, arrears_file(*rows), filename=None, source="upload", profile_name=None
    )
    stop = threading.Event()
    stored: list[int] = []

    async def first_chunk_then_stop(pool: asyncpg.Pool) -> bool:
        async def signals() -> int:
            async with pool.acquire() as conn:
                return int(await conn.fetchval("select count(*) from signals"))

        class StopAfterOne(threading.Event):
            def is_set(self) -> bool:  # asked before each chunk: the second one finds it set
                stored.append(0)
                return len(stored) > 1

        done = await process_batch(pool, received.view.id, chunk=3, stop=StopAfterOne())
        stored.append(await signals())
        return done

    work = WorkLoop(dsn)
    await work.start()
    try:
        assert await work.run(first_chunk_then_stop) is False
        assert stored[-1] == 3
        async with haarlem.acquire() as conn:
            assert await conn.fetchval("select status from batches") == "pending"
        assert await work.run(
            lambda pool: process_batch(pool, received.view.id, chunk=3, stop=stop)
        )
    finally:
        await work.close()
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 7
        assert await conn.fetchval("select count(distinct external_ref) from signals") == 7
        assert await conn.fetchval("select status from batches") == "done"


async def test_non_responder_list_with_the_default_profile(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.WORK_INCOME)
    data = (
        b"Klantnummer,Postcode,Huisnummer,Uitnodiging 1,Uitnodiging 2\n"
        b"K-1,2031AA,5,01-09-2026,15-09-2026\n"
    )
    view = await finished(client, token, (await (await upload(client, token, data)).json())["id"])
    assert view["profile"] == "non_responder"
    assert view["counts"]["accepted"] == 1
    async with haarlem.acquire() as conn:
        found = await conn.fetchrow("select id, personal, invitation_dates from signals")
    assert found is not None
    assert found["invitation_dates"] is None  # sealed with the rest, not in a plain column
    row = unsealed(found)
    assert row["client_ref"] == "K-1"
    assert [str(day) for day in row["invitation_dates"]] == ["2026-09-01", "2026-09-15"]


async def test_unreadable_file_fails_with_a_reason(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    view = await finished(
        client, token, (await (await upload(client, token, b"naam;adres\nx;y\n")).json())["id"]
    )
    assert view["status"] == "failed"
    assert "lacks required columns" in view["problems"][0]["reason"]


@pytest.mark.parametrize(
    ("kind", "params", "status"),
    [
        (PartnerKind.GP, {}, 422),  # no default profile for a GP
        (PartnerKind.HOUSING, {"profile": "non_responder"}, 422),  # not a housing kind
        (PartnerKind.HOUSING, {"profile": "nonsense"}, 422),
        (PartnerKind.HOUSING, {"profile": "custom"}, 422),  # none set
    ],
)
async def test_profile_problems(
    client: Client, haarlem: asyncpg.Pool, kind: PartnerKind, params: dict[str, str], status: int
) -> None:
    _, token = await make_partner(haarlem, kind)
    found = await problem(await upload(client, token, MIXED, **params), status)
    assert found["errors"][0]["loc"] == ["profile"]


async def test_upload_errors(client: Client, haarlem: asyncpg.Pool) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    _, other = await make_partner(haarlem, PartnerKind.HOUSING)
    await problem(await client.post("/api/v1/batches", json={"a": 1}, headers=bearer(token)), 415)
    await problem(await upload(client, token, b"  \n"), 400)
    await problem(await client.post("/api/v1/batches", data=MIXED), 401)
    batch = await (await upload(client, token, MIXED)).json()
    await problem(await client.get(f"/api/v1/batches/{batch['id']}", headers=bearer(other)), 404)
    await problem(await client.get("/api/v1/batches/nope", headers=bearer(token)), 404)


async def test_batch_over_the_limit_is_413(haarlem: asyncpg.Pool, dsn: str, settings: Any) -> None:
    from aiohttp.test_utils import TestServer

    from hub.app import create_app

    small = settings.model_copy(update={"max_batch_bytes": 1000})
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    async with TestClient(TestServer(create_app(small, dsn))) as client:
        big = arrears_file(*[f"HV-{n};2034AB;{n + 1};;;100;" for n in range(100)])
        await problem(await upload(client, token, big), 413)


async def test_a_file_sent_in_pieces_without_its_length_is_taken_whole_and_limited(
    haarlem: asyncpg.Pool, dsn: str, settings: Any
) -> None:
    """Chunked transfer: no length is announced, so none is reserved; the file is taken whole
    (read back from the database) and refused once it passes the limit."""
    from collections.abc import AsyncIterator

    from aiohttp.test_utils import TestServer

    from hub.app import create_app
    from hub.privacy.sealed import open_batch

    small = settings.model_copy(update={"max_batch_bytes": 3000})
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    headers = {**bearer(token), "Content-Type": "text/csv"}

    def in_pieces(data: bytes) -> AsyncIterator[bytes]:
        async def pieces() -> AsyncIterator[bytes]:
            for start in range(0, len(data), 100):
                yield data[start : start + 100]

        return pieces()

    fits = arrears_file(*[f"HV-{n};2034AB;{n + 1};;;100;" for n in range(40)])
    too_big = arrears_file(*[f"HV-{n};2034AB;{n + 1};;;100;" for n in range(200)])
    assert len(fits) < 3000 < len(too_big)
    async with TestClient(TestServer(create_app(small, dsn))) as client:
        answer = await client.post("/api/v1/batches", data=in_pieces(fits), headers=headers)
        assert answer.status == 202, await answer.text()
        batch_id = (await answer.json())["id"]
        await problem(
            await client.post("/api/v1/batches", data=in_pieces(too_big), headers=headers), 413
        )
    async with haarlem.acquire() as conn:
        row = await conn.fetchrow("select id, content from batches where id = $1", batch_id)
    assert open_batch(row["content"], row["id"]) == fits


async def test_an_upload_compressed_or_with_a_control_character_in_its_name_is_refused(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    """A few KiB of gzip would unpack to megabytes before they are counted; a NUL in the name
    is refused, not a 500."""
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    headers = {**bearer(token), "Content-Type": "text/csv"}
    packed = await client.post(
        "/api/v1/batches",
        data=gzip.compress(MIXED),
        headers={**headers, "Content-Encoding": "gzip"},
    )
    await problem(packed, 415)
    await problem(await upload(client, token, MIXED, filename="a\x00b.csv"), 400)
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from batches") == 0


async def test_one_partner_receives_two_files_at_once_and_a_silent_upload_is_cut_off(
    haarlem: asyncpg.Pool, dsn: str, settings: Any
) -> None:
    """A partner's uploads, however slow, never take every place: a third at once gets 429;
    and a body that stops arriving gets 408 instead of holding its place."""
    import asyncio
    from collections.abc import AsyncIterator

    from aiohttp import web
    from aiohttp.test_utils import TestServer

    from hub.app import create_app
    from hub.platform.errors import RequestTimeout
    from hub.web.requests import read_upload

    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    headers = {**bearer(token), "Content-Type": "text/csv"}
    release = asyncio.Event()

    async def held() -> AsyncIterator[bytes]:
        yield MIXED[:20]
        await release.wait()
        yield MIXED[20:]

    async with TestClient(TestServer(create_app(settings, dsn))) as client:
        slow = [
            asyncio.create_task(client.post("/api/v1/batches", data=held(), headers=headers))
            for _ in range(2)
        ]
        await asyncio.sleep(0.3)  # both are being received
        await problem(await upload(client, token, MIXED), 429)
        release.set()
        answers = await asyncio.gather(*slow)
        assert sorted(answer.status for answer in answers) == [202, 202]
        assert (await upload(client, token, MIXED)).status == 202  # places free again

    async def receive(request: web.Request) -> web.Response:
        try:
            return web.Response(text=str(len(await read_upload(request, 1000, 0.2))))
        except RequestTimeout as error:
            return web.Response(status=error.status, text=error.detail)

    async def silent() -> AsyncIterator[bytes]:
        yield b"Postcode;Huisnummer\n"
        await asyncio.sleep(2)
        yield b"2034AB;1\n"

    app = web.Application()
    app.router.add_post("/", receive)
    async with TestClient(TestServer(app)) as bare:
        answer = await bare.post("/", data=silent(), headers={"Content-Type": "text/csv"})
        assert answer.status == 408


async def test_a_long_list_of_bad_rows_is_reported_briefly_and_counted_whole(
    client: Client, haarlem: asyncpg.Pool
) -> None:
    _, token = await make_partner(haarlem, PartnerKind.HOUSING)
    bad = [f"HV-{n};0000XX;{n};;;100;" for n in range(1, 251)]
    good = [f"OK-{n};2034 AB;{n};;;100;" for n in range(1, 6)]
    view = await finished(
        client, token, (await (await upload(client, token, arrears_file(*bad, *good))).json())["id"]
    )
    assert view["counts"] == {"total": 255, "accepted": 5, "repeat": 0, "known": 0, "refused": 250}
    assert len(view["problems"]) == 100  # the first hundred, by line
    assert [p["line"] for p in view["problems"]] == list(range(2, 102))
    assert view["problems_total"] == 250
    assert view["problems_by_column"] == {"Postcode": 250}


async def test_one_batch_of_a_partner_at_a_time(haarlem: asyncpg.Pool) -> None:
    """While a batch of a partner is being processed (its lock held), another batch of that
    partner waits its turn; it is processed when the first is done."""
    from hub.intake.batches import _lock_key, process_batch
    from hub.platform.locks import advisory_lock

    partner, _ = await make_partner(haarlem, PartnerKind.HOUSING)
    received = await receive_batch(
        haarlem, partner, MIXED, filename=None, source="upload", profile_name=None
    )
    async with (
        haarlem.acquire() as busy,
        advisory_lock(busy, _lock_key("batch.partner", partner.id)),
    ):
        assert not await process_batch(haarlem, received.view.id)
        async with haarlem.acquire() as conn:
            assert await conn.fetchval("select status from batches") == "pending"
    assert await process_batch(haarlem, received.view.id)
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from signals") == 3
