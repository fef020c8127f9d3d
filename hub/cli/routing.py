"""`hub routing import`, `hub routing check`."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path
from typing import Any

from hub.cli.run import use
from hub.platform.clock import today
from hub.platform.config import Settings
from hub.routing.service import check_routing, import_routing_table
from schemas.address import display_postcode, parse_postcode


def cmd_routing_import(settings: Settings, args: argparse.Namespace) -> int:
    text = Path(args.file).read_text(encoding="utf-8-sig")
    report, applied = use(
        settings, lambda pool: import_routing_table(pool, text, partial=args.partial)
    )
    for line, reason in report.refused:
        print(f"line {line}: refused: {reason}")
    print(f"{len(report.accepted)} rule(s) accepted, {len(report.refused)} line(s) refused")
    if applied:
        print(f"routing table replaced with {len(report.accepted)} rule(s)")
        return 0
    if report.refused:
        print("routing table NOT changed; fix the refused lines, or pass --partial")
    else:
        print("routing table NOT changed: the file holds no rules")
    return 1


def cmd_routing_check(settings: Settings, args: argparse.Namespace) -> int:
    postcode = parse_postcode(args.postcode)
    on = date.fromisoformat(args.on) if args.on else today()
    answer = use(settings, lambda pool: check_routing(pool, postcode, args.house_number, on))
    where = f"{display_postcode(postcode)} {args.house_number}"
    if answer.rule is None or answer.team is None:
        print(f"{where}: no rule; a signal goes to the coordinator queue")
        return 1
    print(f"{answer.team.code}\t{answer.team.name}\trule: {answer.rule.describe()}")
    return 0


def add_commands(commands: Any) -> None:
    routing = commands.add_parser("routing", help="the routing table").add_subparsers(
        dest="routing_command", required=True, metavar="ACTION"
    )
    imp = routing.add_parser("import", help="replace the routing table from a CSV file")
    imp.add_argument("file")
    imp.add_argument(
        "--partial", action="store_true", help="apply the accepted lines even if some are refused"
    )
    imp.set_defaults(run=cmd_routing_import)
    check = routing.add_parser("check", help="which team serves an address")
    check.add_argument("postcode")
    check.add_argument("house_number", type=int, nargs="?", default=1)
    check.add_argument("--on", help="date (YYYY-MM-DD), default today")
    check.set_defaults(run=cmd_routing_check)
