"""Small counts, masked: every figure a manager sees (pages, JSON, GraphML, GEXF, CSV) passes
here, so that no household or person can be singled out from a count of one to four.

A count of 1 to 4 is shown as "<5"; 0 and 5 or more as they are. A rate is shown only where
every count behind it is shown: the part, the whole, and what the part leaves of the whole (a
rate of 96% of 25 says that one was missed).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Final

SMALL: Final = 5
MASKED: Final = "<5"

# Keys under which figures hold counts of signals, households, cases or deadlines.
COUNT_KEYS: Final = frozenset(
    {
        "count",
        "previous",
        "households",
        "shared_households",
        "signals",
        "now",
        "before",
        "due",
        "on_time",
        "met_on_time",
        "met_late",
        "overdue",
        # partners' ratings in the partner survey, and how many of them agreed
        "answers",
        "agreeing",
    }
)


def is_masked(count: int) -> bool:
    return 0 < count < SMALL


def shown(count: int) -> int | str:
    """A count as a manager may see it: 1 to 4 as "<5"."""
    return MASKED if is_masked(count) else count


def drawn(count: int) -> float:
    """How high a count is drawn in a chart: a masked one (1 to 4) as 2.5 whatever it is, so
    that the drawing tells no more than the "<5" beside it."""
    return 2.5 if is_masked(count) else float(count)


def shown_rate(part: int, whole: int) -> float | None:
    """`part / whole`, or None where it would tell a masked count."""
    if whole == 0 or is_masked(part) or is_masked(whole) or is_masked(whole - part):
        return None
    return part / whole


def _count(figures: Mapping[str, object], key: str) -> int | None:
    value = figures.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def approximately(total: int) -> str:
    """A total that beside its exact parts would tell a masked one: to the nearest ten."""
    return f"ca. {max(10, round(total / 10) * 10)}"


def shown_total(total: int, parts: Iterable[int]) -> int | str:
    """A total shown beside its parts. Where a part, or what the parts leave of the total, is
    masked, the exact total would give it away (total minus the shown parts): the total is
    then shown to the nearest ten."""
    if is_masked(total):
        return MASKED
    counted = list(parts)
    if any(is_masked(part) for part in counted) or is_masked(total - sum(counted)):
        return approximately(total)
    return total


def as_number(value: int | str) -> float:
    """A shown figure as a number to sort or draw by, telling no more than its text: "<5" as
    2.5 whatever it hides, "ca. 110" as 110."""
    if isinstance(value, int):
        return float(value)
    if value.startswith("ca. "):
        return float(value.removeprefix("ca. "))
    return 2.5


# A deadline count's parts, under the keys figures give them.
_PARTS_OF_DUE: Final = ("met_on_time", "on_time", "met_late", "overdue")


def masked_figures(figures: Mapping[str, object]) -> dict[str, object]:
    """Figures with every count under `COUNT_KEYS` masked, and a `rate` or `p_value` dropped
    where it would tell a masked count."""
    result: dict[str, object] = {}
    for key, value in figures.items():
        count = _count(figures, key)
        result[key] = shown(count) if key in COUNT_KEYS and count is not None else value
    due = _count(figures, "due")
    parts = [c for key in _PARTS_OF_DUE if (c := _count(figures, key)) is not None]
    if due is not None and parts:
        result["due"] = shown_total(due, parts)
    if "rate" in result:
        due, on_time = _count(figures, "due"), _count(figures, "on_time")
        if due is None or on_time is None or shown_rate(on_time, due) is None:
            del result["rate"]
    if "p_value" in result:
        now, before = _count(figures, "now"), _count(figures, "before")
        if now is None or before is None or is_masked(now) or is_masked(before):
            del result["p_value"]
    return result
