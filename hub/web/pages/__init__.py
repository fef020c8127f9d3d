"""The Dutch pages: login, partners' signal form and signals, a team's inbox and cases, the
coordinator's queue, and managers' figures. Plain HTML forms that work without JavaScript."""

from __future__ import annotations

from aiohttp import web

from hub.web.pages import (
    agreements,
    compliance,
    coordinator,
    inbox,
    login,
    network,
    partner,
    satisfaction,
    sso,
    survey,
    surveys,
    teams,
)


def routes() -> list[web.RouteDef]:
    """Every page route."""
    found: list[web.RouteDef] = []
    for module in (
        login,
        sso,
        partner,
        inbox,
        coordinator,
        compliance,
        agreements,
        network,
        teams,
        satisfaction,
        surveys,
        survey,
    ):
        found.extend(route for route in module.routes if isinstance(route, web.RouteDef))
    return found
