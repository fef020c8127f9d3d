"""What Prometheus scrapes at /metrics: counts and timings, never anyone's data.

Labels are channels, partner kinds, routing outcomes, job names and route patterns (with `{id}`,
never an id), so no label value can name or point at a resident. Backlogs and overdue obligations
are counted in the database at scrape time, so every instance reports the same truth.
"""

from __future__ import annotations

from collections.abc import Mapping

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

REGISTRY = CollectorRegistry()
SIGNALS = Counter(
    "hub_signals_received",
    "Signals stored (new ones; a replay of a known reference is not counted)",
    ["channel", "partner_kind", "routing"],
    registry=REGISTRY,
)
INTAKE_SECONDS = Histogram(
    "hub_intake_seconds",
    "From a signal's request to its committed receipt",
    ["channel", "partner_kind"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
    registry=REGISTRY,
)
REQUEST_SECONDS = Histogram(
    "hub_http_request_seconds",
    "HTTP requests by route pattern, method and status",
    ["route", "method", "status"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
JOB_RUNS = Counter(
    "hub_job_runs",
    "Scheduled job runs in this process (skipped: another instance held the job's lock)",
    ["job", "result"],
    registry=REGISTRY,
)
JOB_SECONDS = Histogram(
    "hub_job_seconds", "Duration of scheduled job runs", ["job"], registry=REGISTRY
)
OUTBOX_BACKLOG = Gauge(
    "hub_outbox_backlog", "Messages waiting to be delivered", ["outbox"], registry=REGISTRY
)
OUTBOX_FAILING = Gauge(
    "hub_outbox_failing",
    "Messages waiting that failed at least once and will be retried",
    ["outbox"],
    registry=REGISTRY,
)
OUTBOX_DEAD = Gauge(
    "hub_outbox_dead",
    "Messages given up on after the last attempt (dead letters), until retried",
    ["outbox"],
    registry=REGISTRY,
)
OBLIGATIONS_OVERDUE = Gauge(
    "hub_obligations_overdue",
    "Feedback promised to partners and past its due day",
    registry=REGISTRY,
)


def exposition(backlogs: Mapping[str, tuple[int, int, int]], overdue_obligations: int) -> bytes:
    """The text Prometheus scrapes, with the database's figures counted by the caller just now:
    per outbox channel (waiting, failing, dead), and the obligations past their day."""
    for channel, (waiting, failing, dead) in backlogs.items():
        OUTBOX_BACKLOG.labels(channel).set(waiting)
        OUTBOX_FAILING.labels(channel).set(failing)
        OUTBOX_DEAD.labels(channel).set(dead)
    OBLIGATIONS_OVERDUE.set(overdue_obligations)
    return generate_latest(REGISTRY)
