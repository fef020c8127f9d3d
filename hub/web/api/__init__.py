"""The API: partners' signals, batches and FHIR referrals in; teams' cases; managers' figures;
administrators' deliveries and access log; health and the OpenAPI document."""

from __future__ import annotations

from aiohttp import web

from hub.web.api import (
    admin,
    batches,
    cases,
    fhir,
    health,
    network,
    openapi,
    reports,
    signals,
    surveys,
)


def routes() -> list[web.RouteDef]:
    """Every API route."""
    found: list[web.RouteDef] = []
    for module in (
        health,
        openapi,
        signals,
        batches,
        cases,
        reports,
        network,
        surveys,
        admin,
        fhir,
    ):
        found.extend(route for route in module.routes if isinstance(route, web.RouteDef))
    return found
