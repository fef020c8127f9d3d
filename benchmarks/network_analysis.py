"""Weak-link analysis of a synthetic national-scale partner network, timed step by step.

    python benchmarks/network_analysis.py [--teams 400] [--partners 50000] [--edges 500000]

Prints the time of each step of `graphs.weak_links.analyse` and the total, for a Haarlem-sized
network and for the national one; asserts nothing. No database.
"""

from __future__ import annotations

import argparse
import random
import time
from collections.abc import Callable
from typing import Any

from graphs.network import CoSignal, Flow, NetworkFacts, PartnerNode, TeamNode, build_graph
from graphs.weak_links import (
    Thresholds,
    agreement_gaps,
    by_severity,
    coverage_gaps,
    dried_up_flows,
    single_points_of_failure,
    weak_ties,
)
from schemas.signals import PartnerKind


def synthetic(teams: int, partners: int, edges: int, seed: int = 1) -> NetworkFacts:
    rng = random.Random(seed)  # noqa: S311 - benchmark data
    kinds = list(PartnerKind)
    facts = NetworkFacts(
        teams=[TeamNode(f"T{i}", f"Team {i}", f"GM{i // 8:04d}") for i in range(teams)],
        partners=[PartnerNode(f"P{i}", f"Partner {i}", rng.choice(kinds)) for i in range(partners)],
    )
    # Partners work near home: most flows go to teams of the partner's own region.
    flows: dict[tuple[str, str], Flow] = {}
    cosignal_target = edges // 10
    while len(flows) < edges - cosignal_target:
        partner = rng.randrange(partners)
        home = partner % teams
        # One partner in five (a small practice, a local police unit) signals its home team only.
        team = home if partner % 5 == 0 else (home + int(rng.gauss(0, 3))) % teams
        count = max(1, int(rng.expovariate(1 / 8)))
        previous = count if rng.random() > 0.02 else count * 4
        flows[(f"P{partner}", f"T{team}")] = Flow(
            f"P{partner}",
            f"T{team}",
            count,
            previous,
            rng.random() > 0.1,
            due=count,
            on_time=int(count * rng.uniform(0.4, 1.0)),
        )
    facts.flows = list(flows.values())
    ties: dict[tuple[str, str], CoSignal] = {}
    while len(ties) < cosignal_target:
        a, b = sorted(rng.sample(range(partners), 2))
        ties[(f"P{a}", f"P{b}")] = CoSignal(f"P{a}", f"P{b}", rng.randint(1, 6))
    facts.cosignals = list(ties.values())
    return facts


def timed(label: str, step: Callable[[], Any], results: list[tuple[str, float]]) -> Any:
    started = time.perf_counter()
    value = step()
    results.append((label, time.perf_counter() - started))
    return value


def run(name: str, facts: NetworkFacts, target: float) -> None:
    limits = Thresholds()
    results: list[tuple[str, float]] = []
    graph = timed("build graph", lambda: build_graph(facts), results)
    found = timed("bridges + articulation points", lambda: single_points_of_failure(graph), results)
    found += timed("dried-up flows (Poisson)", lambda: dried_up_flows(facts, limits), results)
    found += timed("agreements", lambda: agreement_gaps(facts, limits), results)
    found += timed("coverage gaps", lambda: coverage_gaps(facts, limits), results)
    found += timed("weak ties", lambda: weak_ties(graph, limits), results)
    timed("most severe first", lambda: found.sort(key=by_severity), results)
    total = sum(seconds for _, seconds in results)
    print(
        f"\n{name}: {len(facts.teams)} teams, {len(facts.partners)} partners, "
        f"{graph.number_of_edges()} edges -> {len(found)} weak links"
    )
    for label, seconds in results:
        print(f"  {label:<32} {seconds:8.3f} s  {100 * seconds / total:5.1f}%")
    print(f"  {'total':<32} {total:8.3f} s   (target of issue 8: under {target:g} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=400)
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--edges", type=int, default=500_000)
    args = parser.parse_args()
    run("Haarlem-sized", synthetic(9, 40, 250), target=0.1)
    run("national", synthetic(args.teams, args.partners, args.edges), target=10)


if __name__ == "__main__":
    main()
