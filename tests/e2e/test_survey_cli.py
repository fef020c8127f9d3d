"""`hub partner email` and `hub survey ...`, run as the real command against a test database."""

from __future__ import annotations

from datetime import timedelta

import asyncpg

from hub.platform.clock import today
from tests.e2e.test_cli import hub
from tests.support.surveys import survey_partners


async def test_an_administrator_sets_addresses_and_starts_a_survey(
    haarlem: asyncpg.Pool, dsn: str
) -> None:
    await survey_partners(haarlem, 2)
    added = hub(
        dsn,
        "partner",
        "add",
        "Wijkagent Oost",
        "--kind",
        "police",
        "--email",
        "oost@example.invalid",
    )
    assert added.returncode == 0, added.stderr
    changed = hub(dsn, "partner", "email", "Huisartsenpraktijk 1", "praktijk@example.invalid")
    assert changed.returncode == 0, changed.stderr
    bad = hub(dsn, "partner", "email", "Huisartsenpraktijk 1", "geen adres")
    assert bad.returncode == 1
    assert "name@example.nl" in bad.stderr
    cleared = hub(dsn, "partner", "email", "Huisartsenpraktijk 2", "--clear")
    assert cleared.returncode == 0, cleared.stderr
    unknown = hub(dsn, "partner", "email", "Niemand", "a@example.invalid")
    assert unknown.returncode == 1
    async with haarlem.acquire() as conn:
        addresses = await conn.fetch("select name, contact_email from partners order by name")
    assert [tuple(row) for row in addresses] == [
        ("Huisartsenpraktijk 1", "praktijk@example.invalid"),
        ("Huisartsenpraktijk 2", None),
        ("Wijkagent Oost", "oost@example.invalid"),
    ]

    statements = hub(dsn, "survey", "statements")
    assert statements.returncode == 0, statements.stderr
    assert "agreements_kept" in statements.stdout
    assert len(statements.stdout.splitlines()) == 7
    own = hub(dsn, "survey", "statement", "add", "Het wijkteam denkt mee.")
    assert own.returncode == 0, own.stderr
    twice = hub(dsn, "survey", "statement", "add", "Nog een.", "--theme", "clarity")
    assert twice.returncode == 1

    closes = today() + timedelta(days=21)
    started = hub(dsn, "survey", "start", "--closes", closes.isoformat(), "--team", "SWT-HLM-OOST")
    assert started.returncode == 0, started.stderr
    assert "1 partner(s) invited" in started.stdout
    assert "Huisartsenpraktijk 2" in started.stdout  # worked with Oost, has no address
    again = hub(dsn, "survey", "start", "--closes", closes.isoformat())
    assert again.returncode == 1
    assert "open already" in again.stderr
    for wrong in ("21-12-2026", "2026-02-30", (today() - timedelta(days=1)).isoformat()):
        refused = hub(dsn, "survey", "start", "--closes", wrong)
        assert refused.returncode in (1, 2), wrong
    listed = hub(dsn, "survey", "list")
    assert listed.returncode == 0
    assert "SWT-HLM-OOST" in listed.stdout
    assert "open" in listed.stdout
    async with haarlem.acquire() as conn:
        mail = await conn.fetch(
            "select recipient, payload from outbox where topic = $1", "survey_invitation"
        )
    assert [row["recipient"] for row in mail] == ["praktijk@example.invalid"]
