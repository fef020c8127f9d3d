"""The managers' network page of a national network, served from the nightly report.

    python benchmarks/network_page.py [--teams 400 --partners 50000 --edges 500000 --requests 200]

(More than 150 partners and teams together: a smaller network is drawn, not listed.)

A database with the country's teams and partners (the synthetic network of
benchmarks/network_analysis.py, named after rows in the database), the weak-link analysis of it,
the report kept with the hub's own function (`hub.network.report.keep_report`), then the page
`GET /beheer/netwerk` in the hub's application in this process, signed in as a manager:
the first page, a page far down the list, one kind of weak link, a chosen link. Each is timed
inside the server (a middleware around the hub's own), p50 and p95 over `--requests` requests
after a warm-up, beside its reference: the page's report queries run alone through asyncpg.
Embedded PostgreSQL in a temporary directory, or HUB_BENCH_DATABASE_URL. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import asyncpg
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer
from bench_db import demo_database  # benchmarks/, beside this script
from network_analysis import synthetic
from pydantic import SecretStr

from graphs.network import CoSignal, FlowTable, NetworkFacts, PartnerNode, TeamNode
from graphs.weak_links import analyse
from hub.app import create_app
from hub.directory.accounts import create_user, login
from hub.directory.models import Session
from hub.directory.service import add_team
from hub.network import report, store
from hub.network.service import default_query, in_shown_order
from hub.platform.clock import today
from hub.platform.config import Settings
from hub.platform.db import embedded_postgres, with_database
from schemas.signals import PartnerKind

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def national(pool: asyncpg.Pool, teams: int, partners: int, edges: int) -> NetworkFacts:
    """The synthetic network, its teams and partners stored as rows of the hub's tables."""
    facts = synthetic(teams, partners, edges)
    for team in facts.teams:
        await add_team(
            pool, team.code, team.name, team.municipality, f"Gemeente {team.municipality}"
        )
    ids = {partner.id: str(uuid.uuid4()) for partner in facts.partners}
    async with pool.acquire() as conn:
        await conn.execute(
            "insert into partners (id, name, kind) "
            "select * from unnest($1::uuid[], $2::text[], $3::text[])",
            list(ids.values()),
            [partner.name for partner in facts.partners],
            [partner.kind.value for partner in facts.partners],
        )
    flows = facts.flows
    if not isinstance(flows, FlowTable):
        raise TypeError("the synthetic network gives its flows as a table")
    return NetworkFacts(
        partners=[PartnerNode(ids[p.id], p.name, p.kind) for p in facts.partners],
        teams=[TeamNode(t.code, t.name, t.municipality) for t in facts.teams],
        flows=FlowTable([ids[partner] for partner in flows.partner], *flows.columns()[1:]),
        cosignals=[
            CoSignal(ids[tie.partner_a], ids[tie.partner_b], tie.households)
            for tie in facts.cosignals
        ],
    )


def figures(seconds: list[float]) -> tuple[float, float]:
    ordered = sorted(seconds)
    return 1000 * statistics.median(ordered), 1000 * ordered[int(0.95 * (len(ordered) - 1))]


async def run(server: str, args: argparse.Namespace) -> None:
    name, pool, _, keyring = await demo_database(server, "Benchmark GP", PartnerKind.GP)
    started = time.perf_counter()
    facts = await national(pool, args.teams, args.partners, args.edges)
    print(f"teams and partners stored: {time.perf_counter() - started:.1f} s")
    query = default_query(today())
    started = time.perf_counter()
    analysis = analyse(facts)
    analysis.weak_links = in_shown_order(analysis.weak_links)
    analysed = time.perf_counter() - started
    started = time.perf_counter()
    await report.keep_report(pool, analysis, query, analysed)
    kept = time.perf_counter() - started
    links = len(analysis.weak_links)
    print(
        f"analysis (with the order shown): {analysed:.2f} s; report of {links} weak links "
        f"kept: {kept:.1f} s"
    )
    manager = f"manager-{uuid.uuid4().hex[:6]}@example.invalid"
    await create_user(pool, manager, "benchmark-wachtwoord", "manager", None, None, "Manager")
    session = await login(pool, manager, "benchmark-wachtwoord", "127.0.0.1")
    if not isinstance(session, Session):
        raise SystemExit(f"the manager could not sign in: {session}")
    async with pool.acquire() as conn:
        await conn.execute("analyze")

    timings: list[float] = []

    @web.middleware
    async def timed(request: web.Request, handler: Handler) -> web.StreamResponse:
        begun = time.perf_counter()
        try:
            return await handler(request)
        finally:
            timings.append(time.perf_counter() - begun)

    settings = Settings(
        data_dir=Path(tempfile.mkdtemp()), scheduler=False, keys=SecretStr(keyring.to_json())
    )
    app = create_app(settings, with_database(server, name))
    app.middlewares.insert(0, timed)
    day = query.end
    middle = links // 2
    pages: dict[str, tuple[str, Callable[[asyncpg.Connection], Awaitable[Any]]]] = {
        "first page": (
            "/beheer/netwerk",
            lambda conn: _reference(conn, day, None, 0),
        ),
        "a page far down": (
            f"/beheer/netwerk?pagina={middle // 50}",
            lambda conn: _reference(conn, day, None, (middle // 50 - 1) * 50),
        ),
        "one kind (weak ties)": (
            "/beheer/netwerk?soort=weak_tie",
            lambda conn: _reference(conn, day, "weak_tie", 0),
        ),
        "a chosen link": (
            f"/beheer/netwerk?schakel={middle}",
            lambda conn: _reference(conn, day, None, 0, chosen=middle),
        ),
    }
    print(
        f"\nGET /beheer/netwerk from the report ({args.partners} partners, {args.teams} teams, "
        f"{links} weak links), server-side, {args.requests} requests each after 20 to warm up"
    )
    print(f"  {'page':<24} {'p50':>8} {'p95':>8}   {'SQL alone p95':>14}   ratio")
    async with TestClient(TestServer(app)) as client:
        client.session.cookie_jar.update_cookies({"hub_session": session.token})
        for label, (path, reference) in pages.items():
            for _ in range(20):
                answer = await client.get(path)
                if answer.status != 200:
                    raise SystemExit(f"{path}: {answer.status} (too small a network to list?)")
                await answer.read()
            timings.clear()
            for _ in range(args.requests):
                await (await client.get(path)).read()
            p50, p95 = figures(timings)
            alone = []
            async with pool.acquire() as conn:
                for _ in range(args.requests):
                    begun = time.perf_counter()
                    await reference(conn)
                    alone.append(time.perf_counter() - begun)
            _, sql95 = figures(alone)
            print(
                f"  {label:<24} {p50:6.1f} ms {p95:6.1f} ms   {sql95:11.1f} ms"
                f"   {p95 / sql95:5.1f}x   (target: p95 < 300 ms)"
            )
    await pool.close()


async def _reference(
    conn: asyncpg.Connection, day: Any, kind: str | None, offset: int, chosen: int | None = None
) -> None:
    """The report's queries of the page, alone: its head, a page of links, a chosen link."""
    await store.latest_report(conn)
    await store.report_links(conn, day, kind, offset, 50)
    if chosen is not None:
        await store.report_link(conn, day, chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=400)
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--edges", type=int, default=500_000)
    parser.add_argument("--requests", type=int, default=200)
    args = parser.parse_args()
    with ExitStack() as stack:
        server = os.environ.get("HUB_BENCH_DATABASE_URL") or stack.enter_context(
            embedded_postgres(Path(stack.enter_context(tempfile.TemporaryDirectory())) / "pg")
        )
        asyncio.run(run(server, args))


if __name__ == "__main__":
    main()
