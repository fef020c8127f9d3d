"""The partner network as data: node-link JSON with its weak links, GraphML or GEXF."""

from __future__ import annotations

import asyncio

from aiohttp import web

from hub.network.service import export, network, node_link, query_from
from hub.platform.clock import today
from hub.platform.errors import InvalidFields
from hub.surveys.results import verdict_facts
from hub.web.api.common import plain_json
from hub.web.appkeys import POOL

routes = web.RouteTableDef()


@routes.get("/api/v1/network")
async def network_api(request: web.Request) -> web.Response:
    query = query_from(request.query)
    fmt = request.query.get("format", "json")
    if fmt not in ("json", "graphml", "gexf"):
        message = "format is json, graphml or gexf"
        raise InvalidFields(message, errors=[{"loc": ["format"], "msg": message}])
    pool = request.app[POOL]
    analysis = await network(pool, query, await verdict_facts(pool, query, today()))
    if fmt == "json":
        return plain_json(node_link(analysis, query))
    text = await asyncio.to_thread(export, analysis, fmt)
    return web.Response(
        text=text,
        content_type="application/xml",
        headers={"Content-Disposition": f'attachment; filename="netwerk.{fmt}"'},
    )
