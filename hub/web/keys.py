"""Typed keys for what the application shares between handlers."""

from __future__ import annotations

import asyncio

import asyncpg
import jinja2
from aiohttp import web

from hub.config import Settings
from hub.groupcommit import GroupCommit
from hub.oidc import Provider
from hub.ratelimit import TokenBuckets

SETTINGS = web.AppKey("settings", Settings)
DSN = web.AppKey("dsn", str)
POOL = web.AppKey("pool", asyncpg.Pool)
TASKS = web.AppKey("tasks", set[asyncio.Task[object]])
TEMPLATES = web.AppKey("templates", jinja2.Environment)
LIMITS = web.AppKey("limits", TokenBuckets)
SSO = web.AppKey("sso", Provider)
INTAKE = web.AppKey("intake", GroupCommit)
RUNNING_JOBS = web.AppKey("running_jobs", set[asyncio.Task[object]])
