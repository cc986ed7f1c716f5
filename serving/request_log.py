"""One JSON line on stdout per request: method, path, status, latency, user, request id.

Cloud Run (and most log collectors) read a JSON line as a structured entry:
`severity` and `message` are the fields Cloud Logging knows. The request id is
the caller's X-Request-Id when it sends a sane one, else the trace id of Cloud
Run's X-Cloud-Trace-Context, else a new one; the response carries it back in
X-Request-Id, so a user's report and the server's line meet.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from flask import Flask, Response, g, request

from auth import current_user
from errors import VigilError

log = logging.getLogger("vigil.requests")
HEADER = "X-Request-Id"
#: An incoming id is echoed into logs and headers, so only plain, short ones are kept.
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
_TRACE = re.compile(r"([0-9a-fA-F]{32})(?:/|$)")


class _Stdout(logging.StreamHandler):
    """Writes to whatever sys.stdout is at the time (a test may have swapped it)."""

    @property  # type: ignore[override]
    def stream(self) -> object:
        return sys.stdout

    @stream.setter
    def stream(self, _value: object) -> None:
        pass


class JsonLines(logging.Formatter):
    """A record as one JSON object: time, severity, message and the record's `fields`."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "severity": record.levelname,
            "message": record.getMessage(),
            **getattr(record, "fields", {}),
        }
        if record.exc_info:
            line["exception"] = self.formatException(record.exc_info)
        return json.dumps(line, default=str)


def install(server: Flask) -> None:
    """Time every request of `server` and log it when its response is ready."""
    if not log.handlers:
        handler = _Stdout()
        handler.setFormatter(JsonLines())
        log.addHandler(handler)
        log.setLevel(logging.INFO)
        log.propagate = False
    server.before_request(_start)
    server.after_request(_finish)


def request_id(headers: Mapping[str, str]) -> str:
    """The id a request is known by (see the module's docstring for the order)."""
    given = headers.get(HEADER, "")
    if _SANE_ID.fullmatch(given):
        return given
    if trace := _TRACE.match(headers.get("X-Cloud-Trace-Context", "")):
        return trace.group(1).lower()
    return uuid.uuid4().hex


def _start() -> None:
    g.request_started = time.perf_counter()
    g.request_id = request_id(request.headers)


def _finish(response: Response) -> Response:
    started = g.get("request_started", time.perf_counter())
    rid = g.get("request_id") or request_id(request.headers)
    response.headers[HEADER] = rid
    # flask-sock answers with 200 once the socket has closed; the client saw 101
    upgraded = request.headers.get("Upgrade", "").lower() == "websocket"
    status = 101 if upgraded and response.status_code == 200 else response.status_code
    try:
        user: str | None = current_user().name
    except VigilError:  # not signed in
        user = None
    fields = {
        "method": request.method,
        "path": request.path,
        "status": status,
        "latency_ms": round((time.perf_counter() - started) * 1000, 3),
        "user": user,
        "request_id": rid,
    }
    log.info("%s %s %s", request.method, request.path, status, extra={"fields": fields})
    return response
