"""The ingest routes: thin, each reads the request, checks the caller and hands on."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from api import blueprint, json_body
from api.access import needs
from api.ingest import Ingest
from api.ingest_schemas import Heartbeats, Ingested, Readings
from api.spec import validate
from context import runtime
from data.times import utc_now

EXTENSION = "vigil-ingest"
#: api/validation.py checks the batch whole (400 naming each bad item), not spectree.
_DOCUMENTED_ONLY = {"skip_validation": True}


def _ingest() -> Ingest:
    found = current_app.extensions.get(EXTENSION)
    if found is None:
        rt = runtime()
        found = current_app.extensions.setdefault(EXTENSION, Ingest(rt.store, rt.hub))
    return found


@blueprint.post("/readings")
@needs("labeller")
@validate("ingest", 201, Ingested, json=Readings, **_DOCUMENTED_ONLY)
def post_readings() -> tuple[Response, int]:
    """Machine and battery readings: `{"readings": [{"machine_id": ..., "time": ...}, ...]}`."""
    return jsonify(_ingest().readings(json_body(), utc_now())), 201


@blueprint.post("/heartbeats")
@needs("labeller")
@validate("ingest", 201, Ingested, json=Heartbeats, **_DOCUMENTED_ONLY)
def post_heartbeats() -> tuple[Response, int]:
    """Sensor heartbeats: `{"heartbeats": [{"sensor_id": ..., "time": ..., "payload": ...}]}`."""
    return jsonify(_ingest().heartbeats(json_body(), utc_now())), 201
