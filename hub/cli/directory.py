"""`hub partner ...`, `hub user ...`, `hub team add`, `hub admin-token`."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

import asyncpg

from connectors.csv_batch import BatchProfile
from hub.cli.run import use
from hub.directory import service
from hub.directory.accounts import create_user, new_password
from hub.feedback.delivery import set_webhook
from hub.intake.batches import set_custom_profile
from hub.intake.dropfolder import partner_folder
from hub.platform.config import Settings, drop_root
from schemas.cases import Role
from schemas.signals import PartnerKind


def cmd_partner_add(settings: Settings, args: argparse.Namespace) -> int:
    partner, token = use(
        settings, lambda pool: service.create_partner(pool, args.name, PartnerKind(args.kind))
    )
    print(f"partner {partner.name} ({partner.kind.value}) id {partner.id}")
    print(f"token (shown once, store it now): {token}")
    return 0


def cmd_partner_token(settings: Settings, args: argparse.Namespace) -> int:
    token = use(settings, lambda pool: service.new_partner_token(pool, args.name))
    print(f"new token for {args.name} (shown once, store it now): {token}")
    return 0


def cmd_partner_revoke(settings: Settings, args: argparse.Namespace) -> int:
    revoked = use(settings, lambda pool: service.revoke_partner_tokens(pool, args.name))
    print(f"{revoked} token(s) of {args.name} revoked")
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
    secret = use(settings, lambda pool: set_webhook(pool, args.name, args.url))
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
            pool, args.email, password, role.value, partner, team.id if team else None
        )

    use(settings, add)
    print(f"user {args.email}: {role.value} {args.partner or args.team or ''}".rstrip())
    if not args.password:
        print(f"password (shown once, store it now): {password}")
    return 0


def cmd_user_token(settings: Settings, args: argparse.Namespace) -> int:
    token = use(settings, lambda pool: service.create_user_token(pool, args.email))
    print(f"personal token for {args.email} (shown once, store it now): {token}")
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


def cmd_admin_token(settings: Settings, args: argparse.Namespace) -> int:
    token = use(settings, service.create_admin_token)
    print(f"admin token (shown once, store it now): {token}")
    return 0


def add_commands(commands: Any) -> None:
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
    user_add.set_defaults(run=cmd_user_add)
    user_token = user.add_parser("token", help="a personal API token for a user (shown once)")
    user_token.add_argument("email")
    user_token.set_defaults(run=cmd_user_token)

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
