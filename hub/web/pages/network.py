"""The managers' network page: the graph drawn on the server as SVG, with its weak links."""

from __future__ import annotations

import asyncio
import math
import re
from datetime import date
from typing import Any
from urllib.parse import urlencode

import networkx as nx
from aiohttp import web

from graphs.weak_links import Analysis, WeakLink, WeakLinkKind
from hub import labels
from hub.directory.service import list_teams
from hub.network.service import earlier_figures, network, query_from
from hub.platform.errors import InvalidFields
from hub.privacy.masking import shown, shown_rate
from hub.web.access import session_of
from hub.web.appkeys import POOL
from hub.web.problems import PageError
from hub.web.render import render
from schemas.signals import PartnerKind

routes = web.RouteTableDef()
COLOURS = {
    "team": (labels.TEAM, "#01689b"),
    PartnerKind.GP.value: (labels.PARTNER_KIND[PartnerKind.GP], "#2e7d32"),
    PartnerKind.HOUSING.value: (labels.PARTNER_KIND[PartnerKind.HOUSING], "#e17000"),
    PartnerKind.POLICE.value: (labels.PARTNER_KIND[PartnerKind.POLICE], "#1a237e"),
    PartnerKind.WORK_INCOME.value: (labels.PARTNER_KIND[PartnerKind.WORK_INCOME], "#8e24aa"),
    PartnerKind.YOUTH.value: (labels.PARTNER_KIND[PartnerKind.YOUTH], "#c2185b"),
    PartnerKind.OTHER.value: (labels.PARTNER_KIND[PartnerKind.OTHER], "#616161"),
}


def anchor(node: str) -> str:
    return "node-" + re.sub(r"[^A-Za-z0-9-]+", "-", node)


def edge_anchor(a: str, b: str) -> str:
    first, second = sorted((a, b))
    return "edge-" + re.sub(r"[^A-Za-z0-9-]+", "-", f"{first}--{second}")


def _earlier(link: WeakLink, earlier: dict[tuple[str, str], tuple[date, dict[str, Any]]]) -> str:
    """How the link looked in the oldest snapshot of the last month, if there is one."""
    if len(link.nodes) != 2:
        return ""
    found = earlier.get((min(link.nodes), max(link.nodes)))
    if found is None:
        return ""
    day, figures = found
    amount = figures.get("count", figures.get("households"))
    if not isinstance(amount, int):
        return ""
    return f"Op {day.strftime('%d-%m-%Y')}: {shown(amount)}"


def link_anchor(link: WeakLink, graph: nx.Graph) -> str:
    """Where in the drawing a weak link is: its edge, or (a flow that dried up to nothing has
    no edge) its last node."""
    if len(link.nodes) == 2 and graph.has_edge(*link.nodes):
        return edge_anchor(*link.nodes)
    return anchor(link.nodes[-1])


def describe(link: WeakLink, graph: nx.Graph) -> str:
    """The weak link in Dutch, with its numbers (small counts masked)."""
    names = [graph.nodes[node]["label"] if node in graph else node for node in link.nodes]
    ev = link.evidence
    match link.kind:
        case WeakLinkKind.BRIDGE:
            lonely = ev.get("lonely_node")
            if isinstance(lonely, str) and lonely.startswith("team:"):
                return f"Enige verbinding: alleen {names[0]} signaleert bij {names[1]}"
            if isinstance(lonely, str) and lonely.startswith("partner:"):
                return f"Enige verbinding: {names[0]} signaleert alleen bij {names[1]}"
            return f"Enige brug: {names[0]} en {names[1]} verbinden twee delen van het netwerk"
        case WeakLinkKind.ARTICULATION_POINT:
            return (
                f"Knooppunt: zonder {names[0]} valt het netwerk in {ev['components_if_lost']} delen"
            )
        case WeakLinkKind.DRIED_UP_FLOW:
            return (
                f"Opgedroogd: {names[0]} naar {names[1]}, van {shown(int(ev['before']))} "
                f"naar {shown(int(ev['now']))} signalen"
            )
        case WeakLinkKind.AGREEMENT_KEPT_POORLY:
            rate = shown_rate(int(ev["on_time"]), int(ev["due"]))
            kept = f"{round(rate * 100)}% op tijd" if rate is not None else "te weinig op tijd"
            return (
                f"Afspraak slecht nagekomen: {names[0]} en {names[1]}, "
                f"{shown(int(ev['on_time']))} van {shown(int(ev['due']))} op tijd ({kept})"
            )
        case WeakLinkKind.NO_AGREEMENT:
            return f"Geen terugkoppelingsafspraak: {names[0]} signaleert bij {names[1]}"
        case WeakLinkKind.COVERAGE_GAP:
            kind = labels.PARTNER_KIND_PLURAL[PartnerKind(str(ev["partner_kind"]))]
            return (
                f"Gat in dekking: {names[0]} krijgt geen signalen van {kind}; "
                f"{ev['comparable_teams_reached']} van {ev['comparable_teams']} vergelijkbare "
                "teams wel"
            )
        case WeakLinkKind.WEAK_TIE:
            return f"Zwakke band: {names[0]} en {names[1]} delen huishoudens maar nauwelijks wijken"
    return link.kind.value


def drawing(analysis: Analysis, width: int = 900, height: int = 620) -> dict[str, Any]:
    """Coordinates for the SVG; the layout is computed here, on the server."""
    graph = analysis.graph
    weak_nodes = {n for link in analysis.weak_links for n in link.nodes}
    weak_edges = {frozenset(link.nodes) for link in analysis.weak_links if len(link.nodes) == 2}
    if graph.number_of_nodes() == 0:
        return {"width": width, "height": height, "nodes": [], "edges": []}
    margin = 40
    connected = [node for node in graph if graph.degree(node) > 0]
    isolated = sorted(node for node in graph if graph.degree(node) == 0)
    spread = 2.5 / math.sqrt(max(len(connected), 1))
    raw = (
        nx.spring_layout(graph.subgraph(connected), seed=7, k=spread, iterations=200)
        if connected
        else {}
    )
    xs = [float(x) for x, _ in raw.values()] or [0.0]
    ys = [float(y) for _, y in raw.values()] or [0.0]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    band = 50 if isolated else 0  # nodes without links in the period stand in a row below
    positions: dict[str, tuple[float, float]] = {
        node: (
            margin + (float(x) - min(xs)) / span_x * (width - 2 * margin),
            margin + (float(y) - min(ys)) / span_y * (height - 2 * margin - band),
        )
        for node, (x, y) in raw.items()
    }
    for index, node in enumerate(isolated):
        step = (width - 2 * margin) / max(len(isolated), 1)
        positions[node] = (margin + step * (index + 0.5), height - margin / 2 - 10)

    def place(node: str) -> tuple[float, float]:
        return positions[node]

    nodes = []
    for node, data in graph.nodes(data=True):
        x, y = place(node)
        total = sum(
            int(graph.edges[node, other].get("count", 0)) for other in graph.neighbors(node)
        )
        nodes.append(
            {
                "id": anchor(node),
                "x": round(x, 1),
                "y": round(y, 1),
                "r": round(6 + min(14, math.sqrt(total)), 1),
                "colour": COLOURS.get(data["kind"], COLOURS["other"])[1],
                "weak": node in weak_nodes,
                "title": f"{data['label']}: {shown(total)} signalen in de periode",
                "short": data["label"].replace("Sociaal Wijkteam ", "")[:22],
            }
        )
    edges = []
    for a, b, data in graph.edges(data=True):
        (x1, y1), (x2, y2) = place(a), place(b)
        amount = int(data.get("count", data.get("households", 0)))
        label_a, label_b = graph.nodes[a]["label"], graph.nodes[b]["label"]
        if data["relation"] == "flow":
            title = (
                f"{label_a} - {label_b}: {shown(amount)} signalen "
                f"(ervoor {shown(int(data['previous']))})"
            )
        else:
            title = f"{label_a} en {label_b}: {shown(amount)} gedeelde huishoudens"
        edges.append(
            {
                "id": edge_anchor(a, b),
                "x1": round(x1, 1),
                "y1": round(y1, 1),
                "x2": round(x2, 1),
                "y2": round(y2, 1),
                "relation": data["relation"],
                "width": round(1 + math.log1p(amount), 1),
                "weak": frozenset((a, b)) in weak_edges,
                "title": title,
            }
        )
    return {"width": width, "height": height, "nodes": nodes, "edges": edges}


@routes.get("/beheer/netwerk")
async def network_page(request: web.Request) -> web.Response:
    session = session_of(request)
    try:
        query = query_from(request.query)
    except InvalidFields:
        raise PageError(
            422, "Kies een geldige periode (van vóór tot, hoogstens een jaar)."
        ) from None
    pool = request.app[POOL]
    analysis = await network(pool, query)
    picture = await asyncio.to_thread(drawing, analysis)
    teams = await list_teams(pool)
    earlier = await earlier_figures(pool, query.end)
    weak = [
        {
            "text": describe(link, analysis.graph),
            "action": labels.WEAK_LINK_ACTION[link.kind],
            "anchor": link_anchor(link, analysis.graph),
            "earlier": _earlier(link, earlier),
        }
        for link in analysis.weak_links
    ]
    params = {k: v for k, v in request.query.items() if k != "format" and v}
    return render(
        request,
        "network.html",
        user=session.user,
        csrf_token=session.csrf_token,
        query=query,
        drawing=picture,
        weak_links=weak,
        legend=COLOURS,
        teams=[(team.code, team.name) for team in teams],
        municipalities=sorted({team.municipality for team in teams}),
        partner_kinds=[(kind.value, labels.PARTNER_KIND_PLURAL[kind]) for kind in PartnerKind],
        export_url="/api/v1/network?" + urlencode(params),
    )
