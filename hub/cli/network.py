"""`hub graph report`, `hub fhir map`."""

from __future__ import annotations

import argparse
from typing import Any

import asyncpg

from graphs.weak_links import Analysis
from hub.cli.run import use
from hub.intake.fhir import map_code
from hub.network.report import head_of, nightly
from hub.network.service import default_query, network, weak_link_text_lines
from hub.platform.clock import today
from hub.platform.config import Settings
from hub.surveys.results import verdict_facts
from schemas.signals import SignalKind


def cmd_graph_report(settings: Settings, args: argparse.Namespace) -> int:
    query = default_query(today(), args.days)

    async def analysed(pool: asyncpg.Pool) -> Analysis:
        return await network(pool, query, await verdict_facts(pool, query, today()))

    analysis = use(settings, analysed)
    head = head_of(analysis, query)
    print(
        f"Partner network {query.start} .. {query.end}: {head.partners} partners, "
        f"{head.teams} teams, {head.edges} links, {head.weak_links} weak link(s)"
    )
    for line in weak_link_text_lines(analysis):
        print(line)
    return 0


def cmd_graph_nightly(settings: Settings, args: argparse.Namespace) -> int:
    """What the scheduler does at night, now: after a large import, or on a hub whose scheduler
    runs elsewhere."""
    found = use(settings, lambda pool: nightly(pool, today(), verdict_facts))
    print(f"Network report of {today()} kept: {found} weak link(s)")
    return 0


def cmd_fhir_map(settings: Settings, args: argparse.Namespace) -> int:
    kind = SignalKind(args.kind)
    use(settings, lambda pool: map_code(pool, args.system, args.code, kind))
    print(f"{args.system}|{args.code} -> {kind.value}")
    return 0


def add_commands(commands: Any) -> None:
    graph = commands.add_parser("graph", help="the partner network").add_subparsers(
        dest="graph_command", required=True, metavar="ACTION"
    )
    report = graph.add_parser("report", help="print the weak links of the partner network")
    report.add_argument("--days", type=int, default=42, help="the period, ending today")
    report.set_defaults(run=cmd_graph_report)
    graph.add_parser(
        "nightly", help="keep the nightly network report (and link figures) now"
    ).set_defaults(run=cmd_graph_nightly)

    fhir = commands.add_parser("fhir", help="FHIR referrals").add_subparsers(
        dest="fhir_command", required=True, metavar="ACTION"
    )
    fhir_map = fhir.add_parser("map", help="map a code (ServiceRequest.code) to a signal kind")
    fhir_map.add_argument("system")
    fhir_map.add_argument("code")
    fhir_map.add_argument("kind", choices=[kind.value for kind in SignalKind])
    fhir_map.set_defaults(run=cmd_fhir_map)
