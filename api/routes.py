"""The API's routes: thin, each reads the request, checks the caller and hands on."""

from __future__ import annotations

from flask import Response, current_app, jsonify, request

from api import blueprint, json_body
from api.ingest import Ingest
from auth import User, bearer_token, require, user_for_token
from context import runtime
from data.times import utc_now

EXTENSION = "vigil-ingest"


def _caller() -> User:
    return user_for_token(bearer_token(request.headers.get("Authorization")))


def _ingest() -> Ingest:
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        rt = runtime()
        found = current_app.extensions.setdefault(EXTENSION, Ingest(rt.store, rt.hub))
    return found


@blueprint.post("/readings")
def post_readings() -> tuple[Response, int]:
    """Machine and battery readings: `{"readings": [{"machine_id": ..., "time": ...}, ...]}`."""
    require("labeller", _caller())
    return jsonify(_ingest().readings(json_body(), utc_now())), 201


@blueprint.post("/heartbeats")
def post_heartbeats() -> tuple[Response, int]:
    """Sensor heartbeats: `{"heartbeats": [{"sensor_id": ..., "time": ..., "payload": ...}]}`."""
    require("labeller", _caller())
    return jsonify(_ingest().heartbeats(json_body(), utc_now())), 201
