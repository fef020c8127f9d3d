"""The demo's data, read from the files in `hub/demo/data` (sources in its README)."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from schemas.address import is_pc6
from schemas.signals import PartnerKind, SignalKind

# Every Haarlem team: where a demo partner without a list of its own districts works.
HAARLEM_TEAMS = (
    "SWT-HLM-CENTRUM",
    "SWT-HLM-ZUID",
    "SWT-HLM-WEST",
    "SWT-HLM-OOST",
    "SWT-HLM-NOORDOOST",
    "SWT-HLM-NOORDWEST",
    "SWT-HLM-SCHALKWIJK-NOORD",
    "SWT-HLM-SCHALKWIJK-ZUID",
)

# How many open cases each demo team can carry (`hub team capacity`), scaled to the demo's
# volume (about seven signals a working day in both municipalities): Schalkwijk-Noord, where most
# partners signal, carries more than it can; the quieter teams have room.
DEMO_CAPACITY = {
    "SWT-HLM-CENTRUM": 15,
    "SWT-HLM-ZUID": 15,
    "SWT-HLM-WEST": 20,
    "SWT-HLM-OOST": 18,
    "SWT-HLM-NOORDOOST": 12,
    "SWT-HLM-NOORDWEST": 15,
    "SWT-HLM-SCHALKWIJK-NOORD": 15,
    "SWT-HLM-SCHALKWIJK-ZUID": 20,
    "SWT-ZVT": 12,
}


def shipped_data(name: str) -> str:
    """A file shipped in `hub/demo/data`, as text."""
    return resources.files("hub.demo").joinpath("data", name).read_text("utf-8")


def _json(name: str) -> Any:
    return json.loads(shipped_data(name))


@dataclass(frozen=True)
class DemoPartner:
    name: str
    kind: PartnerKind
    works_in: tuple[str, ...]  # team codes; a code twice is twice as likely
    stopped_days_ago: int | None = None  # stopped signalling this many days ago
    shares_households: bool = False  # signals a few households another such partner signals


@cache
def demo_partners() -> tuple[DemoPartner, ...]:
    return tuple(
        DemoPartner(
            entry["name"],
            PartnerKind(entry["kind"]),
            tuple(entry["works_in"] or HAARLEM_TEAMS),
            entry.get("stopped_days_ago"),
            entry.get("shares_households", False),
        )
        for entry in _json("partners.json")["partners"]
    )


@cache
def descriptions() -> dict[SignalKind, tuple[str, ...]]:
    return {SignalKind(kind): tuple(texts) for kind, texts in _json("descriptions.json").items()}


@cache
def names() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Initials and surnames for example people."""
    found = _json("names.json")
    return tuple(found["initials"]), tuple(found["surnames"])


@cache
def staff_names() -> tuple[str, ...]:
    """Invented names for the demo's staff, in the order they are created."""
    return tuple(_json("staff.json")["names"])


def demo_pc6_codes() -> list[str]:
    """The PC6 codes of the Haarlem data that can be real addresses.

    The source expanded letter ranges, so it lists a few codes with SD or SS that PostNL never
    issues (13 of 4,687); they are left out here.
    """
    return [
        row["pc6"]
        for row in csv.DictReader(shipped_data("haarlem_pc6_buurt_2013.csv").splitlines())
        if is_pc6(row["pc6"])
    ]


def demo_teams() -> list[dict[str, str]]:
    """The rows of `teams_demo.csv`."""
    return list(csv.DictReader(shipped_data("teams_demo.csv").splitlines()))
