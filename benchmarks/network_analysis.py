"""Weak-link analysis of a synthetic national-scale partner network, timed step by step.

    python benchmarks/network_analysis.py [--teams 400] [--partners 50000] [--edges 500000]

Prints the time of each step of `graphs.weak_links.analyse` and the total, for a Haarlem-sized
network and for the national one; asserts nothing. No database.
"""

from __future__ import annotations

import argparse
import gc
import random
import time
from collections.abc import Callable
from typing import Any

from graphs.network import (
    CoSignal,
    Flow,
    FlowTable,
    NetworkFacts,
    PartnerNode,
    TeamNode,
    build_graph,
)
from graphs.weak_links import (
    Found,
    Thresholds,
    agreement_gaps,
    analyse,
    collector_paused,
    columns,
    coverage_gaps,
    dried_up_flows,
    single_points_of_failure,
    verdict_gaps,
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
    facts.flows = FlowTable.of(flows.values())  # as the query returns them: in arrays
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
    paused = collector_paused()  # as analyse() does
    paused.__enter__()
    table = timed("facts as arrays", lambda: columns(facts), results)
    found = Found(table.names)
    timed("bridges + articulation points", lambda: single_points_of_failure(table, found), results)
    timed("dried-up flows (Poisson)", lambda: dried_up_flows(table, limits, found), results)
    timed("agreements", lambda: agreement_gaps(table, limits, found), results)
    timed("coverage gaps", lambda: coverage_gaps(facts, table, limits, found), results)
    timed("weak ties", lambda: weak_ties(table, limits, found), results)
    timed("verdict gaps", lambda: verdict_gaps(facts, limits, found), results)
    timed("most severe first", found.most_severe_first, results)
    paused.__exit__(None, None, None)
    total = sum(seconds for _, seconds in results)
    print(
        f"\n{name}: {len(facts.teams)} teams, {len(facts.partners)} partners, "
        f"{len(table.edge_row) + len(table.tie_a)} edges -> {len(found)} weak links"
    )
    for label, seconds in results:
        print(f"  {label:<32} {seconds:8.3f} s  {100 * seconds / total:5.1f}%")
    print(f"  {'total':<32} {total:8.3f} s   (target: under {target:g} s)")
    # The same end to end, as the hub calls it (the collector's deferred pass included).
    gc.collect()
    started = time.perf_counter()
    analyse(facts)
    whole = time.perf_counter() - started
    print(f"  {'analyse() end to end':<32} {whole:8.3f} s")
    # For comparison: the networkx graph the page draws and exports from, which the analysis no
    # longer builds (it was 30% of the report).
    started = time.perf_counter()
    graph = build_graph(facts)
    built = time.perf_counter() - started
    print(
        f"  {'(networkx graph, not needed)':<32} {built:8.3f} s   "
        f"{graph.number_of_edges()} edges; the report takes {total / built:.2f}x that"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--teams", type=int, default=400)
    parser.add_argument("--partners", type=int, default=50_000)
    parser.add_argument("--edges", type=int, default=500_000)
    args = parser.parse_args()
    run("Haarlem-sized", synthetic(9, 40, 250), target=0.1)
    run("national", synthetic(args.teams, args.partners, args.edges), target=2)


if __name__ == "__main__":
    main()
