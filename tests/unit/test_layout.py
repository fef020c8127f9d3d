"""The layout's rules that import-linter cannot see: SQL only in store modules, and every code
the hub shows has its one Dutch label."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from graphs.weak_links import WeakLinkKind
from hub import labels
from hub.feedback.agreements import STEPS
from schemas.cases import CaseStatus, Outcome
from schemas.signals import PartnerKind, SignalKind, SignalStatus, Urgency

HUB = Path(__file__).parents[2] / "hub"
# asyncpg's ways of sending SQL to the database.
QUERY_METHODS = frozenset(
    {
        "execute",
        "executemany",
        "fetch",
        "fetchrow",
        "fetchval",
        "fetchmany",
        "copy_records_to_table",
        "copy_to_table",
        "copy_from_query",
        "copy_from_table",
        "cursor",
        "prepare",
    }
)


def is_store(path: Path) -> bool:
    """A store module: `store.py`, or any module of a `store` package."""
    parts = path.relative_to(HUB).parts
    return path.name == "store.py" or "store" in parts[:-1]


def query_calls(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return [
        f"{path.relative_to(HUB.parent)}:{node.lineno} .{node.func.attr}()"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in QUERY_METHODS
    ]


def test_queries_are_sent_from_store_modules_only() -> None:
    outside = [
        call
        for path in sorted(HUB.rglob("*.py"))
        if not is_store(path)
        for call in query_calls(path)
    ]
    assert outside == []


def test_the_scan_finds_queries_where_they_are() -> None:
    """The check above would notice: the stores it skips do send queries."""
    assert query_calls(HUB / "cases" / "store.py")
    assert not is_store(HUB / "cases" / "service.py")
    assert is_store(HUB / "intake" / "store" / "signals.py")


@pytest.mark.parametrize(
    ("mapping", "codes"),
    [
        (labels.SIGNAL_KIND, set(SignalKind)),
        (labels.PARTNER_KIND, set(PartnerKind)),
        (labels.PARTNER_KIND_PLURAL, set(PartnerKind)),
        (labels.URGENCY, set(Urgency)),
        (labels.CASE_STATUS, set(CaseStatus)),
        (labels.SIGNAL_STATUS, set(SignalStatus)),
        (labels.OUTCOME, set(Outcome)),
        (labels.STEP, set(STEPS)),
        (labels.WEAK_LINK_ACTION, set(WeakLinkKind)),
    ],
)
def test_every_code_has_its_dutch_label(mapping: dict[object, str], codes: set[object]) -> None:
    assert set(mapping) == codes
    assert all(label.strip() for label in mapping.values())
