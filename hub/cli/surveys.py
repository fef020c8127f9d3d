"""`hub survey ...`: the partner survey's statements, starting a survey, and the surveys run."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime
from typing import Any

from hub.cli.run import use
from hub.platform.clock import today
from hub.platform.config import Settings, public_url
from hub.surveys.results import list_surveys
from hub.surveys.service import (
    add_statement,
    change_statement,
    list_statements,
    retire_statement,
    start_survey,
)
from schemas.surveys import Theme


def a_date(text: str) -> date:
    try:
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date YYYY-MM-DD: {text!r}") from None


def a_number(text: str) -> int:
    if not text.isascii() or not text.isdigit() or len(text) > 18:
        raise argparse.ArgumentTypeError(f"not a statement number: {text!r}")
    return int(text)


def cmd_survey_start(settings: Settings, args: argparse.Namespace) -> int:
    started = use(
        settings,
        lambda pool: start_survey(
            pool,
            args.closes,
            args.team,
            public_url=public_url(settings),
            now=datetime.now(UTC),
        ),
    )
    print(
        f"survey {started.survey_id} open until {started.closes_on} (inclusive): "
        f"{started.invited} partner(s) invited by mail, about {started.pairs} partner-team "
        f"pair(s) of {started.teams} team(s)"
    )
    if started.without_address:
        print(
            f"not invited, no contact address ({len(started.without_address)}; set one with "
            "`hub partner email NAME ADDRESS`):"
        )
        for name in started.without_address:
            print(f"  {name}")
    return 0


def cmd_survey_list(settings: Settings, args: argparse.Namespace) -> int:
    found = use(settings, lambda pool: list_surveys(pool, today()))
    for survey in found.surveys:
        state = "open" if survey.open else "closed"
        rate = f"{round(100 * survey.response_rate)}%" if survey.response_rate is not None else "-"
        print(
            f"{survey.id}\t{survey.team or 'every team'}\t{survey.opened_on} .. "
            f"{survey.closes_on}\t{state}\tinvited {survey.invited}\tanswered "
            f"{survey.answered} ({rate})"
        )
    return 0


def cmd_statements(settings: Settings, args: argparse.Namespace) -> int:
    for statement in use(settings, list_statements):
        theme = statement.theme.value if statement.theme else "-"
        print(f"{statement.id}\t{theme}\t{statement.text}")
    return 0


def cmd_statement_add(settings: Settings, args: argparse.Namespace) -> int:
    theme = Theme(args.theme) if args.theme else None
    statement_id = use(settings, lambda pool: add_statement(pool, args.text, theme))
    print(f"statement {statement_id} added; surveys started from now on ask it")
    return 0


def cmd_statement_set(settings: Settings, args: argparse.Namespace) -> int:
    use(settings, lambda pool: change_statement(pool, args.id, args.text))
    print(f"statement {args.id} changed; surveys started before keep their wording")
    return 0


def cmd_statement_retire(settings: Settings, args: argparse.Namespace) -> int:
    use(settings, lambda pool: retire_statement(pool, args.id))
    print(f"statement {args.id} is no longer asked in new surveys")
    return 0


def add_commands(commands: Any) -> None:
    survey = commands.add_parser("survey", help="the partner survey").add_subparsers(
        dest="survey_command", required=True, metavar="ACTION"
    )
    start = survey.add_parser(
        "start", help="start a survey: mail every partner its personal link (through the outbox)"
    )
    start.add_argument(
        "--closes", required=True, type=a_date, help="the last day answers are taken, YYYY-MM-DD"
    )
    start.add_argument("--team", help="ask about this team only (its code)")
    start.set_defaults(run=cmd_survey_start)
    survey.add_parser("list", help="every survey, newest first").set_defaults(run=cmd_survey_list)
    survey.add_parser("statements", help="the statements new surveys ask").set_defaults(
        run=cmd_statements
    )
    statement = survey.add_parser("statement", help="change the statements").add_subparsers(
        dest="statement_command", required=True, metavar="ACTION"
    )
    add = statement.add_parser("add", help="add a statement")
    add.add_argument("text")
    add.add_argument("--theme", choices=[theme.value for theme in Theme])
    add.set_defaults(run=cmd_statement_add)
    change = statement.add_parser("set", help="new wording for a statement")
    change.add_argument("id", type=a_number)
    change.add_argument("text")
    change.set_defaults(run=cmd_statement_set)
    retire = statement.add_parser("retire", help="stop asking a statement")
    retire.add_argument("id", type=a_number)
    retire.set_defaults(run=cmd_statement_retire)
