"""The administrator's verbs, run as the real command against a test database."""

from __future__ import annotations

import subprocess
from pathlib import Path

import asyncpg

from hub.directory.tokens import token_digest
from hub.privacy.sealed import open_webhook_secret
from hub.routing.rules import CSV_HEADER
from tests.support.processes import HUB, hub_env


def hub(dsn: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [HUB, *args],
        env=hub_env(DATABASE_URL=dsn, **env),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_migrate_on_an_empty_database(empty_dsn: str) -> None:
    first = hub(empty_dsn, "migrate")
    assert first.returncode == 0, first.stderr
    assert "applied 0001_initial" in first.stdout
    again = hub(empty_dsn, "migrate")
    assert again.returncode == 0
    assert "applied" not in again.stdout


async def test_partner_add_prints_a_token_once_and_stores_its_hash(
    pool: asyncpg.Pool, dsn: str
) -> None:
    result = hub(dsn, "partner", "add", "Huisartsenpraktijk Test", "--kind", "gp")
    assert result.returncode == 0, result.stderr
    token = result.stdout.split("store it now): ")[1].strip()
    async with pool.acquire() as conn:
        stored = await conn.fetchrow(
            "select t.token_sha256, p.kind from api_tokens t join partners p on p.id = t.partner_id"
        )
        dump = await conn.fetchval("select string_agg(t::text, ' ') from api_tokens t")
    assert stored is not None
    assert stored["token_sha256"] == token_digest(token)
    assert stored["kind"] == "gp"
    assert token not in dump

    twice = hub(dsn, "partner", "add", "Huisartsenpraktijk Test", "--kind", "gp")
    assert twice.returncode == 1
    assert "exists already" in twice.stderr
    bad_kind = hub(dsn, "partner", "add", "X", "--kind", "bakery")
    assert bad_kind.returncode == 2


async def test_routing_import_and_check(haarlem: asyncpg.Pool, dsn: str, tmp_path: Path) -> None:
    table = tmp_path / "rules.csv"
    table.write_text(
        ",".join(CSV_HEADER) + "\n"
        "2031,,,,SWT-HLM-OOST,,\n"
        "2031AB,1,99,even,SWT-HLM-ZUID,,\n"
        "2031AB,2,10,,SWT-HLM-WEST,,\n"
        "2032,,,,SWT-NOWHERE,,\n",
        encoding="utf-8",
    )
    refused = hub(dsn, "routing", "import", str(table))
    assert refused.returncode == 1
    assert "line 4: refused: overlaps line 3" in refused.stdout
    assert "line 5: refused: unknown team SWT-NOWHERE" in refused.stdout
    assert "NOT changed" in refused.stdout
    unchanged = hub(dsn, "routing", "check", "2011 AA", "1")
    assert unchanged.stdout.startswith("SWT-HLM-CENTRUM")

    table.write_text(
        ",".join(CSV_HEADER) + "\n2031,,,,SWT-HLM-OOST,,\n2031AB,1,99,even,SWT-HLM-ZUID,,\n",
        encoding="utf-8",
    )
    applied = hub(dsn, "routing", "import", str(table))
    assert applied.returncode == 0, applied.stdout
    assert "replaced with 2 rule(s)" in applied.stdout

    even = hub(dsn, "routing", "check", "2031ab", "4")
    assert even.returncode == 0
    assert even.stdout.split("\t")[0] == "SWT-HLM-ZUID"
    assert "2031AB 1-99 even" in even.stdout
    odd = hub(dsn, "routing", "check", "2031AB", "5")
    assert odd.stdout.split("\t")[0] == "SWT-HLM-OOST"
    gone = hub(dsn, "routing", "check", "2011AA", "1")
    assert gone.returncode == 1
    assert "coordinator queue" in gone.stdout
    bad = hub(dsn, "routing", "check", "0000XX")
    assert bad.returncode == 2
    assert "does not start with 0" in bad.stderr


async def test_agreements_webhooks_and_holidays_from_the_command_line(
    haarlem: asyncpg.Pool, dsn: str
) -> None:
    assert hub(dsn, "partner", "add", "Woonstichting Test", "--kind", "housing").returncode == 0
    added = hub(
        dsn,
        "agreement",
        "add",
        "--step",
        "first_contact",
        "--days",
        "10",
        "--partner-kind",
        "housing",
        "--team",
        "SWT-HLM-OOST",
    )
    assert added.returncode == 0, added.stderr
    at_closing = hub(dsn, "agreement", "add", "--step", "outcome", "--days", "event")
    assert at_closing.returncode == 0, at_closing.stderr
    listed = hub(dsn, "agreement", "list").stdout.splitlines()
    assert listed[0].split("\t")[1:] == [
        "housing",
        "Sociaal Wijkteam Oost",
        "first_contact",
        "10 wd",
    ]
    assert listed[1].split("\t")[1:] == ["every partner", "every team", "outcome", "at the event"]
    bad = hub(
        dsn, "agreement", "add", "--step", "first_contact", "--days", "5", "--team", "SWT-NOWHERE"
    )
    assert bad.returncode == 1
    assert "no team SWT-NOWHERE" in bad.stderr

    for internal in ("https://127.0.0.1/hook", "http://[::1]:8080/", "https://localhost/hook"):
        refused = hub(dsn, "partner", "webhook", "Woonstichting Test", internal)
        assert refused.returncode == 2
        assert "loopback" in refused.stderr or "https://" in refused.stderr, refused.stderr
    # A public name is resolved before it is taken; a test may not, so it allows private ones.
    webhook = hub(
        dsn,
        "partner",
        "webhook",
        "Woonstichting Test",
        "https://partner.example/hook",
        HUB_WEBHOOK_ALLOW_PRIVATE="true",
    )
    assert webhook.returncode == 0, webhook.stderr
    secret = webhook.stdout.split("'timestamp.body'): ")[1].strip()
    async with haarlem.acquire() as conn:
        stored = await conn.fetchrow(
            "select partner_id, secret, secret_sealed from partner_webhooks"
        )
    assert stored is not None
    assert stored["secret"] is None
    assert secret.encode() not in bytes(stored["secret_sealed"])
    assert open_webhook_secret(bytes(stored["secret_sealed"]), stored["partner_id"]) == secret

    assert hub(dsn, "holiday", "add", "2026-12-31", "Oudejaarsdag, sluiting").returncode == 0
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select count(*) from non_working_days") == 1
    assert "0 undeliverable" in hub(dsn, "feedback", "dead").stdout


async def test_graph_report_prints_the_weak_links(haarlem: asyncpg.Pool, dsn: str) -> None:
    from tests.support.network import network_of

    await network_of(haarlem)
    report = hub(dsn, "graph", "report")
    assert report.returncode == 0, report.stderr
    assert "weak link(s)" in report.stdout.splitlines()[0]
    assert "dried_up_flow" in report.stdout
    assert "Politie / Sociaal Wijkteam Oost" in report.stdout


async def test_graph_nightly_keeps_the_report_now(haarlem: asyncpg.Pool, dsn: str) -> None:
    from tests.support.network import network_of

    await network_of(haarlem)
    kept = hub(dsn, "graph", "nightly")
    assert kept.returncode == 0, kept.stderr
    found = int(kept.stdout.split("kept: ")[1].split()[0])
    async with haarlem.acquire() as conn:
        assert await conn.fetchval("select weak_links from network_reports") == found > 0
        assert await conn.fetchval("select count(*) from network_report_links") == found


async def test_partner_tokens_are_issued_and_revoked(haarlem: asyncpg.Pool, dsn: str) -> None:
    from hub.directory.tokens import caller_for_token

    assert hub(dsn, "partner", "add", "Praktijk Token", "--kind", "gp").returncode == 0
    issued = hub(dsn, "partner", "token", "Praktijk Token")
    token = issued.stdout.split("store it now): ")[1].strip()
    async with haarlem.acquire() as conn:
        assert await caller_for_token(conn, token) is not None
    revoked = hub(dsn, "partner", "revoke", "Praktijk Token")
    assert "2 token(s) of Praktijk Token revoked" in revoked.stdout
    async with haarlem.acquire() as conn:
        assert await caller_for_token(conn, token) is None


def test_hub_db_roles_prints_sql_that_separates_the_roles() -> None:
    printed = subprocess.run(
        [HUB, "db", "roles", "--owner", "hub_owner", "--app", "hub_app", "--database", "hub"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    assert 'create role "hub_owner" login;' in printed
    assert 'create database "hub" owner "hub_owner";' in printed
    assert 'revoke update, delete on access_log from "hub_app";' in printed
    refused = subprocess.run(
        [HUB, "db", "roles", "--app", "x; drop table signals"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert refused.returncode == 2
    assert "not a role name" in refused.stderr


async def test_a_user_is_added_and_renamed_with_the_name_pages_show(
    haarlem: asyncpg.Pool, dsn: str
) -> None:
    added = hub(
        dsn, "user", "add", "lotte@example.invalid", "--team", "SWT-HLM-OOST", "--name", "Lotte Kok"
    )
    assert added.returncode == 0, added.stderr
    renamed = hub(dsn, "user", "name", "lotte@example.invalid", "  Lotte   van Dijk ")
    assert renamed.returncode == 0, renamed.stderr
    assert "shown as Lotte van Dijk" in renamed.stdout
    refused = hub(dsn, "user", "name", "lotte@example.invalid", "Lotte\x1b[2J")
    assert refused.returncode != 0
    assert "control characters" in refused.stderr
    assert "Traceback" not in refused.stderr
    name = await haarlem.fetchval("select name from users where email = 'lotte@example.invalid'")
    assert name == "Lotte van Dijk"


async def test_a_team_capacity_is_set_and_cleared(haarlem: asyncpg.Pool, dsn: str) -> None:
    async def capacity() -> int | None:
        found: int | None = await haarlem.fetchval(
            "select capacity from teams where code = 'SWT-HLM-OOST'"
        )
        return found

    set_ = hub(dsn, "team", "capacity", "SWT-HLM-OOST", "40")
    assert set_.returncode == 0, set_.stderr
    assert "SWT-HLM-OOST: capacity 40 open cases" in set_.stdout
    assert await capacity() == 40
    assert hub(dsn, "team", "capacity", "SWT-HLM-OOST", "0").returncode == 0
    assert await capacity() is None
    assert hub(dsn, "team", "capacity", "SWT-HLM-OOST", "12").returncode == 0
    cleared = hub(dsn, "team", "capacity", "SWT-HLM-OOST", "--clear")
    assert cleared.returncode == 0, cleared.stderr
    assert "capacity cleared" in cleared.stdout
    assert await capacity() is None

    unknown = hub(dsn, "team", "capacity", "SWT-NERGENS", "10")
    assert unknown.returncode == 1  # as `agreement add --team` and `user add --team` answer
    assert "no team SWT-NERGENS" in unknown.stderr
    for wrong in (["-3"], ["100001"], [], ["12", "--clear"], ["veel"]):
        refused = hub(dsn, "team", "capacity", "SWT-HLM-OOST", *wrong)
        assert refused.returncode == 2, (wrong, refused.stderr)
        assert "Traceback" not in refused.stderr
    assert await capacity() is None
