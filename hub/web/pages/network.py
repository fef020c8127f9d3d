"""The managers' network page: the graph drawn on the server as SVG, with its weak links."""

from __future__ import annotations

import asyncio
import math
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any
from urllib.parse import urlencode

import networkx as nx
from aiohttp import web

from graphs.weak_links import Analysis, Direction, WeakLink, WeakLinkKind
from hub import labels
from hub.directory.service import list_teams
from hub.network import report
from hub.network.service import NetworkQuery, earlier_figures, labels_of, network, query_from
from hub.platform.clock import today
from hub.platform.errors import InvalidFields
from hub.privacy.masking import as_number, drawn, shown, shown_rate, shown_total
from hub.surveys.results import verdict_facts
from hub.web.access import session_of
from hub.web.appkeys import POOL, SETTINGS, TEMPLATES
from hub.web.downloads import csv_download, svg_download
from hub.web.problems import PageError
from hub.web.render import render
from schemas.signals import EARLY_DEBT_SENDERS, PartnerKind

routes = web.RouteTableDef()
FILTERS = ("from", "to", "municipality", "partner_kind", "team")
COLOURS = {
    "team": (labels.TEAM, "#01689b"),
    PartnerKind.GP.value: (labels.PARTNER_KIND[PartnerKind.GP], "#2e7d32"),
    PartnerKind.HOUSING.value: (labels.PARTNER_KIND[PartnerKind.HOUSING], "#e17000"),
    PartnerKind.POLICE.value: (labels.PARTNER_KIND[PartnerKind.POLICE], "#1a237e"),
    PartnerKind.WORK_INCOME.value: (labels.PARTNER_KIND[PartnerKind.WORK_INCOME], "#8e24aa"),
    PartnerKind.YOUTH.value: (labels.PARTNER_KIND[PartnerKind.YOUTH], "#c2185b"),
    PartnerKind.OTHER.value: (labels.PARTNER_KIND[PartnerKind.OTHER], "#616161"),
    # Every creditor and collection system of early-debt signalling in one colour.
    **{kind.value: ("schuldeiser (vroegsignalering)", "#795548") for kind in EARLY_DEBT_SENDERS},
}


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


def label_in(graph: nx.Graph) -> Callable[[str], str]:
    """A node's name as the graph has it (the node itself where the graph lacks it)."""
    return lambda node: graph.nodes[node]["label"] if node in graph else node


def describe(link: WeakLink, label: Callable[[str], str]) -> str:
    """The weak link in Dutch, with its numbers (small counts masked)."""
    names = [label(node) for node in link.nodes]
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
            return f"Afspraak slecht nagekomen: {names[0]} en {names[1]}, " + kept_text(
                int(ev["on_time"]), int(ev["due"])
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
        case WeakLinkKind.VERDICT_GAP:
            return verdict_text(link, names)
    return link.kind.value


def verdict_text(link: WeakLink, names: list[str]) -> str:
    """A verdict gap in words: which way, whose verdict, and both shares (where they show)."""
    ev = link.evidence
    kind = str(ev.get("partner_kind") or "")
    way = "lager" if ev.get("direction") == Direction.LOWER.value else "hoger"
    rated = shown_rate(int(ev["agreeing"]), int(ev["answers"]))
    measured = shown_rate(int(ev["on_time"]), int(ev["due"]))
    closed = str(ev.get("survey_closed") or "")
    survey = (
        f" (enquête tot en met {date.fromisoformat(closed).strftime('%d-%m-%Y')})" if closed else ""
    )
    if kind:
        head = f"Oordeel {way} dan gemeten bij {labels.PARTNER_KIND_PLURAL[PartnerKind(kind)]}"
        who, whom = "", " aan hen"
    else:
        head = f"Oordeel {way} dan gemeten over {names[0] if names else 'een team'}"
        who, whom = " van de partners", ""
    if rated is None or measured is None:
        return head + survey
    return (
        f"{head}: {round(100 * rated)}%{who} vindt dat afspraken worden nagekomen, maar "
        f"{round(100 * measured)}% van de terugkoppeling{whom} was op tijd{survey}"
    )


def action_of(link: WeakLink) -> str:
    """What a manager can do about the weak link, in Dutch; a verdict gap's depends on its way."""
    if link.kind is WeakLinkKind.VERDICT_GAP:
        return labels.VERDICT_GAP_ACTION[Direction(str(link.evidence["direction"]))]
    return labels.WEAK_LINK_ACTION[link.kind]


# Text on a node's colour: white where it reads (contrast >= 4.5), else near-black.
ON_COLOUR = {"#e17000": "#1b1b1b"}
HIGHLIGHT = "#1b1b1b"
GAP = 6.0  # at least this much room between two circles


def _spread(values: list[float]) -> list[float]:
    """Coordinates on 0..1: half where the layout put them, half by their rank, so that one
    long chain does not squeeze every other node into a corner of the drawing."""
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    order = sorted(range(len(values)), key=values.__getitem__)
    rank = [0.0] * len(values)
    for place, index in enumerate(order):
        rank[index] = place / max(len(values) - 1, 1)
    return [0.5 * (value - low) / span + 0.5 * rank[i] for i, value in enumerate(values)]


def _separate(
    positions: dict[str, list[float]], radius: dict[str, float], width: int, height: int
) -> None:
    """Push circles apart until none overlaps another (the numbers inside stay readable), and
    keep them inside the drawing. Small networks only: the page draws a region, not a country."""
    nodes = list(positions)
    for _ in range(300):
        moved = False
        for i, a in enumerate(nodes):
            for b in nodes[i + 1 :]:
                (xa, ya), (xb, yb) = positions[a], positions[b]
                dx, dy = xb - xa, yb - ya
                distance = math.hypot(dx, dy)
                need = radius[a] + radius[b] + GAP
                if distance >= need:
                    continue
                if distance < 1e-6:  # on top of each other: part them sideways
                    dx, dy, distance = 1.0, 0.0, 1.0
                push = (need - distance) / 2 + 0.5
                ux, uy = dx / distance, dy / distance
                positions[a] = [xa - ux * push, ya - uy * push]
                positions[b] = [xb + ux * push, yb + uy * push]
                moved = True
        for node in nodes:
            r = radius[node] + 2
            x, y = positions[node]
            positions[node] = [min(max(x, r), width - r), min(max(y, r), height - r)]
        if not moved:
            return


def drawing(
    analysis: Analysis, selected: int | None = None, width: int = 900, height: int = 620
) -> dict[str, Any]:
    """What the SVG draws, computed on the server: numbered circles (the names are in the list
    beside the drawing, so no label is ever cut or laid over another), lines for signal flows,
    dashed lines for shared households, dotted lines for flows that stopped, and the selected
    weak link (1-based `selected`) highlighted with everything else dimmed.

    Drawn are the nodes with a link in the period or a part in a weak link; the others are
    listed as "without signals in this period"."""
    graph = analysis.graph
    links = analysis.weak_links
    weak_nodes = {n for link in links for n in link.nodes}
    weak_edges = {frozenset(link.nodes) for link in links if len(link.nodes) == 2}
    stopped = [
        tuple(link.nodes)
        for link in links
        if link.kind is WeakLinkKind.DRIED_UP_FLOW
        and len(link.nodes) == 2
        and not graph.has_edge(*link.nodes)
    ]
    focus: set[str] = set()
    focus_edges: set[frozenset[str]] = set()
    if selected is not None and 1 <= selected <= len(links):
        chosen = links[selected - 1]
        focus = set(chosen.nodes)
        if len(chosen.nodes) == 2:
            focus_edges = {frozenset(chosen.nodes)}
        elif chosen.kind is WeakLinkKind.ARTICULATION_POINT:  # the node and all it holds
            (hub_node,) = chosen.nodes
            focus_edges = {frozenset((hub_node, n)) for n in graph.neighbors(hub_node)}
            focus |= set(graph.neighbors(hub_node))
    layout = nx.Graph()
    layout.add_edges_from(graph.edges())
    layout.add_edges_from(stopped)
    layout.add_nodes_from(n for n in weak_nodes if n in graph)
    order = sorted(
        graph,
        key=lambda n: (
            graph.nodes[n]["role"] != "team",
            _kind_rank(graph, n),
            graph.nodes[n]["label"].casefold(),
            n,
        ),
    )
    number = {node: index for index, node in enumerate(order, start=1)}
    listed = [
        {
            "number": number[node],
            "name": graph.nodes[node]["label"],
            "kind": _kind_label(graph.nodes[node]["kind"]),
            "colour": _colour(graph.nodes[node]["kind"]),
            "now": node_total(graph, node),
            "drawn": node in layout,
            "weak": node in weak_nodes,
        }
        for node in order
    ]
    empty = {"width": width, "height": height, "nodes": [], "edges": [], "listed": listed}
    if layout.number_of_edges() == 0:
        return empty | {"empty": True}
    margin = 30
    spread = 2.5 / math.sqrt(max(layout.number_of_nodes(), 1))
    raw = nx.spring_layout(layout, seed=7, k=spread, iterations=200)
    spread_x = _spread([float(x) for x, _ in raw.values()])
    spread_y = _spread([float(y) for _, y in raw.values()])
    positions = {
        node: [
            margin + spread_x[index] * (width - 2 * margin),
            margin + spread_y[index] * (height - 2 * margin),
        ]
        for index, node in enumerate(raw)
    }
    radius = {
        node: round(11 + min(11, math.sqrt(as_number(node_total(graph, node)))), 1)
        for node in layout
    }
    _separate(positions, radius, width, height)

    def dim(chosen: bool) -> bool:
        return bool(focus) and not chosen

    nodes = []
    for node in layout:
        x, y = positions[node]
        data = graph.nodes[node]
        colour = _colour(data["kind"])
        nodes.append(
            {
                "number": number[node],
                "name": data["label"],
                "x": round(x, 1),
                "y": round(y, 1),
                "r": radius[node],
                "colour": colour,
                "text": ON_COLOUR.get(colour, "#ffffff"),
                "weak": node in weak_nodes,
                "selected": node in focus,
                "dim": dim(node in focus),
            }
        )
    edges = []
    lines = [(a, b, data) for a, b, data in graph.edges(data=True)]
    lines += [(a, b, {"relation": "stopped"}) for a, b in stopped]
    for a, b, data in lines:
        (x1, y1), (x2, y2) = positions[a], positions[b]
        amount = int(data.get("count", data.get("households", 0)))
        pair = frozenset((a, b))
        edges.append(
            {
                "x1": round(x1, 1),
                "y1": round(y1, 1),
                "x2": round(x2, 1),
                "y2": round(y2, 1),
                "relation": data["relation"],
                # A masked count is drawn as any masked count: the line tells no more.
                "width": round(1.5 + math.log1p(drawn(amount)), 1) if amount else 1.5,
                "weak": pair in weak_edges,
                "selected": pair in focus_edges,
                "dim": dim(pair in focus_edges),
            }
        )
    # Thin lines first, the selected ones last (on top).
    edges.sort(key=lambda edge: (edge["selected"], edge["weak"]))
    return {
        "width": width,
        "height": height,
        "nodes": nodes,
        "edges": edges,
        "listed": listed,
        "empty": False,
    }


def kept_text(on_time: int, due: int) -> str:
    """ "15 van 20 op tijd (75%)", or where that would tell a masked count (a part, or what it
    leaves), the deadlines only."""
    rate = shown_rate(on_time, due)
    if rate is None:
        return f"{shown_total(due, [on_time])} termijnen (het deel op tijd is te klein om te tonen)"
    return f"{shown(on_time)} van {shown(due)} op tijd ({round(rate * 100)}%)"


def node_total(graph: nx.Graph, node: str) -> int | str:
    """A node's signals in the period as shown: beside its links' counts, a total that would
    tell a masked link (the total minus the others) goes to the nearest ten."""
    counts = [
        int(graph.edges[node, other].get("count", 0))
        for other in graph.neighbors(node)
        if graph.edges[node, other]["relation"] == "flow"
    ]
    return shown_total(sum(counts), counts)


def _kind_rank(graph: nx.Graph, node: str) -> int:
    return (
        list(COLOURS).index(graph.nodes[node]["kind"])
        if graph.nodes[node]["kind"] in COLOURS
        else 99
    )


def _colour(kind: str) -> str:
    return COLOURS.get(kind, COLOURS[PartnerKind.OTHER.value])[1]


def _kind_label(kind: str) -> str:
    return COLOURS.get(kind, COLOURS[PartnerKind.OTHER.value])[0]


def evidence(link: WeakLink, graph: nx.Graph | None) -> list[tuple[str, str, str]]:
    """The figures behind a weak link, this period beside the one before: (what, now, before).
    Small counts masked. Without the graph (a link of the nightly report), the link's own
    figures."""
    rows: list[tuple[str, str, str]] = []
    ev = link.evidence
    if graph is None:
        if "signals" in ev:
            rows.append(("Signalen", str(shown(int(ev["signals"]))), ""))
        if "shared_households" in ev:
            rows.append(("Gedeelde huishoudens", str(shown(int(ev["shared_households"]))), ""))
        if link.kind is WeakLinkKind.AGREEMENT_KEPT_POORLY:
            rows.append(
                ("Terugkoppelingen op tijd", kept_text(int(ev["on_time"]), int(ev["due"])), "")
            )
        if link.kind is WeakLinkKind.DRIED_UP_FLOW:
            rows.append(("Signalen", str(shown(int(ev["now"]))), str(shown(int(ev["before"])))))
    elif len(link.nodes) == 2 and graph.has_edge(*link.nodes):
        data = graph.edges[link.nodes]
        if data["relation"] == "flow":
            rows.append(
                ("Signalen", str(shown(int(data["count"]))), str(shown(int(data["previous"]))))
            )
            if int(data.get("due", 0)):
                rows.append(
                    (
                        "Terugkoppelingen op tijd",
                        kept_text(int(data["on_time"]), int(data["due"])),
                        "",
                    )
                )
        else:
            rows.append(("Gedeelde huishoudens", str(shown(int(data["households"]))), ""))
    elif link.kind is WeakLinkKind.DRIED_UP_FLOW:
        rows.append(("Signalen", str(shown(int(ev["now"]))), str(shown(int(ev["before"])))))
    if link.kind is WeakLinkKind.ARTICULATION_POINT:
        rows.append(
            ("Delen van het netwerk zonder dit knooppunt", str(ev["components_if_lost"]), "")
        )
    if link.kind is WeakLinkKind.COVERAGE_GAP:
        rows.append(
            (
                "Vergelijkbare teams die deze partners wel bereiken",
                f"{ev['comparable_teams_reached']} van {ev['comparable_teams']}",
                "",
            )
        )
    if link.kind is WeakLinkKind.VERDICT_GAP:
        rated = shown_rate(int(ev["agreeing"]), int(ev["answers"]))
        rows.append(
            (
                "Partners die vinden dat afspraken worden nagekomen (enquête)",
                f"{round(100 * rated)}% van {shown(int(ev['answers']))}"
                if rated is not None
                else f"{shown(int(ev['answers']))} oordelen",
                "",
            )
        )
        rows.append(
            (
                "Terugkoppelingen op tijd in dezelfde periode",
                kept_text(int(ev["on_time"]), int(ev["due"])),
                "",
            )
        )
        return rows
    if graph is not None and len(link.nodes) == 1 and link.nodes[0] in graph:
        node = link.nodes[0]
        rows.append(("Signalen van en naar dit knooppunt", str(node_total(graph, node)), ""))
    return rows


def svg_key(picture: dict[str, Any], query: Any) -> dict[str, Any]:
    """For the downloaded drawing, which travels without the page: the period and filters on
    top, and below the drawing who each number is, in three columns."""
    columns, row_height, top = 3, 18, picture["height"] + 30
    width = picture["width"] / columns
    listed = [node for node in picture["listed"] if node["drawn"]]
    per_column = -(-len(listed) // columns) if listed else 0
    entries = []
    for index, node in enumerate(listed):
        column, row = divmod(index, per_column)
        name = str(node["name"])
        entries.append(
            {
                "x": round(column * width + 8, 1),
                "y": top + row * row_height,
                "text": f"{node['number']}. " + (name if len(name) <= 44 else name[:43] + "…"),
                "colour": node["colour"],
            }
        )
    filters = ", ".join(
        str(value)
        for value in (
            query.municipality,
            query.team,
            query.partner_kind and query.partner_kind.value,
        )
        if value
    )
    return {
        "title": f"Partnernetwerk {query.start.strftime('%d-%m-%Y')} tot en met "
        f"{query.end.strftime('%d-%m-%Y')}" + (f" ({filters})" if filters else ""),
        "entries": entries,
        "height": top + per_column * row_height + 10,
    }


def link_rows(analysis: Analysis) -> list[dict[str, Any]]:
    """Every line of the drawing as a row of the table beside it (for screen readers and CSV)."""
    graph = analysis.graph
    weak_edges = {frozenset(link.nodes) for link in analysis.weak_links if len(link.nodes) == 2}
    rows = []
    for a, b, data in graph.edges(data=True):
        first, second = sorted((a, b), key=lambda n: graph.nodes[n]["role"] != "partner")
        flow = data["relation"] == "flow"
        rows.append(
            {
                "from": graph.nodes[first]["label"],
                "to": graph.nodes[second]["label"],
                "relation": "signalen" if flow else "gedeelde huishoudens",
                "now": shown(int(data["count"] if flow else data["households"])),
                "before": shown(int(data["previous"])) if flow else "",
                "weak": frozenset((a, b)) in weak_edges,
            }
        )
    rows.sort(key=lambda row: (str(row["from"]).casefold(), str(row["to"]).casefold()))
    return rows


def _selected(raw: str | None, count: int) -> int | None:
    return None if raw is None or raw == "" else _place(raw, count)


def _place(raw: str, count: int) -> int:
    """A weak link's number (1-based) from the address; one not in the list is a 404."""
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= count:
        raise PageError(404, "Deze zwakke schakel staat niet (meer) in deze periode.")
    return int(raw)


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
    # Above this many partners and teams a drawing is no longer readable and its layout takes
    # seconds: the page lists the weak links instead, unfiltered from the nightly report.
    limit = request.app[SETTINGS].network_draw_limit
    if not any(request.query.get(name) for name in FILTERS):
        head = await report.latest(pool)
        if (
            head is not None
            and head.nodes > limit
            and head.day >= today() - timedelta(days=REPORT_FRESH_DAYS)
        ):
            return await large_page(request, head, None)
    analysis = await network(pool, query, await verdict_facts(pool, query, today()))
    if len(analysis.facts.partners) + len(analysis.facts.teams) > limit:
        return await large_page(request, report.head_of(analysis, query), analysis)
    selected = _selected(request.query.get("schakel"), len(analysis.weak_links))
    picture = await asyncio.to_thread(drawing, analysis, selected)
    filters = {k: v for k, v in request.query.items() if k in FILTERS and v}
    here = "/beheer/netwerk?" + urlencode(filters)
    download = request.query.get("download")
    weak = [
        {
            "number": index,
            "text": describe(link, label_in(analysis.graph)),
            "action": action_of(link),
            "href": f"{here}&schakel={index}#gekozen",
            "selected": index == selected,
        }
        for index, link in enumerate(analysis.weak_links, start=1)
    ]
    links = link_rows(analysis)
    if download == "svg":
        svg = (
            request.app[TEMPLATES]
            .get_template("network_svg.html")
            .render(drawing=picture, standalone=True, key=svg_key(picture, query))
        )
        return svg_download("partnernetwerk", svg)
    if download == "knooppunten":
        return csv_download(
            "partnernetwerk-knooppunten",
            ["Nummer", "Naam", "Soort", "Signalen in de periode", "Getekend", "Zwakke schakel"],
            (
                [n["number"], n["name"], n["kind"], n["now"], n["drawn"], n["weak"]]
                for n in picture["listed"]
            ),
        )
    if download == "verbindingen":
        return csv_download(
            "partnernetwerk-verbindingen",
            ["Van", "Naar", "Soort", "Deze periode", "Vorige periode", "Zwakke schakel"],
            ([r["from"], r["to"], r["relation"], r["now"], r["before"], r["weak"]] for r in links),
        )
    if download == "zwakke-schakels":
        return csv_download(
            "partnernetwerk-zwakke-schakels",
            ["Nummer", "Zwakke schakel", "Wat te doen"],
            ([w["number"], w["text"], w["action"]] for w in weak),
        )
    if download is not None:
        raise PageError(404, "Deze download bestaat niet.")
    teams = await list_teams(pool)
    earlier = await earlier_figures(pool, query.end)
    for item, link in zip(weak, analysis.weak_links, strict=True):
        item["earlier"] = _earlier(link, earlier)
    chosen = None
    if selected is not None:
        link = analysis.weak_links[selected - 1]
        chosen = weak[selected - 1] | {"evidence": evidence(link, analysis.graph)}
    params = {k: v for k, v in request.query.items() if k in FILTERS and v}
    return render(
        request,
        "network.html",
        user=session.user,
        csrf_token=session.csrf_token,
        query=query,
        drawing=picture,
        weak_links=weak,
        chosen=chosen,
        links=links,
        legend=list(dict.fromkeys(COLOURS.values())),
        here=here,
        teams=[(team.code, team.name) for team in teams],
        municipalities=sorted({team.municipality for team in teams}),
        partner_kinds=[(kind.value, labels.PARTNER_KIND_PLURAL[kind]) for kind in PartnerKind],
        export_url="/api/v1/network?" + urlencode(params),
    )


# The nightly report serves the unfiltered page until it is this many days old.
REPORT_FRESH_DAYS = 1
PAGE_SIZE = 50


def _page_number(raw: str | None, pages: int) -> int:
    if raw is None or raw == "":
        return 1
    if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= max(pages, 1):
        raise PageError(404, "Deze pagina van de lijst bestaat niet (meer).")
    return int(raw)


async def large_page(
    request: web.Request, head: report.ReportHead, analysis: Analysis | None
) -> web.Response:
    """A network too large to draw: its weak links a page at a time, by kind, with the chosen
    one's figures. From last night's report, or (`analysis`, a filtered view that is still
    large) as computed now. Nothing to download: a country's links would be a file of tens
    of megabytes; the filters give a part that can be drawn and downloaded."""
    session = session_of(request)
    pool = request.app[POOL]
    if request.query.get("download") is not None:
        raise PageError(
            404,
            "Dit netwerk is te groot om te downloaden. Kies een gemeente, team of soort partner.",
        )
    raw_kind = request.query.get("soort") or None
    try:
        kind = WeakLinkKind(raw_kind) if raw_kind else None
    except ValueError:
        raise PageError(404, "Deze soort zwakke schakel bestaat niet.") from None
    total = head.by_kind.get(kind, 0) if kind else head.weak_links
    pages = -(-total // PAGE_SIZE)
    page = _page_number(request.query.get("pagina"), pages)
    offset = (page - 1) * PAGE_SIZE
    labels_now = labels_of(analysis) if analysis is not None else {}
    if analysis is None:
        shown_links = await report.page_of_links(pool, head.day, kind, offset, PAGE_SIZE)
    else:
        numbered = [
            report.ReportLink(place, link, labels_now)
            for place, link in enumerate(analysis.weak_links, start=1)
            if kind is None or link.kind is kind
        ]
        shown_links = numbered[offset : offset + PAGE_SIZE]
    filters = {k: v for k, v in request.query.items() if k in FILTERS and v}
    base = {**filters, **({"soort": kind.value} if kind else {})}

    def address(**changes: str | int) -> str:
        return "/beheer/netwerk?" + urlencode({**base, **changes})

    def text(item: report.ReportLink) -> str:
        return describe(item.link, lambda node: item.labels.get(node, node))

    weak = [
        {
            "number": item.place,
            "text": text(item),
            "action": action_of(item.link),
            "href": address(pagina=page, schakel=item.place) + "#gekozen",
        }
        for item in shown_links
    ]
    chosen = None
    raw_place = request.query.get("schakel")
    if raw_place:
        place = _place(raw_place, head.weak_links)
        if analysis is None:
            item = await report.one_link(pool, head.day, place)
        else:
            link = analysis.weak_links[place - 1]
            item = report.ReportLink(place, link, labels_now)
        if item is None:
            raise PageError(404, "Deze zwakke schakel staat niet (meer) in deze periode.")
        chosen = {
            "number": item.place,
            "text": text(item),
            "action": action_of(item.link),
            "evidence": evidence(item.link, None),
        }
    teams = await list_teams(pool)
    return render(
        request,
        "network_large.html",
        user=session.user,
        query=NetworkQuery(head.period_start, head.period_end)
        if analysis is None
        else query_from(request.query),
        head=head,
        nightly=analysis is None,
        kinds=[
            {
                "label": labels.WEAK_LINK_KIND[each],
                "count": head.by_kind[each],
                "href": address(soort=each.value) if kind is not each else None,
            }
            for each in WeakLinkKind
            if head.by_kind.get(each)
        ],
        all_href=("/beheer/netwerk?" + urlencode(filters)) if kind else None,
        kind_label=labels.WEAK_LINK_KIND[kind] if kind else None,
        weak_links=weak,
        chosen=chosen,
        total=total,
        first=offset + 1,
        last=offset + len(weak),
        previous_href=address(pagina=page - 1) if page > 1 else None,
        next_href=address(pagina=page + 1) if page < pages else None,
        page=page,
        pages=pages,
        teams=[(team.code, team.name) for team in teams],
        municipalities=sorted({team.municipality for team in teams}),
        partner_kinds=[(kind.value, labels.PARTNER_KIND_PLURAL[kind]) for kind in PartnerKind],
    )
