"""`hub keys rotate|retire`, `hub retention run`, `hub audit household`."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Any

from hub.cli.run import use
from hub.platform.config import Settings, key_path
from hub.privacy.audit import household_access_log
from hub.privacy.keys import retire_old_keys, rotate_keys
from hub.privacy.retention import apply_retention
from hub.privacy.retention import policy_of as retention_policy
from schemas.address import Address


def cmd_keys_rotate(settings: Settings, args: argparse.Namespace) -> int:
    counts = use(settings, lambda pool: rotate_keys(pool, settings))
    print(f"new current key written to {key_path(settings)}; re-encrypted:")
    for place, count in counts.items():
        print(f"  {place}: {count}")
    print("restart every hub instance, then run `hub keys retire` to drop the old keys")
    return 0


def cmd_keys_retire(settings: Settings, args: argparse.Namespace) -> int:
    retired = use(settings, lambda pool: retire_old_keys(pool, settings))
    print(f"retired keys: {', '.join(map(str, retired)) or 'none'}")
    return 0


def cmd_retention_run(settings: Settings, args: argparse.Namespace) -> int:
    policy = retention_policy(settings)
    result = use(settings, lambda pool: apply_retention(pool, policy, datetime.now(UTC)))
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
    found = use(settings, lambda pool: household_access_log(pool, "cli:admin", address))
    for entry in found.entries:
        print(
            f"{entry.occurred_at:%Y-%m-%d %H:%M:%S}  {entry.action:<18} {entry.who or entry.actor}"
            f"  ({entry.on_behalf_of or '-'})  {entry.subject}"
        )
    print(f"{len(found.entries)} entries")
    return 0


def add_commands(commands: Any) -> None:
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
