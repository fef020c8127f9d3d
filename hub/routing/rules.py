"""Routing: the pure core that picks a district team for an address, and the rule-table file format.

The most specific rule valid on the signal's date wins: PC6 with house numbers > PC6 >
PC4 with house numbers > PC4. Two equally specific rules that overlap are refused at import,
so at most one rule of the highest specificity can match.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from pydantic import ValidationError

from schemas.routing import Parity, RoutingRule

CSV_HEADER = (
    "postcode",
    "house_number_from",
    "house_number_to",
    "parity",
    "team_code",
    "valid_from",
    "valid_to",
)


def choose_rule(
    rules: Iterable[RoutingRule], postcode: str, house_number: int, on: date
) -> RoutingRule | None:
    """The rule that routes `postcode` + `house_number` on day `on`, or None (coordinator queue).

    `rules` may be the whole table or only the candidates for the postcode's PC4 and PC6.
    """
    best: RoutingRule | None = None
    for rule in rules:
        if rule.postcode not in (postcode, postcode[:4]):
            continue
        if not rule.valid_on(on) or not rule.covers_number(house_number):
            continue
        if best is None or rule.specificity > best.specificity:
            best = rule
    return best


def _parities_meet(low: int, high: int, a: Parity | None, b: Parity | None) -> bool:
    """Is there a number in [low, high] that both parity constraints admit?"""
    if low > high:
        return False
    if a is None or b is None or a is b:
        wanted = a or b
        if wanted is None or high > low:
            return True
        return (low % 2 == 0) == (wanted is Parity.EVEN)
    return False


def rules_overlap(a: RoutingRule, b: RoutingRule) -> bool:
    """Do two rules of equal specificity claim the same address on the same day?"""
    if a.postcode != b.postcode or a.specificity != b.specificity:
        return False
    a_low, a_high = a.number_range
    b_low, b_high = b.number_range
    if not _parities_meet(max(a_low, b_low), min(a_high, b_high), a.parity, b.parity):
        return False
    starts = max(a.valid_from or date.min, b.valid_from or date.min)
    ends = min(a.valid_to or date.max, b.valid_to or date.max)
    return starts <= ends


@dataclass
class RuleImport:
    """The outcome of reading a rule table: accepted rules and refused lines, by line number."""

    accepted: list[tuple[int, RoutingRule]] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)

    @property
    def rules(self) -> list[RoutingRule]:
        return [rule for _, rule in self.accepted]


def _error_text(error: ValidationError) -> str:
    parts = []
    for item in error.errors():
        where = ".".join(str(part) for part in item["loc"])
        message = item["msg"].removeprefix("Value error, ")
        parts.append(f"{where}: {message}" if where else message)
    return "; ".join(parts)


def parse_rules_csv(text: str, known_teams: Iterable[str]) -> RuleImport:
    """Read a routing table in the CSV format of `CSV_HEADER` (empty cell = open end).

    Lines are numbered as a spreadsheet shows them (the header is line 1). A line is refused
    for a bad value, an unknown team, or an overlap with an equally specific earlier line.
    """
    teams = set(known_teams)
    result = RuleImport()
    reader = csv.reader(io.StringIO(text.removeprefix("\ufeff")))
    header = next(reader, None)
    if header is None or tuple(cell.strip().lower() for cell in header) != CSV_HEADER:
        result.refused.append((1, "the header must be: " + ",".join(CSV_HEADER)))
        return result
    kept: dict[str, list[tuple[int, RoutingRule]]] = defaultdict(list)
    for line_number, row in enumerate(reader, start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(CSV_HEADER):
            result.refused.append(
                (line_number, f"expected {len(CSV_HEADER)} columns, found {len(row)}")
            )
            continue
        values = {name: (cell.strip() or None) for name, cell in zip(CSV_HEADER, row, strict=True)}
        try:
            rule = RoutingRule.model_validate(values)
        except ValidationError as error:
            result.refused.append((line_number, _error_text(error)))
            continue
        if rule.team_code not in teams:
            result.refused.append((line_number, f"unknown team {rule.team_code}"))
            continue
        clash = next(
            (earlier for earlier, other in kept[rule.postcode] if rules_overlap(rule, other)), None
        )
        if clash is not None:
            result.refused.append((line_number, f"overlaps line {clash}, which is as specific"))
            continue
        kept[rule.postcode].append((line_number, rule))
        result.accepted.append((line_number, rule))
    return result


def rules_to_csv(rules: Sequence[RoutingRule]) -> str:
    """The inverse of `parse_rules_csv`, for exports and the shipped demo table."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for rule in rules:
        writer.writerow(
            [
                rule.postcode,
                rule.house_number_from or "",
                rule.house_number_to or "",
                rule.parity.value if rule.parity else "",
                rule.team_code,
                rule.valid_from or "",
                rule.valid_to or "",
            ]
        )
    return out.getvalue()
