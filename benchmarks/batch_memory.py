"""The largest CSV batch the hub takes, uploaded to `hub serve` and processed there, with the
serving process's memory sampled every 50 ms: issue 19's target is under 200 MB RSS through a
maximum-size batch. Prints the peak, how long the batch took, and the rows a second.

    python benchmarks/batch_memory.py [--megabytes 20]

The file is a housing corporation's rent-arrears list (the shape of batch_intake.py's) cut to
just fit `HUB_MAX_BATCH_BYTES` (20 MiB by default: about 330,000 rows). Embedded PostgreSQL in a
temporary directory, or HUB_BENCH_DATABASE_URL. Loopback only. Asserts nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import tempfile
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path

from batch_intake import make_file  # benchmarks/, beside this script
from bench_db import demo_database
from http_intake import HUB, PeakMemory, free_port, wait_listening

from hub.directory.models import TokenKind
from hub.directory.tokens import issue_token
from hub.platform.db import embedded_postgres, with_database
from schemas.signals import PartnerKind

ROW_BYTES = 45  # at least, in make_file's rows


def largest_file(limit: int) -> bytes:
    """make_file's rows, as many as fit in `limit` bytes."""
    data = make_file(limit // ROW_BYTES + 1000)
    return data[: limit - 2].rsplit(b"\r\n", 1)[0] + b"\r\n"


async def prepare(server: str) -> tuple[str, str, str]:
    """A database (its DSN), its keyring (JSON) and a housing corporation's token."""
    name, pool, partner, keys = await demo_database(
        server, "Benchmark corporation", PartnerKind.HOUSING
    )
    try:
        async with pool.acquire() as conn:
            token = await issue_token(conn, TokenKind.PARTNER, partner)
    finally:
        await pool.close()
    return with_database(server, name), keys.to_json(), token


def request(port: int, token: str, method: str, path: str, data: bytes | None = None) -> dict:
    sent = urllib.request.Request(
        f"http://127.0.0.1:{port}{path}",
        data=data,
        method=method,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "text/csv"},
    )
    with urllib.request.urlopen(sent, timeout=120) as answer:  # noqa: S310 - loopback only
        return dict(json.loads(answer.read()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--megabytes", type=float, default=20)
    args = parser.parse_args()
    limit = int(args.megabytes * 1024 * 1024)
    data = largest_file(limit)
    rows = data.count(b"\r\n") - 1
    with ExitStack() as stack:
        work = Path(stack.enter_context(tempfile.TemporaryDirectory()))
        server = os.environ.get("HUB_BENCH_DATABASE_URL") or stack.enter_context(
            embedded_postgres(work / "pg")
        )
        dsn, keys, token = asyncio.run(prepare(server))
        port = free_port()
        env = {
            **os.environ,
            "DATABASE_URL": dsn,
            "HUB_KEYS": keys,
            "HUB_SCHEDULER": "false",
            "HUB_MAX_BATCH_BYTES": str(limit),
        }
        with (work / "hub.log").open("wb") as log:
            process = subprocess.Popen(
                [HUB, "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            wait_listening(port, process)
            idle = PeakMemory(process.pid, every=0.05)
            with idle:
                time.sleep(1)
            started = time.perf_counter()
            with PeakMemory(process.pid, every=0.05) as receiving:
                batch = request(port, token, "POST", "/api/v1/batches", data)
            with PeakMemory(process.pid, every=0.05) as processing:
                while batch["status"] == "pending":
                    time.sleep(0.2)
                    batch = request(port, token, "GET", f"/api/v1/batches/{batch['id']}")
            seconds = time.perf_counter() - started
        finally:
            process.terminate()
            process.wait(30)
    counts = batch.get("counts") or {}
    print(f"file: {len(data) / 2**20:.1f} MiB, {rows} rows; batch {batch['status']}: {counts}")
    print(f"processed in {seconds:.1f} s: {rows / seconds:.0f} rows/s")
    print(
        f"hub RSS: {idle.peak / 2**20:.0f} MB idle, peak {receiving.peak / 2**20:.0f} MB "
        f"while the upload was received, {processing.peak / 2**20:.0f} MB while it was processed"
    )
    print("(target of issue 19: under 200 MB through a maximum-size batch)")


if __name__ == "__main__":
    main()
