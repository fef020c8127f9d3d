"""Typed keys for what the application shares between handlers (never `app["..."]` strings)."""

from __future__ import annotations

import asyncio
from collections import Counter
from uuid import UUID

import asyncpg
import jinja2
from aiohttp import web

from hub.directory.oidc import Provider
from hub.directory.throttle import Gate
from hub.intake.groupcommit import GroupCommit
from hub.platform.config import Settings
from hub.platform.ratelimit import TokenBuckets
from hub.platform.workloop import WorkLoop

SETTINGS = web.AppKey("settings", Settings)
DSN = web.AppKey("dsn", str)
POOL = web.AppKey("pool", asyncpg.Pool)
TASKS = web.AppKey("tasks", set[asyncio.Task[object]])
# Per partner, how many of its CSV files are being received now (hub.web.api.batches).
UPLOADS = web.AppKey("uploads", Counter[UUID])
# Long CPU-heavy work (CSV batches) runs on this loop of its own, beside the serving one.
WORK = web.AppKey("work", WorkLoop)
TEMPLATES = web.AppKey("templates", jinja2.Environment)
LIMITS = web.AppKey("limits", TokenBuckets)
SURVEY_LIMITS = web.AppKey("survey_limits", TokenBuckets)  # the survey's page, per address
LOGIN_GATE = web.AppKey("login_gate", Gate)
SSO = web.AppKey("sso", Provider)
INTAKE = web.AppKey("intake", GroupCommit)
