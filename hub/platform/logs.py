"""Logs: one JSON object a line (or plain text for people at a terminal), each with the id of
the request it belongs to. Requests are logged by route pattern (`/api/v1/cases/{id}`), never
by path and query, which could carry a postcode; messages never hold personal data."""

from __future__ import annotations

import json
import logging
import sys
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger
from aiohttp.http_exceptions import HttpProcessingError

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    _encode = json.JSONEncoder(default=str).encode

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None) or REQUEST_ID.get()
        if request_id:
            entry["request_id"] = request_id
        for key, value in vars(record).items():
            if key not in _STANDARD and key != "request_id":
                entry[key] = value
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return self._encode(entry)


def configure(level: int, *, structured: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    if structured:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    # No line records where in the source it was logged, nor threads and processes: the
    # logging HOWTO's optimisations, which cut what an access line costs by a third.
    logging._srcfile = None
    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    handler.addFilter(MalformedRequests())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pgserver").setLevel(logging.WARNING)
    # APScheduler says at INFO each time a job runs (every few seconds): only with -v.
    logging.getLogger("apscheduler").setLevel(level if level <= logging.DEBUG else logging.WARNING)


REQUEST_KEY = web.RequestKey("request_id", str)


def route_of(request: web.BaseRequest) -> str:
    """The request's route pattern, or "unmatched" (no route; or a request so malformed that
    aiohttp answered it before routing, when `match_info` is not there to ask)."""
    try:
        resource = request.match_info.route.resource if isinstance(request, web.Request) else None
    except (AssertionError, AttributeError):
        resource = None
    return resource.canonical if resource is not None else "unmatched"


class MalformedRequests(logging.Filter):
    """aiohttp logs a request it cannot parse with its traceback, and the traceback quotes the
    raw request line, which may hold personal data (a postcode in a path). Keep one line that
    names the kind of fault instead."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            record.msg = "malformed request refused (%s)"
            record.args = (type(error).__name__,)
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.INFO, "INFO"
        return True


class AccessLogger(AbstractAccessLogger):
    """One line per request: method, route pattern, status, duration and request id."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        route = route_of(request)
        self.logger.info(
            "%s %s %s",
            request.method,
            route,
            response.status,
            extra={
                "method": request.method,
                "route": route,
                "status": response.status,
                "ms": round(time * 1000, 1),
                "request_id": request.get(REQUEST_KEY),
            },
        )
