"""The two references the HTTP intake benchmark measures the hub against, each as its own process:

    python benchmarks/reference_servers.py bare --port 8001
    python benchmarks/reference_servers.py naive --port 8002 --dsn postgresql://...

bare:  aiohttp that parses the JSON body and answers 202; no validation, no database.
naive: the straightforward durable service that stores what the hub stores: pydantic
       validation of the signal, then one transaction per request through an asyncpg pool (as
       many connections as the hub's) that writes the same rows as the hub, with the hub's own
       `store_signals` (the signal, its household, the case it joins or opens, the events, the
       feedback deadlines, the partner's receipt and the team's notice). No group commit, no
       middleware, no access log. Needs the database prepared as the hub's (`bench_db`), the
       partner's id and HUB_KEYS.
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path
from uuid import UUID

import asyncpg
from aiohttp import web
from pydantic import ValidationError

from hub.directory.models import Partner
from hub.directory.store.partners import partner_by_id
from hub.intake.service import Submitted, store_signals
from hub.platform.db import create_pool
from hub.privacy.crypto import load_keyring, use_keyring
from schemas.signals import SignalIn


def bare_app() -> web.Application:
    async def post(request: web.Request) -> web.Response:
        body = json.loads(await request.read())
        return web.json_response({"external_ref": body.get("external_ref")}, status=202)

    app = web.Application()
    app.router.add_post("/api/v1/signals", post)
    return app


def naive_app(dsn: str, partner_id: UUID) -> web.Application:
    pool_key = web.AppKey("pool", asyncpg.Pool)
    partner_key = web.AppKey("partner", Partner)

    async def database(app: web.Application):  # type: ignore[no-untyped-def]
        use_keyring(load_keyring(os.environ["HUB_KEYS"], Path("unused"), create=False))
        app[pool_key] = await create_pool(dsn, min_size=10, max_size=10)
        async with app[pool_key].acquire() as conn:
            partner = await partner_by_id(conn, partner_id)
        if partner is None:
            raise SystemExit(f"no partner {partner_id} in the database")
        app[partner_key] = partner
        yield
        await app[pool_key].close()

    async def post(request: web.Request) -> web.Response:
        try:
            signal = SignalIn.model_validate_json(await request.read())
        except ValidationError:
            return web.json_response({"title": "invalid"}, status=422)
        async with request.app[pool_key].acquire() as conn, conn.transaction():
            (result,) = await store_signals(conn, request.app[partner_key], [signal])
        if not isinstance(result, Submitted):
            return web.json_response({"title": "refused"}, status=422)
        return web.Response(
            body=result.receipt.model_dump_json(), status=202, content_type="application/json"
        )

    app = web.Application()
    app.cleanup_ctx.append(database)
    app.router.add_post("/api/v1/signals", post)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("kind", choices=["bare", "naive"])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--dsn")
    parser.add_argument("--partner", type=UUID)
    args = parser.parse_args()
    app = bare_app() if args.kind == "bare" else naive_app(args.dsn, args.partner)
    web.run_app(app, host="127.0.0.1", port=args.port, access_log=None, print=None, backlog=2048)


if __name__ == "__main__":
    main()
