"""`hub demo`, `hub serve`, `hub migrate`."""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from hub.cli.run import serve, with_pool
from hub.demo import CREDENTIALS_FILE, prepare_demo, read_saved_credentials, write_credentials
from hub.platform.config import Settings
from hub.platform.db import create_pool, database
from hub.platform.schema import migrate
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
    async def run(dsn: str) -> list[str]:
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                return [migration.label for migration in await migrate(conn)]
        finally:
            await pool.close()

    with database(settings) as dsn:
        applied = asyncio.run(run(dsn))
    for name in applied:
        print(f"applied {name}")
    print("database is up to date")
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
