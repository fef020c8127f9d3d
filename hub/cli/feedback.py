"""`hub agreement ...`, `hub holiday add`, and the outbox's dead letters (`hub outbox ...`, also
as `hub feedback dead|retry`)."""

from __future__ import annotations

import argparse
from datetime import UTC, date, datetime
from typing import Any

from hub.cli.run import use
from hub.directory.service import partner_names
from hub.feedback.agreements import STEPS, add_agreement, add_non_working_day, list_agreements
from hub.platform import outbox
from hub.platform.config import Settings
from schemas.signals import PartnerKind


def cmd_agreement_add(settings: Settings, args: argparse.Namespace) -> int:
    kind = PartnerKind(args.partner_kind) if args.partner_kind else None
    agreement_id = use(
        settings,
        lambda pool: add_agreement(
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
    for row in use(settings, list_agreements):
        days = "at the event" if row["working_days"] is None else f"{row['working_days']} wd"
        valid = (
            f" ({row['valid_from'] or ''}..{row['valid_to'] or ''})"
            if (row["valid_from"] or row["valid_to"])
            else ""
        )
        partner = row["partner"] or row["partner_kind"] or "every partner"
        team = row["team"] or "every team"
        print(f"{row['id']}\t{partner}\t{team}\t{row['step']}\t{days}{valid}")
    return 0


def cmd_holiday_add(settings: Settings, args: argparse.Namespace) -> int:
    day = date.fromisoformat(args.day)
    use(settings, lambda pool: add_non_working_day(pool, day, args.reason))
    print(f"{day} is not a working day: {args.reason}")
    return 0


def cmd_outbox_dead(settings: Settings, args: argparse.Namespace) -> int:
    async def dead(pool: Any) -> tuple[list[outbox.DeadLetter], dict[Any, str]]:
        letters = await outbox.dead_letters(pool)
        names = await partner_names(pool, [d.partner_id for d in letters if d.partner_id])
        return letters, names

    letters, names = use(settings, dead)
    for letter in letters:
        to = names.get(letter.partner_id, "?") if letter.partner_id else letter.recipient
        print(
            f"{letter.id}\t{letter.channel.value}\t{to}\t{letter.topic}\t"
            f"{letter.attempts} attempts\t{letter.last_error}\t{letter.dead_at:%Y-%m-%d %H:%M}"
        )
    print(f"{len(letters)} undeliverable message(s)")
    return 0


def cmd_outbox_retry(settings: Settings, args: argparse.Namespace) -> int:
    done = use(settings, lambda pool: outbox.retry(pool, args.id, datetime.now(UTC)))
    print("queued for delivery again" if done else f"no undeliverable message {args.id}")
    return 0 if done else 1


def add_commands(commands: Any) -> None:
    agreement = commands.add_parser("agreement", help="feedback agreements").add_subparsers(
        dest="agreement_command", required=True, metavar="ACTION"
    )
    agreement_add = agreement.add_parser("add", help="what a team promises to report back")
    agreement_add.add_argument("--step", required=True, choices=STEPS)
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

    for group, text in (
        ("outbox", "mail and feedback waiting to be delivered"),
        ("feedback", "feedback to partners (the same as `hub outbox`)"),
    ):
        actions = commands.add_parser(group, help=text).add_subparsers(
            dest=f"{group}_command", required=True, metavar="ACTION"
        )
        actions.add_parser(
            "dead", help="list messages that could not be delivered (dead letters)"
        ).set_defaults(run=cmd_outbox_dead)
        retry = actions.add_parser("retry", help="deliver an undeliverable message again")
        retry.add_argument("id", type=int)
        retry.set_defaults(run=cmd_outbox_retry)
