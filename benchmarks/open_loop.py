"""An open-loop load generator: signals at a steady rate whatever the answers, as partners send
them (a GP practice does not wait for another practice's answer before it sends).

    python benchmarks/open_loop.py --port 8080 --token T --rate 200 --seconds 20

Request i is due at start + i / rate and is sent then, on a connection of its own if every
other one is busy; its latency counts from when it was due, not from when it left, so a server
that falls behind shows it (no coordinated omission). Prints one line of JSON: requests sent,
answered 2xx, other answers, errors, the rate achieved, and p50, p99 and the maximum in ms.
Loopback only: the port is on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid

import aiohttp


def body(run: str, i: int) -> bytes:
    """~1 KB, a household of its own per request (as in the wrk script of http_intake.py)."""
    return json.dumps(
        {
            "external_ref": f"O-{run}-{i}",
            "kind": "care_concern",
            "urgency": "normal",
            "address": {"postcode": "2034AB", "house_number": (i % 99999) + 1},
            "person": {"name": "J. de Vries", "birth_date": "1980-04-02"},
            "resident_informed": {"informed": True},
            "description": "Mist sinds drie maanden afspraken en noemt geldzorgen. Buren maken "
            "zich zorgen over de situatie in huis en de kinderen. Graag contact opnemen met de "
            "praktijk voor overleg over de beste aanpak van deze situatie, liefst nog deze "
            "week, omdat de situatie lijkt te verslechteren.",
        }
    ).encode()


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def run(port: int, token: str, rate: float, seconds: float, path: str) -> dict[str, float]:
    url = f"http://127.0.0.1:{port}{path}"
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
    name = uuid.uuid4().hex[:8]
    latencies: list[float] = []
    counts = {"ok": 0, "other": 0, "errors": 0}
    total = int(rate * seconds)
    connector = aiohttp.TCPConnector(limit=0)  # no cap: an open loop never waits for a slot
    async with aiohttp.ClientSession(connector=connector) as session:

        async def send(i: int, due: float) -> None:
            try:
                async with session.post(url, data=body(name, i), headers=headers) as answer:
                    await answer.read()
                    counts["ok" if answer.status < 300 else "other"] += 1
            except aiohttp.ClientError:
                counts["errors"] += 1
            latencies.append(time.perf_counter() - due)

        start = time.perf_counter() + 0.1
        tasks = []
        for i in range(total):
            due = start + i / rate
            pause = due - time.perf_counter()
            if pause > 0:
                await asyncio.sleep(pause)
            tasks.append(asyncio.create_task(send(i, due)))
        await asyncio.gather(*tasks)
        elapsed = time.perf_counter() - start
    return {
        "sent": total,
        "ok": counts["ok"],
        "other": counts["other"],
        "errors": counts["errors"],
        "rate": total / elapsed,
        "p50_ms": 1000 * percentile(latencies, 0.50),
        "p99_ms": 1000 * percentile(latencies, 0.99),
        "max_ms": 1000 * max(latencies, default=float("nan")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", default="")
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--path", default="/api/v1/signals")
    args = parser.parse_args()
    figures = asyncio.run(run(args.port, args.token, args.rate, args.seconds, args.path))
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
