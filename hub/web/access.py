"""Who may do what: one access matrix for every route, enforced by one middleware
(`hub.web.middlewares.access_control`).

Every request is first tied to a principal (an API token, a personal token or a page session,
else anonymous) with one role. The route's entry in `MATRIX` says which roles may use it; a
route missing from the matrix is refused for everyone. Handlers then scope what they read to
the principal (a partner sees its own signals, a team its own cases): another party's resource
answers 404, as if it did not exist.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from aiohttp import web

from hub.directory.accounts import session_for
from hub.directory.models import Partner, Session, User
from hub.directory.service import identify_token
from hub.directory.tokens import token_digest
from hub.platform.errors import Forbidden, NotFound, Unauthorized
from hub.web.appkeys import POOL, SETTINGS
from hub.web.problems import PageError
from hub.web.tokens import TokenCache

ANONYMOUS: Final = "anonymous"
PARTNER_TOKEN: Final = "partner_token"  # noqa: S105 - a role: a partner's system, by API token
PARTNER: Final = "partner"  # a person at a partner, on the pages
MEMBER: Final = "member"
LEAD: Final = "lead"
COORDINATOR: Final = "coordinator"
MANAGER: Final = "manager"
ADMIN: Final = "admin"  # an administrator in person (session or personal token)
# An administrator's machine token: deliveries and figures, never residents' data, so that every
# read of personal data names the person who did it.
ADMIN_TOKEN: Final = "admin_token"  # noqa: S105 - a role, not a secret

ROLES: Final = (
    ANONYMOUS,
    PARTNER_TOKEN,
    PARTNER,
    MEMBER,
    LEAD,
    COORDINATOR,
    MANAGER,
    ADMIN,
    ADMIN_TOKEN,
)
EVERYONE = frozenset(ROLES)
PEOPLE = frozenset({PARTNER, MEMBER, LEAD, COORDINATOR, MANAGER, ADMIN})
TEAM = frozenset({MEMBER, LEAD})
MANAGING = frozenset({MANAGER, ADMIN, ADMIN_TOKEN})


def _only(*roles: str) -> frozenset[str]:
    return frozenset(roles)


# (method, route) -> the roles that may use it. HEAD follows GET. Nothing else is allowed.
MATRIX: Final[Mapping[tuple[str, str], frozenset[str]]] = {
    # Open to all: health, the API description, login, static files.
    ("GET", "/healthz"): EVERYONE,
    ("GET", "/readyz"): EVERYONE,
    ("GET", "/metrics"): EVERYONE,  # counts only; HUB_METRICS_TOKEN guards it
    ("GET", "/api/v1/openapi.json"): EVERYONE,
    ("GET", "/fhir/metadata"): EVERYONE,
    ("GET", "/static"): EVERYONE,
    ("GET", "/"): EVERYONE,
    ("GET", "/inloggen"): EVERYONE,
    ("POST", "/inloggen"): EVERYONE,
    ("GET", "/inloggen/sso"): EVERYONE,
    ("GET", "/inloggen/sso/terug"): EVERYONE,
    ("POST", "/uitloggen"): PEOPLE,
    # A partner answering the partner survey through its personal link, without a login: the
    # link's secret token is the key (double-submit CSRF cookie, rate-limited per address).
    ("GET", "/enquete/{token}"): EVERYONE,
    ("POST", "/enquete/{token}"): EVERYONE,
    ("POST", "/enquete/{token}/intrekken"): EVERYONE,
    # Partners' systems: signals in, receipts and status back.
    ("POST", "/api/v1/signals"): _only(PARTNER_TOKEN),
    ("GET", "/api/v1/signals/{id}"): _only(PARTNER_TOKEN),
    ("POST", "/api/v1/signals/{id}/withdrawal"): _only(PARTNER_TOKEN),
    ("POST", "/api/v1/batches"): _only(PARTNER_TOKEN),
    ("GET", "/api/v1/batches/{id}"): _only(PARTNER_TOKEN),
    ("POST", "/fhir"): _only(PARTNER_TOKEN),
    ("POST", "/fhir/ServiceRequest"): _only(PARTNER_TOKEN),
    ("POST", "/fhir/Bundle"): _only(PARTNER_TOKEN),
    ("GET", "/fhir/Task/{id}"): _only(PARTNER_TOKEN),
    ("GET", "/fhir/Task"): _only(PARTNER_TOKEN),
    # A partner's own referrals as it sent them (personal data: each read in the access log).
    ("GET", "/fhir/ServiceRequest"): _only(PARTNER_TOKEN),
    ("GET", "/fhir/ServiceRequest/{id}"): _only(PARTNER_TOKEN),
    ("GET", "/fhir/ServiceRequest/{id}/_history/{vid}"): _only(PARTNER_TOKEN),
    ("PUT", "/fhir/ServiceRequest/{id}"): _only(PARTNER_TOKEN),
    # People at partners: the signal form and their own signals.
    ("GET", "/signalen"): _only(PARTNER),
    ("GET", "/signalen/nieuw"): _only(PARTNER),
    ("POST", "/signalen/nieuw"): _only(PARTNER),
    ("GET", "/signalen/{id}"): _only(PARTNER),
    # District teams: their own team's cases.
    ("GET", "/api/v1/cases"): TEAM,
    ("GET", "/api/v1/cases/counts"): TEAM,
    ("GET", "/api/v1/cases/{id}"): TEAM,
    ("POST", "/api/v1/cases/{id}/actions"): TEAM,
    ("GET", "/inbox"): TEAM,
    ("GET", "/inbox/zaken/{id}"): TEAM,
    ("POST", "/inbox/zaken/{id}/acties"): TEAM,
    ("POST", "/inbox/lijsten"): TEAM,
    ("POST", "/inbox/lijsten/{id}/weg"): TEAM,
    # The coordinator: what no routing rule covers.
    ("GET", "/coordinator"): _only(COORDINATOR),
    ("POST", "/coordinator/signalen/{id}"): _only(COORDINATOR),
    ("POST", "/coordinator/signalen/{id}/buiten-werkgebied"): _only(COORDINATOR),
    # Managers: figures and the network, never a resident.
    ("GET", "/api/v1/metrics/feedback"): MANAGING,
    ("GET", "/api/v1/network"): MANAGING,
    ("GET", "/api/v1/metrics/teams"): MANAGING,
    ("GET", "/beheer/terugkoppeling"): MANAGING,
    ("GET", "/beheer/teams"): MANAGING,
    ("GET", "/beheer/netwerk"): MANAGING,
    # The partner survey's results: aggregates of at least five partners, never one partner.
    ("GET", "/api/v1/surveys"): MANAGING,
    ("GET", "/api/v1/surveys/{id}/results"): MANAGING,
    ("GET", "/beheer/tevredenheid"): MANAGING,
    # Administrators: agreements and deliveries; residents' data (a team's signals, who looked at
    # a household) only in person.
    ("GET", "/beheer/afspraken"): _only(ADMIN),
    ("POST", "/beheer/afspraken"): _only(ADMIN),
    ("GET", "/beheer/afspraken/{id}"): _only(ADMIN),
    ("POST", "/beheer/afspraken/{id}"): _only(ADMIN),
    ("POST", "/beheer/afspraken/{id}/beeindigen"): _only(ADMIN),
    # The partner survey: its statements, and starting one.
    ("GET", "/beheer/enquetes"): _only(ADMIN),
    ("POST", "/beheer/enquetes"): _only(ADMIN),
    ("POST", "/beheer/enquetes/stellingen"): _only(ADMIN),
    ("POST", "/beheer/enquetes/stellingen/{id}"): _only(ADMIN),
    ("GET", "/api/v1/teams/{code}/signals"): _only(ADMIN),
    # Names residents' addresses: an administrator in person (a session or personal token, not
    # the machine admin token, which reads no resident's data), every read in the access log.
    ("GET", "/api/v1/reports/ddas"): _only(ADMIN),
    ("GET", "/api/v1/admin/deliveries"): _only(ADMIN, ADMIN_TOKEN),
    ("POST", "/api/v1/admin/deliveries/{id}/retry"): _only(ADMIN, ADMIN_TOKEN),
    ("GET", "/api/v1/admin/access-log"): _only(ADMIN),
}


def allowed_roles(method: str, route: str) -> frozenset[str]:
    """The roles that may use `method route`; empty for what the matrix does not name."""
    return MATRIX.get(("GET" if method == "HEAD" else method, route), frozenset())


@dataclass(frozen=True)
class Principal:
    """Who is asking, and as what. `actor` is how they appear in logs: ids, never names."""

    role: str
    actor: str
    partner: Partner | None = None
    user: User | None = None
    session: Session | None = None


NOBODY = Principal(ANONYMOUS, "anonymous")
TOKENS = web.AppKey("tokens", TokenCache[Principal])
PRINCIPAL = web.RequestKey("principal", Principal)
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def is_api(request: web.Request) -> bool:
    path = request.path
    return path.startswith("/api/") or path == "/fhir" or path.startswith("/fhir/")


async def _principal_of_token(request: web.Request, token: str) -> Principal:
    found = await identify_token(request.app[POOL], token)
    if found is None:
        raise Unauthorized("the token is unknown or revoked")
    caller, user = found
    if user is not None:
        return Principal(user.role, caller.actor, partner=user.partner, user=user)
    if caller.partner is not None:
        return Principal(PARTNER_TOKEN, caller.actor, partner=caller.partner)
    return Principal(ADMIN_TOKEN, caller.actor)


async def identify(request: web.Request) -> Principal:
    """Who is asking: a bearer token's owner, a page session's person, or nobody."""
    pool = request.app[POOL]
    header = request.headers.get("Authorization")
    if header is not None:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("send the token as 'Authorization: Bearer <token>'")
        digest = token_digest(token.strip())
        known = request.app[TOKENS].get(digest)
        if known is not None:
            return known
        principal = await _principal_of_token(request, token.strip())
        request.app[TOKENS].put(digest, principal)
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    idle = timedelta(minutes=request.app[SETTINGS].session_idle_minutes)
    session = await session_for(pool, cookie, idle) if cookie else None
    if session is None:
        return NOBODY
    user = session.user
    return Principal(user.role, f"user:{user.id}", partner=user.partner, user=user, session=session)


SESSION_COOKIE = "hub_session"


async def check_csrf(request: web.Request, session: Session) -> None:
    """A changing request in a session carries the session's CSRF token (form field or header)."""
    given = request.headers.get("X-CSRF-Token")
    if given is None and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        value = (await request.post()).get("csrf_token")
        given = value if isinstance(value, str) else None
    if given is not None and secrets.compare_digest(given, session.csrf_token):
        return
    if is_api(request):
        raise Forbidden("send the session's CSRF token as X-CSRF-Token")
    raise PageError(
        403,
        "Het formulier is verlopen of niet van deze site. Laad de pagina opnieuw en probeer "
        "het nog eens.",
    )


def refusal(
    request: web.Request, principal: Principal, route: str, roles: frozenset[str]
) -> Exception:
    """Anonymous callers are asked to log in. Others learn nothing they may not know: a page or
    a resource (a path with an {id}) not for them answers 404, as if it did not exist; an API
    operation not for their role answers 403 with the reason."""
    api = is_api(request)
    if roles and principal.role == ANONYMOUS:
        if api:
            return Unauthorized("send a token as 'Authorization: Bearer <token>'")
        return web.HTTPSeeOther("/inloggen")
    if not api:
        return PageError(404, "Deze pagina bestaat niet, of is niet voor u.")
    if not roles or "{id}" in route:
        return NotFound("no such resource")
    return Forbidden(f"a caller with role {principal.role} may not do this")


def principal_of(request: web.Request) -> Principal:
    principal: Principal = request.get(PRINCIPAL, NOBODY)
    return principal


def partner_of(request: web.Request) -> Partner:
    """The partner behind the request (the matrix has let only partners through)."""
    partner = principal_of(request).partner
    if partner is None:
        raise Forbidden("only a partner can do this")
    return partner


def user_of(request: web.Request) -> User:
    user = principal_of(request).user
    if user is None:
        raise Forbidden("only a person's own token or session can do this")
    return user


def session_of(request: web.Request) -> Session:
    """The page session; a page asked for with a token instead goes to the login page."""
    session = principal_of(request).session
    if session is None:
        raise web.HTTPSeeOther("/inloggen")
    return session
