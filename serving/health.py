"""/healthz (the process answers) and /readyz (it can serve: store and Redis reachable).

Cloud Run's liveness probe asks /healthz, which does no I/O, so a slow database
never gets a healthy instance restarted; the startup probe and load balancers
ask /readyz, which reaches the store and, when `redis_url` is set, Redis.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from context import runtime
from errors import Unavailable, VigilError

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
def healthz() -> Response:
    return jsonify(status="alive")


@blueprint.get("/readyz")
def readyz() -> tuple[Response, int]:
    """200 with every check "ok", or 503 in the one error shape, naming what failed."""
    current = runtime()
    checks = {"store": "ok", "redis": "ok" if current.config.redis_url else "not configured"}
    failed: dict[str, str] = {}
    try:
        current.store.is_empty()  # one cheap query (0 bytes on BigQuery)
    except VigilError as exc:
        failed["store"] = exc.message
    if current.config.redis_url and (why := current.hub.unreachable()):
        failed["redis"] = why
    if failed:
        error = Unavailable("not ready: " + "; ".join(failed.values()), failed)
        return jsonify(error.to_dict()), error.status
    return jsonify(status="ready", checks=checks), 200
