"""`hub demo`, `hub serve`, `hub migrate`."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from hub.cli.run import serve, with_pool
from hub.demo import CREDENTIALS_FILE, prepare_demo, read_saved_credentials, write_credentials
from hub.platform.config import Settings
from hub.platform.roles import setup_sql
from hub.startup import database, migrate_database
from schemas.signals import EMERGENCY_NOTICE


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as dsn:
        serve(settings, dsn)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as dsn:
        url = f"http://{settings.host}:{settings.port}"
        path = settings.data_dir / CREDENTIALS_FILE
        saved = read_saved_credentials(path)
        credentials = with_pool(settings, dsn, lambda pool: prepare_demo(pool, saved, url))
        write_credentials(path, credentials)
        lines = [
            f"Signal hub demo on {url}",
            f"  API description: {url}/api/v1/openapi.json",
            f"  Credentials (tokens for every demo partner): {path.resolve()}",
            f"  Admin token: {credentials.admin_token}",
        ]
        first = credentials.partners[0]
        person = credentials.users[0]
        lines += [
            f"  Partner token of {first['name']}: {first['token']}",
            f"  Web form: {url}/inloggen as {person['email']} / {person['password']}",
            "",
            "Try:",
            f"  curl -s {url}/api/v1/signals -H 'Authorization: Bearer {first['token']}' \\",
            '    -H \'Content-Type: application/json\' -d \'{"external_ref": "TRY-1", '
            '"kind": "care_concern", "address": {"postcode": "2036 AA", '
            '"house_number": 12}, "resident_informed": {"informed": true}, '
            '"description": "Mist afspraken."}\'',
            "",
            EMERGENCY_NOTICE,
            "Stop with Ctrl-C.",
        ]
        serve(settings, dsn, "\n".join(lines))
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as dsn:
        applied = [m.label for m in asyncio.run(migrate_database(settings, dsn))]
    for name in applied:
        print(f"applied {name}")
    print("database is up to date")
    return 0


def cmd_db_roles(settings: Settings, args: argparse.Namespace) -> int:
    print(setup_sql(args.owner, args.app, args.database), end="")
    return 0


def add_commands(commands: Any) -> None:
    def served(name: str, help_text: str) -> argparse.ArgumentParser:
        command: argparse.ArgumentParser = commands.add_parser(
            name, help=help_text, description=help_text
        )
        command.add_argument("--host", help="address to listen on (HUB_HOST, default 127.0.0.1)")
        command.add_argument("--port", type=int, help="port (HUB_PORT, default 8080)")
        return command

    served("demo", "load the Haarlem/Zandvoort demo and serve it").set_defaults(run=cmd_demo)
    served("serve", "serve the hub").set_defaults(run=cmd_serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)
    db = commands.add_parser("db", help="the database server's side").add_subparsers(
        dest="db_command", required=True
    )
    roles = db.add_parser(
        "roles",
        help="print the SQL that gives the hub an owner role and a role that cannot touch the "
        "audit trail (run it as a superuser)",
    )
    roles.add_argument("--owner", default="signal_hub_owner", help="the role that owns the schema")
    roles.add_argument("--app", default="signal_hub_app", help="the role the hub serves as")
    roles.add_argument("--database", default="signal_hub")
    roles.set_defaults(run=cmd_db_roles)
