"""`hub report ddas`: the early-debt delivery for CBS (DDAS Vroegsignalering)."""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import date
from typing import Any

from hub.cases.ddas import DdasSettings, ddas_export
from hub.cli.run import use
from hub.platform.config import Settings


def ddas_settings(settings: Settings) -> DdasSettings:
    return DdasSettings(
        supplier_code=settings.ddas_supplier_code,
        organisation=settings.ddas_organisation,
        contact_name=settings.ddas_contact_name,
        contact_email=settings.ddas_contact_email,
    )


def open_private(path: str) -> int:
    """A new file only the hub's user may read (it names residents' addresses): never an
    existing file, never through a symbolic link."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    return os.open(path, flags, 0o600)


def cmd_report_ddas(settings: Settings, args: argparse.Namespace) -> int:
    target = None
    if args.output:  # made before anything is read, so a bad path reads nothing
        try:
            target = open_private(args.output)
        except OSError as error:
            print(f"hub: cannot write {args.output}: {error.strerror}", file=sys.stderr)
            return 2
    export = use(
        settings,
        lambda pool: ddas_export(
            pool,
            "cli",
            args.start,
            args.end,
            args.municipality,
            ddas_settings(settings),
        ),
    )
    # Compact: CBS reads it by machine, and indenting a region's year (44 MB) took 1.4 s of
    # the command's 9 (Python's json indents in Python, not in C). `jq .` shows it indented.
    text = json.dumps(export.document, ensure_ascii=False) + "\n"
    if target is not None:
        with os.fdopen(target, "w", encoding="utf-8") as out:
            out.write(text)
    else:
        sys.stdout.write(text)
    print(
        f"DDAS {args.start} .. {args.end}: {export.signals} signal(s)"
        + (f", {export.left_out} left out (address already removed)" if export.left_out else ""),
        file=sys.stderr,
    )
    return 0


def add_commands(commands: Any) -> None:
    report = commands.add_parser("report", help="reports for others").add_subparsers(
        dest="report_command", required=True, metavar="REPORT"
    )
    ddas = report.add_parser(
        "ddas", help="early-debt signalling for CBS (DDAS Vroegsignalering v1.2, JSON)"
    )
    ddas.add_argument("--from", dest="start", type=date.fromisoformat, required=True)
    ddas.add_argument("--to", dest="end", type=date.fromisoformat, required=True)
    ddas.add_argument("--municipality", help="a CBS code: GM0392 or 0392 (default: all)")
    ddas.add_argument(
        "--output",
        help="write the JSON to this new file (readable by you only) instead of standard output",
    )
    ddas.set_defaults(run=cmd_report_ddas)
