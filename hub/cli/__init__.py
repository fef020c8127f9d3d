"""The `hub` command: run the service, migrate, and keep teams, partners, routing, agreements,
keys and the outbox. One module per group of commands."""

from __future__ import annotations

import argparse
import logging
import sys

from hub.cli import directory, feedback, network, privacy, reports, routing, server, surveys
from hub.platform.config import Settings
from hub.platform.errors import HubError
from hub.platform.logs import configure as configure_logs
from hub.privacy.crypto import KeyringError


def parser() -> argparse.ArgumentParser:
    found = argparse.ArgumentParser(
        prog="hub", description="Signal hub for social district teams (sociale wijkteams)."
    )
    found.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = found.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for group in (server, directory, routing, feedback, network, privacy, reports, surveys):
        group.add_commands(commands)
    return found


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    serving = args.command in ("demo", "serve")
    overrides = {
        key: value for key in ("host", "port") if (value := getattr(args, key, None)) is not None
    }
    settings = Settings(**overrides)
    configure_logs(
        logging.DEBUG if args.verbose else logging.INFO if serving else logging.WARNING,
        structured=settings.log_format == "json"
        or (settings.log_format == "auto" and args.command == "serve"),
    )
    try:
        result: int = args.run(settings, args)
    except HubError as error:
        print(f"hub: {error.detail}", file=sys.stderr)
        return 1
    except KeyringError as error:
        print(f"hub: {error}", file=sys.stderr)
        return 1
    except ValueError as error:
        print(f"hub: {error}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":
    sys.exit(main())
