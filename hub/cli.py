"""The `hub` command: run the service, migrate, and keep teams, partners and routing."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TypeVar

import asyncpg
from aiohttp import web

from connectors.csv_batch import BatchProfile
from hub import admin
from hub.accounts import create_user, new_password
from hub.app import create_app
from hub.audit import household_access_log
from hub.config import Settings, drop_root, key_path
from hub.crypto import KeyringError
from hub.db import create_pool, database, migrate
from hub.demo import (
    CREDENTIALS_FILE,
    prepare_demo,
    read_saved_credentials,
    write_credentials,
)
from hub.dropfolder import partner_folder
from hub.errors import HubError
from hub.fhir import map_code
from hub.keys import prepare_keys, retire_old_keys, rotate_keys
from hub.logs import AccessLogger
from hub.logs import configure as configure_logs
from hub.network import default_query, network, weak_link_text_lines
from hub.retention import apply_retention
from hub.retention import policy_of as retention_policy
from hub.store import feedback as feedback_store
from hub.workdays import LOCAL_TIME
from schemas.address import Address, display_postcode, parse_postcode
from schemas.cases import Role
from schemas.signals import EMERGENCY_NOTICE, PartnerKind, SignalKind

T = TypeVar("T")
log = logging.getLogger("hub")


def _with_pool(settings: Settings, dsn: str, use: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run one use case on a migrated database with the hub's keys, then close the pool."""

    async def run() -> T:
        pool = await create_pool(dsn, min_size=1, max_size=2)
        try:
            async with pool.acquire() as conn:
                await migrate(conn)
            await prepare_keys(pool, settings)
            return await use(pool)
        finally:
            await pool.close()

    return asyncio.run(run())


def _use(settings: Settings, use: Callable[[asyncpg.Pool], Awaitable[T]]) -> T:
    """Run one use case on the hub's database (embedded or `DATABASE_URL`)."""
    with database(settings) as dsn:
        return _with_pool(settings, dsn, use)


def _serve(settings: Settings, dsn: str, banner: str | None = None) -> None:
    def announce(text: str) -> None:
        print(banner or text, flush=True)

    web.run_app(
        create_app(settings, dsn),
        host=settings.host,
        port=settings.port,
        print=announce,
        backlog=2048,  # a burst of connections waits in the kernel, not in SYN retries
        access_log_class=AccessLogger,
    )


def cmd_serve(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as dsn:
        _serve(settings, dsn)
    return 0


def cmd_demo(settings: Settings, args: argparse.Namespace) -> int:
    with database(settings) as dsn:
        url = f"http://{settings.host}:{settings.port}"
        path = settings.data_dir / CREDENTIALS_FILE
        saved = read_saved_credentials(path)
        credentials = _with_pool(settings, dsn, lambda pool: prepare_demo(pool, saved, url))
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
        _serve(settings, dsn, "\n".join(lines))
    return 0


def cmd_migrate(settings: Settings, args: argparse.Namespace) -> int:
    async def run(dsn: str) -> list[str]:
        pool = await create_pool(dsn, min_size=1, max_size=1)
        try:
            async with pool.acquire() as conn:
                return [f"{m.version:04d}_{m.name}" for m in await migrate(conn)]
        finally:
            await pool.close()

    with database(settings) as dsn:
        applied = asyncio.run(run(dsn))
    for name in applied:
        print(f"applied {name}")
    print("database is up to date")
    return 0


def cmd_partner_add(settings: Settings, args: argparse.Namespace) -> int:
    partner, token = _use(
        settings, lambda pool: admin.create_partner(pool, args.name, PartnerKind(args.kind))
    )
    print(f"partner {partner.name} ({partner.kind.value}) id {partner.id}")
    print(f"token (shown once, store it now): {token}")
    return 0


def cmd_fhir_map(settings: Settings, args: argparse.Namespace) -> int:
    kind = SignalKind(args.kind)
    _use(settings, lambda pool: map_code(pool, args.system, args.code, kind))
    print(f"{args.system}|{args.code} -> {kind.value}")
    return 0


def cmd_partner_token(settings: Settings, args: argparse.Namespace) -> int:
    token = _use(settings, lambda pool: admin.new_partner_token(pool, args.name))
    print(f"new token for {args.name} (shown once, store it now): {token}")
    return 0


def cmd_partner_revoke(settings: Settings, args: argparse.Namespace) -> int:
    revoked = _use(settings, lambda pool: admin.revoke_partner_tokens(pool, args.name))
    print(f"{revoked} token(s) of {args.name} revoked")
    return 0


def cmd_partner_profile(settings: Settings, args: argparse.Namespace) -> int:
    profile = BatchProfile.model_validate_json(Path(args.file).read_text(encoding="utf-8"))
    _use(settings, lambda pool: admin.set_batch_profile(pool, args.name, profile))
    print(f"CSV profile {profile.name} ({profile.kind.value}) set for {args.name}")
    return 0


def cmd_partner_dropdir(settings: Settings, args: argparse.Namespace) -> int:
    partner = _use(settings, lambda pool: admin.require_partner(pool, args.name))
    folder = partner_folder(drop_root(settings), partner.id)
    folder.mkdir(parents=True, exist_ok=True)
    print(folder.resolve())
    return 0


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    password = args.password or new_password()
    role = Role(args.role or ("partner" if args.partner else "member"))
    if (role is Role.PARTNER) != bool(args.partner):
        raise ValueError("a partner's user needs --partner NAME, and only such a user")
    if (role in (Role.MEMBER, Role.LEAD)) != bool(args.team):
        raise ValueError("members and leads need --team CODE, and only they")

    async def add(pool: asyncpg.Pool) -> None:
        partner = await admin.require_partner(pool, args.partner) if args.partner else None
        team = await admin.require_team(pool, args.team) if args.team else None
        await create_user(
            pool, args.email, password, role.value, partner, team.id if team else None
        )

    _use(settings, add)
    print(f"user {args.email}: {role.value} {args.partner or args.team or ''}".rstrip())
    if not args.password:
        print(f"password (shown once, store it now): {password}")
    return 0


def cmd_user_token(settings: Settings, args: argparse.Namespace) -> int:
    token = _use(settings, lambda pool: admin.create_user_token(pool, args.email))
    print(f"personal token for {args.email} (shown once, store it now): {token}")
    return 0


def cmd_agreement_add(settings: Settings, args: argparse.Namespace) -> int:
    kind = PartnerKind(args.partner_kind) if args.partner_kind else None
    agreement_id = _use(
        settings,
        lambda pool: admin.add_agreement(
            pool,
            step=args.step,
            working_days=None if args.days == "event" else int(args.days),
            partner=args.partner,
            partner_kind=kind,
            team=args.team,
            valid_from=date.fromisoformat(args.valid_from) if args.valid_from else None,
            valid_to=date.fromisoformat(args.valid_to) if args.valid_to else None,
        ),
    )
    print(f"agreement {agreement_id} added")
    return 0


def cmd_agreement_list(settings: Settings, args: argparse.Namespace) -> int:
    rows = _use(settings, admin.list_agreements)
    for row in rows:
        days = "at the event" if row["working_days"] is None else f"{row['working_days']} wd"
        valid = (
            f" ({row['valid_from'] or ''}..{row['valid_to'] or ''})"
            if (row["valid_from"] or row["valid_to"])
            else ""
        )
        print(f"{row['id']}\t{row['partner']}\t{row['team']}\t{row['step']}\t{days}{valid}")
    return 0


def cmd_partner_webhook(settings: Settings, args: argparse.Namespace) -> int:
    secret = _use(settings, lambda pool: admin.set_webhook(pool, args.name, args.url))
    print(f"feedback for {args.name} goes to {args.url}")
    print(f"signing secret (shown once; HMAC-SHA256 over 'timestamp.body'): {secret}")
    return 0


def cmd_holiday_add(settings: Settings, args: argparse.Namespace) -> int:
    day = date.fromisoformat(args.day)
    _use(settings, lambda pool: admin.add_non_working_day(pool, day, args.reason))
    print(f"{day} is not a working day: {args.reason}")
    return 0


def cmd_feedback_dead(settings: Settings, args: argparse.Namespace) -> int:
    async def dead(pool: asyncpg.Pool) -> list[asyncpg.Record]:
        async with pool.acquire() as conn:
            return await feedback_store.dead_letters(conn)

    rows = _use(settings, dead)
    for row in rows:
        print(
            f"{row['id']}\t{row['partner']}\t{row['step']}\t{row['attempts']} attempts\t"
            f"{row['last_error']}\t{row['dead_at']:%Y-%m-%d %H:%M}"
        )
    print(f"{len(rows)} undeliverable feedback message(s)")
    return 0


def cmd_feedback_retry(settings: Settings, args: argparse.Namespace) -> int:
    async def retry(pool: asyncpg.Pool) -> bool:
        async with pool.acquire() as conn:
            return await feedback_store.retry_dead(conn, args.id, datetime.now(LOCAL_TIME))

    done = _use(settings, retry)
    print("queued for delivery again" if done else f"no undeliverable feedback {args.id}")
    return 0 if done else 1


def cmd_graph_report(settings: Settings, args: argparse.Namespace) -> int:
    today = datetime.now(LOCAL_TIME).date()
    query = default_query(today, args.days)
    analysis = _use(settings, lambda pool: network(pool, query))
    print(
        f"Partner network {query.start} .. {query.end}: {analysis.graph.number_of_nodes()} "
        f"nodes, {analysis.graph.number_of_edges()} links, "
        f"{len(analysis.weak_links)} weak link(s)"
    )
    for line in weak_link_text_lines(analysis):
        print(line)
    return 0


def cmd_team_add(settings: Settings, args: argparse.Namespace) -> int:
    team = _use(
        settings,
        lambda pool: admin.add_team(
            pool, args.code, args.name, args.municipality_code, args.municipality, args.email
        ),
    )
    print(f"team {team.code}: {team.name} ({team.municipality})")
    return 0


def cmd_admin_token(settings: Settings, args: argparse.Namespace) -> int:
    token = _use(settings, admin.create_admin_token)
    print(f"admin token (shown once, store it now): {token}")
    return 0


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    counts = _use(settings, lambda pool: rotate_keys(pool, settings))
    print(f"new current key written to {key_path(settings)}; re-encrypted:")
    for place, count in counts.items():
        print(f"  {place}: {count}")
    print("restart every hub instance, then run `hub keys retire` to drop the old keys")
    return 0


def cmd_keys_retire(settings: Settings, args: argparse.Namespace) -> int:
    retired = _use(settings, lambda pool: retire_old_keys(pool, settings))
    print(f"retired keys: {', '.join(map(str, retired)) or 'none'}")
    return 0


def cmd_retention_run(settings: Settings, args: argparse.Namespace) -> int:
    policy = retention_policy(settings)
    result = _use(settings, lambda pool: apply_retention(pool, policy, datetime.now(UTC)))
    print(
        f"personal data removed from {result.signals} signals; "
        f"{result.households} household addresses removed"
    )
    return 0


def cmd_audit_household(settings: Settings, args: argparse.Namespace) -> int:
    address = Address(
        postcode=args.postcode,
        house_number=args.house_number,
        house_letter=args.letter,
        addition=args.addition,
    )
    found = _use(settings, lambda pool: household_access_log(pool, "cli:admin", address))
    for entry in found.entries:
        print(
            f"{entry.occurred_at:%Y-%m-%d %H:%M:%S}  {entry.action:<18} {entry.who or entry.actor}"
            f"  ({entry.on_behalf_of or '-'})  {entry.subject}"
        )
    print(f"{len(found.entries)} entries")
    return 0


def cmd_routing_import(settings: Settings, args: argparse.Namespace) -> int:
    text = Path(args.file).read_text(encoding="utf-8-sig")
    report, applied = _use(
        settings, lambda pool: admin.import_routing_table(pool, text, partial=args.partial)
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
    on = date.fromisoformat(args.on) if args.on else datetime.now(LOCAL_TIME).date()
    answer = _use(settings, lambda pool: admin.check_routing(pool, postcode, args.house_number, on))
    where = f"{display_postcode(postcode)} {args.house_number}"
    if answer.rule is None or answer.team is None:
        print(f"{where}: no rule; a signal goes to the coordinator queue")
        return 1
    print(f"{answer.team.code}\t{answer.team.name}\trule: {answer.rule.describe()}")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hub", description="Signal hub for social district teams (sociale wijkteams)."
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def served(name: str, help_text: str) -> argparse.ArgumentParser:
        command = commands.add_parser(name, help=help_text, description=help_text)
        command.add_argument("--host", help="address to listen on (HUB_HOST, default 127.0.0.1)")
        command.add_argument("--port", type=int, help="port (HUB_PORT, default 8080)")
        return command

    served("demo", "load the Haarlem/Zandvoort demo and serve it").set_defaults(run=cmd_demo)
    served("serve", "serve the hub").set_defaults(run=cmd_serve)
    commands.add_parser("migrate", help="apply database migrations").set_defaults(run=cmd_migrate)

    partner = commands.add_parser("partner", help="partners").add_subparsers(
        dest="partner_command", required=True, metavar="ACTION"
    )
    add = partner.add_parser("add", help="add a partner and print its token once")
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=[kind.value for kind in PartnerKind])
    add.set_defaults(run=cmd_partner_add)

    token = partner.add_parser("token", help="issue another API token for a partner (shown once)")
    token.add_argument("name")
    token.set_defaults(run=cmd_partner_token)
    revoke = partner.add_parser("revoke", help="revoke every API token of a partner")
    revoke.add_argument("name")
    revoke.set_defaults(run=cmd_partner_revoke)
    profile = partner.add_parser("profile", help="set a partner's own CSV column profile (JSON)")
    profile.add_argument("name")
    profile.add_argument("file")
    profile.set_defaults(run=cmd_partner_profile)
    dropdir = partner.add_parser("dropdir", help="create and print a partner's CSV drop folder")
    dropdir.add_argument("name")
    dropdir.set_defaults(run=cmd_partner_dropdir)

    user = commands.add_parser("user", help="people who log in").add_subparsers(
        dest="user_command", required=True, metavar="ACTION"
    )
    user_add = user.add_parser("add", help="add a user (prints a password once)")
    user_add.add_argument("email")
    user_add.add_argument("--partner", help="the partner's name (a partner's user)")
    user_add.add_argument("--team", help="the team's code (members and leads)")
    user_add.add_argument("--role", choices=[role.value for role in Role])
    user_add.add_argument("--password", help="set this password instead of a generated one")
    user_add.set_defaults(run=cmd_user_add)
    user_token = user.add_parser("token", help="a personal API token for a user (shown once)")
    user_token.add_argument("email")
    user_token.set_defaults(run=cmd_user_token)

    fhir = commands.add_parser("fhir", help="FHIR referrals").add_subparsers(
        dest="fhir_command", required=True, metavar="ACTION"
    )
    fhir_map = fhir.add_parser("map", help="map a code (ServiceRequest.code) to a signal kind")
    fhir_map.add_argument("system")
    fhir_map.add_argument("code")
    fhir_map.add_argument("kind", choices=[kind.value for kind in SignalKind])
    fhir_map.set_defaults(run=cmd_fhir_map)

    webhook = partner.add_parser("webhook", help="send a partner's feedback to a webhook URL")
    webhook.add_argument("name")
    webhook.add_argument("url")
    webhook.set_defaults(run=cmd_partner_webhook)

    agreement = commands.add_parser("agreement", help="feedback agreements").add_subparsers(
        dest="agreement_command", required=True, metavar="ACTION"
    )
    agreement_add = agreement.add_parser("add", help="what a team promises to report back")
    agreement_add.add_argument(
        "--step", required=True, choices=["received", "first_contact", "outcome"]
    )
    agreement_add.add_argument(
        "--days", required=True, help="working days after receipt, or 'event' (at closing)"
    )
    agreement_add.add_argument("--partner", help="one partner (by name)")
    agreement_add.add_argument("--partner-kind", choices=[kind.value for kind in PartnerKind])
    agreement_add.add_argument("--team", help="one team (by code); default every team")
    agreement_add.add_argument("--from", dest="valid_from", help="YYYY-MM-DD")
    agreement_add.add_argument("--to", dest="valid_to", help="YYYY-MM-DD")
    agreement_add.set_defaults(run=cmd_agreement_add)
    agreement.add_parser("list", help="the agreements").set_defaults(run=cmd_agreement_list)

    holiday = commands.add_parser("holiday", help="extra non-working days").add_subparsers(
        dest="holiday_command", required=True, metavar="ACTION"
    )
    holiday_add = holiday.add_parser("add", help="a day that does not count as a working day")
    holiday_add.add_argument("day", help="YYYY-MM-DD")
    holiday_add.add_argument("reason")
    holiday_add.set_defaults(run=cmd_holiday_add)

    feedback = commands.add_parser("feedback", help="feedback to partners").add_subparsers(
        dest="feedback_command", required=True, metavar="ACTION"
    )
    feedback.add_parser("dead", help="list feedback that could not be delivered").set_defaults(
        run=cmd_feedback_dead
    )
    retry = feedback.add_parser("retry", help="deliver an undeliverable message again")
    retry.add_argument("id", type=int)
    retry.set_defaults(run=cmd_feedback_retry)

    graph = commands.add_parser("graph", help="the partner network").add_subparsers(
        dest="graph_command", required=True, metavar="ACTION"
    )
    report = graph.add_parser("report", help="print the weak links of the partner network")
    report.add_argument("--days", type=int, default=42, help="the period, ending today")
    report.set_defaults(run=cmd_graph_report)

    team = commands.add_parser("team", help="district teams").add_subparsers(
        dest="team_command", required=True, metavar="ACTION"
    )
    team_add = team.add_parser("add", help="add or rename a team")
    team_add.add_argument("code", help="e.g. SWT-HLM-OOST")
    team_add.add_argument("--name", required=True)
    team_add.add_argument("--municipality", required=True)
    team_add.add_argument("--municipality-code", required=True, help="CBS code, e.g. GM0392")
    team_add.add_argument("--email", help="the team's address for new-signal mail")
    team_add.set_defaults(run=cmd_team_add)

    commands.add_parser("admin-token", help="create an administrator's API token").set_defaults(
        run=cmd_admin_token
    )

    keys = commands.add_parser("keys", help="the keys personal data is sealed with").add_subparsers(
        dest="keys_command", required=True, metavar="ACTION"
    )
    keys.add_parser(
        "rotate", help="add a new current key and re-encrypt all personal data under it"
    ).set_defaults(run=cmd_keys_rotate)
    keys.add_parser(
        "retire", help="drop old keys from the key file once nothing is sealed under them"
    ).set_defaults(run=cmd_keys_retire)

    retention = commands.add_parser("retention", help="removing personal data").add_subparsers(
        dest="retention_command", required=True, metavar="ACTION"
    )
    retention.add_parser(
        "run", help="remove now what the retention periods say is due (also runs nightly)"
    ).set_defaults(run=cmd_retention_run)

    audit = commands.add_parser("audit", help="the access log").add_subparsers(
        dest="audit_command", required=True, metavar="ACTION"
    )
    household = audit.add_parser(
        "household", help="who read or changed one household's data (a resident's request)"
    )
    household.add_argument("postcode")
    household.add_argument("house_number", type=int)
    household.add_argument("--letter", help="house letter (huisletter)")
    household.add_argument("--addition", help="addition (toevoeging)")
    household.set_defaults(run=cmd_audit_household)

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
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
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
