"""`hub partner ...`, `hub user ...`, `hub team add|capacity`, `hub admin-token`."""

from __future__ import annotations

import argparse
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg

from connectors.csv_batch import BatchProfile
from hub.cli.run import use
from hub.directory import accounts, service, tokens
from hub.directory.accounts import create_user
from hub.directory.passwords import new_password
from hub.feedback.delivery import set_webhook
from hub.intake.batches import set_custom_profile
from hub.intake.dropfolder import partner_folder
from hub.platform.config import Settings, drop_root
from hub.platform.outbound import rules_of
from schemas.cases import Role
from schemas.signals import PartnerKind


def cmd_partner_add(settings: Settings, args: argparse.Namespace) -> int:
    partner, token = use(
        settings,
        lambda pool: service.create_partner(pool, args.name, PartnerKind(args.kind), args.email),
    )
    print(f"partner {partner.name} ({partner.kind.value}) id {partner.id}")
    print(f"token (shown once, store it now): {token}")
    return 0


def cmd_partner_email(settings: Settings, args: argparse.Namespace) -> int:
    if args.clear == (args.address is not None):
        raise ValueError("give the partner's contact address, or --clear")
    address: str | None = None if args.clear else args.address
    partner = use(settings, lambda pool: service.set_partner_email(pool, args.name, address))
    if address is None:
        print(f"partner {partner.name}: contact address removed (no survey mail)")
    else:
        print(f"partner {partner.name}: mail for the partner (the survey) goes to {address}")
    return 0


def _lifetime(args: argparse.Namespace) -> timedelta | None:
    days: int | None = args.days
    if days is not None and not 1 <= days <= 3650:
        raise ValueError("--days is a whole number of days from 1 to 3650")
    return timedelta(days=days) if days else None


def cmd_partner_token(settings: Settings, args: argparse.Namespace) -> int:
    lifetime = _lifetime(args)
    token = use(settings, lambda pool: service.new_partner_token(pool, args.name, lifetime))
    print(f"new token for {args.name} (shown once, store it now): {token}")
    return 0


def cmd_partner_revoke(settings: Settings, args: argparse.Namespace) -> int:
    revoked, ended = use(settings, lambda pool: service.revoke_partner(pool, args.name))
    print(f"{revoked} token(s) of {args.name} revoked, {ended} web session(s) ended")
    return 0


def cmd_partner_profile(settings: Settings, args: argparse.Namespace) -> int:
    profile = BatchProfile.model_validate_json(Path(args.file).read_text(encoding="utf-8"))
    use(settings, lambda pool: set_custom_profile(pool, args.name, profile))
    print(f"CSV profile {profile.name} ({profile.kind.value}) set for {args.name}")
    return 0


def cmd_partner_dropdir(settings: Settings, args: argparse.Namespace) -> int:
    partner = use(settings, lambda pool: service.require_partner(pool, args.name))
    folder = partner_folder(drop_root(settings), partner.id)
    folder.mkdir(parents=True, exist_ok=True)
    print(folder.resolve())
    return 0


def cmd_partner_webhook(settings: Settings, args: argparse.Namespace) -> int:
    rules = rules_of(settings)
    secret = use(settings, lambda pool: set_webhook(pool, args.name, args.url, rules))
    print(f"feedback for {args.name} goes to {args.url}")
    print(f"signing secret (shown once; HMAC-SHA256 over 'timestamp.body'): {secret}")
    return 0


def cmd_user_add(settings: Settings, args: argparse.Namespace) -> int:
    password = args.password or new_password()
    role = Role(args.role or ("partner" if args.partner else "member"))
    if (role is Role.PARTNER) != bool(args.partner):
        raise ValueError("a partner's user needs --partner NAME, and only such a user")
    if (role in (Role.MEMBER, Role.LEAD)) != bool(args.team):
        raise ValueError("members and leads need --team CODE, and only they")

    async def add(pool: asyncpg.Pool) -> None:
        partner = await service.require_partner(pool, args.partner) if args.partner else None
        team = await service.require_team(pool, args.team) if args.team else None
        await create_user(
            pool, args.email, password, role.value, partner, team.id if team else None, args.name
        )

    use(settings, add)
    print(f"user {args.email}: {role.value} {args.partner or args.team or ''}".rstrip())
    if not args.password:
        print(f"password (shown once, store it now): {password}")
    return 0


def cmd_user_name(settings: Settings, args: argparse.Namespace) -> int:
    use(settings, lambda pool: accounts.set_name(pool, args.email, args.name))
    print(f"user {args.email}: shown as {' '.join(args.name.split())}")
    return 0


def cmd_user_token(settings: Settings, args: argparse.Namespace) -> int:
    lifetime = _lifetime(args)
    token = use(settings, lambda pool: service.create_user_token(pool, args.email, lifetime))
    print(f"personal token for {args.email} (shown once, store it now): {token}")
    return 0


def cmd_user_enable(settings: Settings, args: argparse.Namespace) -> int:
    enabled = args.user_command == "enable"
    use(settings, lambda pool: accounts.set_enabled(pool, args.email, enabled))
    if enabled:
        print(f"user {args.email} enabled")
    else:
        print(f"user {args.email} disabled: sessions ended, personal tokens stop working")
    return 0


def cmd_user_reset_password(settings: Settings, args: argparse.Namespace) -> int:
    password = args.password or new_password()
    if not use(settings, lambda pool: accounts.set_password(pool, args.email, password)):
        print(f"hub: no user {args.email}")
        return 1
    print(f"new password for {args.email}; every session of theirs ended")
    if not args.password:
        print(f"password (shown once, store it now): {password}")
    return 0


def cmd_user_second_factor(settings: Settings, args: argparse.Namespace) -> int:
    uri = use(settings, lambda pool: accounts.set_second_factor(pool, args.email, not args.off))
    if uri is None:
        print(f"second factor of {args.email} removed")
    else:
        print(f"second factor set up for {args.email}; enter this in their authenticator app")
        print(f"(shown once): {uri}")
    return 0


def cmd_user_list(settings: Settings, args: argparse.Namespace) -> int:
    for row in use(settings, accounts.users):
        state = "disabled" if row["disabled_at"] else "enabled"
        factor = "2FA" if row["second_factor"] else "-"
        where = row["partner"] or row["team"] or ""
        print(f"{row['email']}\t{row['role']}\t{where}\t{state}\t{factor}")
    return 0


def cmd_token_list(settings: Settings, args: argparse.Namespace) -> int:
    for row in use(settings, tokens.list_tokens):
        whose = row["partner"] or row["user_email"] or "administrator"
        used = f"{row['last_used_at']:%Y-%m-%d}" if row["last_used_at"] else "never"
        until = f"{row['expires_at']:%Y-%m-%d}" if row["expires_at"] else "no end"
        state = f"revoked {row['revoked_at']:%Y-%m-%d}" if row["revoked_at"] else "live"
        print(
            f"{row['id']}\t{row['role']}\t{whose}\tcreated {row['created_at']:%Y-%m-%d}"
            f"\tused {used}\tuntil {until}\t{state}"
        )
    return 0


def cmd_token_revoke(settings: Settings, args: argparse.Namespace) -> int:
    token_id = UUID(args.id)
    if not use(settings, lambda pool: tokens.revoke_token(pool, token_id)):
        print(f"hub: no live token {args.id}")
        return 1
    print(f"token {args.id} revoked")
    return 0


def cmd_team_add(settings: Settings, args: argparse.Namespace) -> int:
    team = use(
        settings,
        lambda pool: service.add_team(
            pool, args.code, args.name, args.municipality_code, args.municipality, args.email
        ),
    )
    print(f"team {team.code}: {team.name} ({team.municipality})")
    return 0


def ascii_count(text: str) -> int:
    """A whole number in ASCII digits (int() would also take Arabic-Indic or full-width ones)."""
    if not text.isascii() or not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a number of open cases: {text!r}")
    return int(text)


def cmd_team_capacity(settings: Settings, args: argparse.Namespace) -> int:
    if args.clear == (args.open_cases is not None):
        raise ValueError("give the number of open cases the team can carry, or --clear")
    capacity: int | None = None if args.clear else args.open_cases
    if capacity is not None and not 0 <= capacity <= service.MAX_CAPACITY:
        message = f"the capacity is a number of open cases from 1 to {service.MAX_CAPACITY}"
        raise ValueError(message + " (0 clears it)")
    capacity = capacity or None  # 0 clears it, as --clear does
    team = use(settings, lambda pool: service.set_team_capacity(pool, args.code, capacity))
    if capacity is None:
        print(f"team {team.code}: capacity cleared")
    else:
        print(f"team {team.code}: capacity {capacity} open cases")
    return 0


def cmd_admin_token(settings: Settings, args: argparse.Namespace) -> int:
    lifetime = _lifetime(args)
    token = use(settings, lambda pool: service.create_admin_token(pool, lifetime))
    print(f"admin token (shown once, store it now): {token}")
    print("it manages deliveries and reads figures; residents' data takes a person's account")
    return 0


def add_commands(commands: Any) -> None:
    partner = commands.add_parser("partner", help="partners").add_subparsers(
        dest="partner_command", required=True, metavar="ACTION"
    )
    add = partner.add_parser("add", help="add a partner and print its token once")
    add.add_argument("name")
    add.add_argument("--kind", required=True, choices=[kind.value for kind in PartnerKind])
    add.add_argument("--email", help="the partner's contact address (the partner survey)")
    add.set_defaults(run=cmd_partner_add)
    email = partner.add_parser(
        "email", help="set the partner's contact address (the partner survey's invitations)"
    )
    email.add_argument("name")
    email.add_argument("address", nargs="?")
    email.add_argument("--clear", action="store_true", help="remove the contact address")
    email.set_defaults(run=cmd_partner_email)
    token = partner.add_parser("token", help="issue another API token for a partner (shown once)")
    token.add_argument("name")
    token.add_argument("--days", type=int, help="how long it works (default 365)")
    token.set_defaults(run=cmd_partner_token)
    revoke = partner.add_parser(
        "revoke", help="revoke every API token of a partner and end its people's web sessions"
    )
    revoke.add_argument("name")
    revoke.set_defaults(run=cmd_partner_revoke)
    profile = partner.add_parser("profile", help="set a partner's own CSV column profile (JSON)")
    profile.add_argument("name")
    profile.add_argument("file")
    profile.set_defaults(run=cmd_partner_profile)
    dropdir = partner.add_parser("dropdir", help="create and print a partner's CSV drop folder")
    dropdir.add_argument("name")
    dropdir.set_defaults(run=cmd_partner_dropdir)
    webhook = partner.add_parser("webhook", help="send a partner's feedback to a webhook URL")
    webhook.add_argument("name")
    webhook.add_argument("url")
    webhook.set_defaults(run=cmd_partner_webhook)

    user = commands.add_parser("user", help="people who log in").add_subparsers(
        dest="user_command", required=True, metavar="ACTION"
    )
    user_add = user.add_parser("add", help="add a user (prints a password once)")
    user_add.add_argument("email")
    user_add.add_argument("--partner", help="the partner's name (a partner's user)")
    user_add.add_argument("--team", help="the team's code (members and leads)")
    user_add.add_argument("--role", choices=[role.value for role in Role])
    user_add.add_argument("--password", help="set this password instead of a generated one")
    user_add.add_argument("--name", help="the name pages show for this person")
    user_add.set_defaults(run=cmd_user_add)
    user_name = user.add_parser("name", help="set the name pages show for a user")
    user_name.add_argument("email")
    user_name.add_argument("name")
    user_name.set_defaults(run=cmd_user_name)
    user_token = user.add_parser("token", help="a personal API token for a user (shown once)")
    user_token.add_argument("email")
    user_token.add_argument("--days", type=int, help="how long it works (default 90)")
    user_token.set_defaults(run=cmd_user_token)
    for action, text in (
        ("disable", "disable a user: no login, sessions ended, personal tokens stop working"),
        ("enable", "enable a disabled user again"),
    ):
        toggle = user.add_parser(action, help=text)
        toggle.add_argument("email")
        toggle.set_defaults(run=cmd_user_enable)
    reset = user.add_parser(
        "reset-password", help="a new password (printed once), ending every session of theirs"
    )
    reset.add_argument("email")
    reset.add_argument("--password", help="set this password instead of a generated one")
    reset.set_defaults(run=cmd_user_reset_password)
    factor = user.add_parser(
        "second-factor", help="set up (or with --off remove) a TOTP app code at login"
    )
    factor.add_argument("email")
    factor.add_argument("--off", action="store_true")
    factor.set_defaults(run=cmd_user_second_factor)
    user.add_parser("list", help="every user, role, place and state").set_defaults(
        run=cmd_user_list
    )

    token_group = commands.add_parser("token", help="API tokens of every kind").add_subparsers(
        dest="token_command", required=True, metavar="ACTION"
    )
    token_group.add_parser(
        "list", help="every token: whose, used when, until when (never the token)"
    ).set_defaults(run=cmd_token_list)
    token_revoke = token_group.add_parser("revoke", help="revoke one token by its id")
    token_revoke.add_argument("id")
    token_revoke.set_defaults(run=cmd_token_revoke)

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
    team_capacity = team.add_parser(
        "capacity", help="set how many open cases a team can carry (0 or --clear: not set)"
    )
    team_capacity.add_argument("code", help="e.g. SWT-HLM-OOST")
    team_capacity.add_argument("open_cases", nargs="?", type=ascii_count, metavar="N")
    team_capacity.add_argument("--clear", action="store_true", help="remove the capacity")
    team_capacity.set_defaults(run=cmd_team_capacity)

    admin_token = commands.add_parser(
        "admin-token", help="create an administrator's machine token (deliveries, figures)"
    )
    admin_token.add_argument("--days", type=int, help="how long it works (default 7)")
    admin_token.set_defaults(run=cmd_admin_token)
