"""The two references the HTTP intake benchmark measures the hub against, each as its own process:

    python benchmarks/reference_servers.py bare --port 8001
    python benchmarks/reference_servers.py naive --port 8002 --dsn postgresql://...

bare:  aiohttp that parses the JSON body and answers 202; no validation, no database.
naive: pydantic validation of the signal, then one INSERT and commit per request through an
       asyncpg pool: the straightforward durable service.
"""

from __future__ import annotations

import argparse
import json
import uuid

import asyncpg
from aiohttp import web
from pydantic import ValidationError

from schemas.signals import SignalIn


def bare_app() -> web.Application:
    async def post(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        return web.json_response({"external_ref": body.get("external_ref")}, status=202)

    app = web.Application()
    app.router.add_post("/api/v1/signals", post)
    return app


def naive_app(dsn: str) -> web.Application:
    pool_key = web.AppKey("pool", asyncpg.Pool)

    async def database(app: web.Application):  # type: ignore[no-untyped-def]
        app[pool_key] = await asyncpg.create_pool(dsn, min_size=10, max_size=10)
        async with app[pool_key].acquire() as conn:
            await conn.execute(
                "create table if not exists naive_signals (id uuid primary key, "
                "external_ref text unique not null, body jsonb not null, "
                "received_at timestamptz not null default now())"
            )
        yield
        await app[pool_key].close()

    async def post(request: web.Request) -> web.Response:
        try:
            signal = SignalIn.model_validate_json(await request.read())
        except ValidationError:
            return web.json_response({"title": "invalid"}, status=422)
        signal_id = uuid.uuid4()
        async with request.app[pool_key].acquire() as conn:
            await conn.execute(
                "insert into naive_signals (id, external_ref, body) values ($1, $2, $3)",
                signal_id,
                signal.external_ref,
                signal.model_dump_json(),
            )
        return web.json_response({"id": str(signal_id)}, status=202)

    app = web.Application()
    app.cleanup_ctx.append(database)
    app.router.add_post("/api/v1/signals", post)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["bare", "naive"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn")
    args = parser.parse_args()
    app = bare_app() if args.kind == "bare" else naive_app(args.dsn)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None, backlog=2048)


if __name__ == "__main__":
    main()
