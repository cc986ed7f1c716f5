"""One JSON line on stdout per request: method, path, status, latency, user, request id.

Cloud Run (and most log collectors) read a JSON line as a structured entry:
`severity` and `message` are the fields Cloud Logging knows. The request id is
the caller's X-Request-Id when it sends a sane one, else the trace id of Cloud
Run's X-Cloud-Trace-Context, else a new one; the response carries it back in
X-Request-Id, so a user's report and the server's line meet.
"""

from __future__ import annotations

import json
import re
import sys
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from flask import Flask, Response, g, request

from auth import current_user
from errors import VigilError

HEADER = "X-Request-Id"
#: An incoming id is echoed into logs and headers, so only plain, short ones are kept.
_SANE_ID = re.compile(r"[A-Za-z0-9._:/+=-]{1,128}")
_TRACE = re.compile(r"([0-9a-fA-F]{32})(?:/|$)")


def install(server: Flask) -> None:
    """Time every request of `server` and log it when its response is ready."""
    server.before_request(_start)
    server.after_request(_finish)


def write_line(message: str, fields: Mapping[str, object], severity: str = "INFO") -> None:
    """One JSON object on one line of stdout, written whole.

    Written directly rather than through `logging`: a LogRecord, the caller's
    frame lookup and the handler's lock cost 3x the line itself (bench/serving.py).
    """
    line = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "severity": severity,
        "message": message,
        **fields,
    }
    sys.stdout.write(json.dumps(line, default=str) + "\n")
    sys.stdout.flush()


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
    severity = "ERROR" if status >= 500 else "INFO"
    write_line(f"{request.method} {request.path} {status}", fields, severity)
    return response
