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
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    logging.getLogger("pgserver").setLevel(logging.WARNING)


REQUEST_KEY = web.RequestKey("request_id", str)


class AccessLogger(AbstractAccessLogger):
    """One line per request: method, route pattern, status, duration and request id."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        match_info = getattr(request, "match_info", None)
        resource = match_info.route.resource if match_info is not None else None
        route = resource.canonical if resource is not None else "unmatched"
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
