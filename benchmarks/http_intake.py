"""Durable intake over HTTP: the hub's POST /api/v1/signals (202 only after commit) beside two
references measured in the same run on the same machine: a bare aiohttp server that parses the
JSON and answers, and a naive durable service that stores the same rows as the hub, in one
transaction per request (benchmarks/reference_servers.py). Then each durable server at a steady
rate, open loop (benchmarks/open_loop.py).

    python benchmarks/http_intake.py [--seconds 15] [--connections 64] [--rate 200]

Needs `wrk` (apt-get install wrk). Uses an embedded PostgreSQL in a temporary directory, or
HUB_BENCH_DATABASE_URL (a server where it may create databases). Each server is its own process;
wrk runs with 2 threads and ~1 KB signal bodies, each with a fresh external_ref and (within a
run) a household of its own: a burst like a corporation's monthly list. Prints
requests/s, p99 and the ratios the issue sets as targets; asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
import uuid
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import cast

import psutil
from bench_db import demo_database, seed_history  # benchmarks/, beside this script

from hub.directory.models import TokenKind
from hub.directory.tokens import issue_token
from hub.platform.db import embedded_postgres, with_database
from schemas.signals import PartnerKind

HERE = Path(__file__).parent
HUB = shutil.which("hub") or str(Path(sys.executable).with_name("hub"))
LUA = r"""
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local counter = 0
local run = os.getenv("RUN")
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer " .. os.getenv("TOKEN")
request = function()
  counter = counter + 1
  local body = string.format('{"external_ref":"B-%s-%d-%d","kind":"care_concern",'
    .. '"urgency":"normal","address":{"postcode":"2034AB","house_number":%d},'
    .. '"person":{"name":"J. de Vries","birth_date":"1980-04-02"},'
    .. '"resident_informed":{"informed":true},"description":"Mist sinds drie maanden '
    .. 'afspraken en noemt geldzorgen. Buren maken zich zorgen over de situatie in huis en de '
    .. 'kinderen. Graag contact opnemen met de praktijk voor overleg over de beste aanpak van '
    .. 'deze situatie, liefst nog deze week, omdat de situatie lijkt te verslechteren."}',
    run, tid, counter, ((counter + tid * 50000) % 99999) + 1)
  return wrk.format(nil, "/api/v1/signals", nil, body)
end
"""


HUB_LABEL = "hub POST /api/v1/signals"
BARE_LABEL = "bare aiohttp (parse JSON, answer)"
NAIVE_LABEL = "naive (same rows, a transaction a request)"


class PeakMemory:
    """The highest resident set size of a process, sampled every `every` seconds."""

    def __init__(self, pid: int, every: float = 0.5) -> None:
        self._every = every
        self._process = psutil.Process(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self.peak = 0

    def _sample(self) -> None:
        while True:
            with contextlib.suppress(psutil.Error):
                self.peak = max(self.peak, self._process.memory_info().rss)
            if self._stop.wait(self._every):
                return

    def __enter__(self) -> PeakMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_listening(port: int, process: subprocess.Popen[bytes], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"a server exited with {process.returncode} before it listened")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers (the references have no /healthz)
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise SystemExit(f"nothing listens on {port}")


def wrk(port: int, token: str, seconds: int, connections: int, script: Path) -> dict[str, float]:
    env = {**os.environ, "TOKEN": token, "RUN": uuid.uuid4().hex[:8]}
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script)]
    output = subprocess.run(
        [*command, f"http://127.0.0.1:{port}"], env=env, capture_output=True, text=True, check=True
    ).stdout
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p99 = re.search(r"99%\s+([\d.]+)(us|ms|s)", output)
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    failed = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    errors = re.search(r"Socket errors: .*", output)
    return {
        "rate": rate,
        "p99_ms": float(p99.group(1)) * scale[p99.group(2)] if p99 else float("nan"),
        "non_2xx": float(failed.group(1)) if failed else 0.0,
        "socket_errors": 1.0 if errors else 0.0,
    }


@dataclass
class Prepared:
    hub_dsn: str
    hub_keys: str
    token: str
    naive_dsn: str
    naive_keys: str
    naive_partner: str


async def prepare(server: str, history: int) -> Prepared:
    """Two databases prepared alike, each with its own keyring and the same history: one for
    the hub (with its partner's token), one for the naive service (with its partner's id)."""
    hub_db, pool, partner, hub_keys = await demo_database(server, "Benchmark GP", PartnerKind.GP)
    try:
        await seed_history(pool, partner, history)
        async with pool.acquire() as conn:
            token = await issue_token(conn, TokenKind.PARTNER, partner)
    finally:
        await pool.close()
    naive_db, pool, naive, naive_keys = await demo_database(server, "Benchmark GP", PartnerKind.GP)
    try:
        await seed_history(pool, naive, history)
    finally:
        await pool.close()
    return Prepared(
        with_database(server, hub_db),
        hub_keys.to_json(),
        token,
        with_database(server, naive_db),
        naive_keys.to_json(),
        str(naive.id),
    )


def open_loop(port: int, token: str, rate: float, seconds: float) -> dict[str, float]:
    """The open-loop generator as a process of its own (benchmarks/open_loop.py)."""
    output = subprocess.run(
        [
            sys.executable,
            str(HERE / "open_loop.py"),
            "--port",
            str(port),
            "--token",
            token,
            "--rate",
            str(rate),
            "--seconds",
            str(seconds),
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return cast("dict[str, float]", json.loads(output))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument(
        "--history", type=int, default=20000, help="earlier signals in the hub's database"
    )
    parser.add_argument(
        "--hub-only",
        action="store_true",
        help="measure the hub alone (the memory run: --hub-only --seconds 600)",
    )
    parser.add_argument(
        "--rate", type=float, default=200, help="open-loop signals a second (0: no open loop)"
    )
    parser.add_argument("--open-seconds", type=float, default=20)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = os.environ.get("HUB_BENCH_DATABASE_URL") or stack.enter_context(
            embedded_postgres(work / "pg")
        )
        ready = asyncio.run(prepare(server, args.history))
        script = work / "post.lua"
        script.write_text(LUA)
        servers = {
            BARE_LABEL: [
                sys.executable,
                str(HERE / "reference_servers.py"),
                "bare",
            ],
            NAIVE_LABEL: [
                sys.executable,
                str(HERE / "reference_servers.py"),
                "naive",
                "--dsn",
                ready.naive_dsn,
                "--partner",
                ready.naive_partner,
            ],
            HUB_LABEL: [HUB, "serve"],
        }
        env = {
            **os.environ,
            "DATABASE_URL": ready.hub_dsn,
            "HUB_SCHEDULER": "false",
            "HUB_PARTNER_RATE_PER_MINUTE": "1000000000",
            "HUB_PARTNER_RATE_BURST": "1000000000",
            "HUB_MAX_IN_FLIGHT": "100000",
        }
        keys = {NAIVE_LABEL: ready.naive_keys, HUB_LABEL: ready.hub_keys}
        if args.hub_only:
            servers = {label: command for label, command in servers.items() if label == HUB_LABEL}
        results: dict[str, dict[str, float]] = {}
        steady: dict[str, dict[str, float]] = {}
        for label, command in servers.items():
            port = free_port()
            log = (work / f"{len(results)}.log").open("wb")
            process = subprocess.Popen(
                [*command, "--port", str(port)],
                env={**env, "HUB_KEYS": keys.get(label, "")},
                stdout=log,
                stderr=subprocess.STDOUT,
            )
            try:
                wait_listening(port, process)
                wrk(port, ready.token, 2, args.connections, script)  # warm up
                with PeakMemory(process.pid) as memory:
                    results[label] = wrk(port, ready.token, args.seconds, args.connections, script)
                    if label != BARE_LABEL and args.rate:
                        steady[label] = open_loop(port, ready.token, args.rate, args.open_seconds)
                results[label]["peak_rss_mb"] = memory.peak / 2**20
            finally:
                process.terminate()
                process.wait(30)
    print(f"wrk: 2 threads, {args.connections} connections, {args.seconds} s each, ~1 KB bodies")
    for label, figures in results.items():
        print(
            f"  {label:<44} {figures['rate']:9.0f} requests/s   p99 {figures['p99_ms']:7.1f} ms"
            f"   non-2xx {figures['non_2xx']:.0f}   peak RSS {figures['peak_rss_mb']:5.0f} MB"
        )
    hub = results[HUB_LABEL]
    if not args.hub_only:
        bare, naive = results[BARE_LABEL]["rate"], results[NAIVE_LABEL]["rate"]
        print(f"ratio hub / naive: {hub['rate'] / naive:.2f}  (target: >= 2)")
        print(f"ratio hub / bare:  {hub['rate'] / bare:.2f}")
    if steady:
        print(
            f"open loop: {args.rate:g} signals/s for {args.open_seconds:g} s, latency from when due"
        )
        for label, figures in steady.items():
            print(
                f"  {label:<44} {figures['rate']:9.0f} requests/s   p50 {figures['p50_ms']:6.1f} ms"
                f"   p99 {figures['p99_ms']:6.1f} ms   max {figures['max_ms']:6.1f} ms"
                f"   2xx {figures['ok']:.0f}/{figures['sent']:.0f}"
            )
        print(
            f"hub p99 at {args.rate:g}/s: {steady[HUB_LABEL]['p99_ms']:.1f} ms  (target: < 20 ms)"
        )
    print(
        f"hub peak RSS: {hub['peak_rss_mb']:.0f} MB over the run "
        "(target: < 200 MB through a 10-minute run at full load)"
    )


if __name__ == "__main__":
    main()
