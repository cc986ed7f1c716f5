"""Seed 000's websocket requests (Lantern UI): `{"request": NAME, ...}` on /ws.

connection, tables, columns, anomalies, data and save, answered as
`{"request": NAME, "data": ...}`. Parsing is pure (`parse_*`), so every rule
is tested without a socket; the handlers then ask the store through the
session (with its timeout) and save labels through data/labels.save_label,
the review form's own path.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.scaling import scale
from auth import require
from auth.gate import client_address, gate
from data.labels import KEEP, save_label
from data.store import STATUSES, AnomalyFilter
from data.views import choose
from errors import InvalidInput
from live.session import Session

MAX_POINTS = 20_000
MAX_ANOMALIES = 5_000
MAX_TEXT = 200


@dataclass(frozen=True)
class DataRequest:
    table: str | None
    columns: list[str] | None
    entity: str | None
    start: str | None
    end: str | None
    max_points: int | None
    scale: bool | None


@dataclass(frozen=True)
class SaveRequest:
    anomaly_id: str
    verified: Any  # bool, or KEEP
    anomaly_type: Any  # str, or KEEP
    idempotency_key: str | None


def _text(message: Mapping[str, Any], key: str, required: bool = False) -> str | None:
    value = message.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not 0 < len(value) <= MAX_TEXT:
        raise InvalidInput(
            f"'{key}' must be text of 1 to {MAX_TEXT} characters", {key: "text expected"}
        )
    return value


def parse_bool(value: Any, key: str) -> bool:
    """True/false, also as seed 000 sent them: the strings "true" and "false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise InvalidInput(f"'{key}' must be true or false", {key: "true or false expected"})


def parse_data(message: Mapping[str, Any]) -> DataRequest:
    columns = message.get("columns")
    if isinstance(columns, str):
        columns = [c.strip() for c in columns.split(",") if c.strip()]
    if columns is not None and not (
        isinstance(columns, list) and all(isinstance(c, str) for c in columns)
    ):
        raise InvalidInput("'columns' must be a list of column names", {"columns": "list"})
    max_points = message.get("max_points")
    if max_points is not None and not (
        isinstance(max_points, int) and not isinstance(max_points, bool)
    ):
        raise InvalidInput("'max_points' must be an integer", {"max_points": "integer"})
    if max_points is not None and not 16 <= max_points <= MAX_POINTS:
        raise InvalidInput(
            f"'max_points' must be from 16 to {MAX_POINTS:,}", {"max_points": "out of range"}
        )
    scaled = message.get("scale")
    return DataRequest(
        table=_text(message, "table", required=True),
        columns=columns or None,
        entity=_text(message, "entity"),
        start=_text(message, "start"),
        end=_text(message, "end"),
        max_points=max_points,
        scale=None if scaled is None else parse_bool(scaled, "scale"),
    )


def parse_save(message: Mapping[str, Any]) -> SaveRequest:
    anomaly_id = _text(message, "anomaly_id", required=True)
    verified = KEEP
    if "verify_anomaly" in message:
        verified = parse_bool(message["verify_anomaly"], "verify_anomaly")
    anomaly_type = KEEP
    if "anomaly_type" in message:
        anomaly_type = _text(message, "anomaly_type", required=True)
    if verified is KEEP and anomaly_type is KEEP:
        raise InvalidInput(
            "a save needs 'verify_anomaly' or 'anomaly_type'",
            {"verify_anomaly": "missing", "anomaly_type": "missing"},
        )
    return SaveRequest(str(anomaly_id), verified, anomaly_type, _text(message, "idempotency_key"))


def parse_anomaly_filter(message: Mapping[str, Any]) -> AnomalyFilter:
    status = message.get("status")
    if status is not None and status not in STATUSES:
        raise InvalidInput(f"'status' must be one of {', '.join(STATUSES)}", {"status": "unknown"})
    limit = message.get("limit", 500)
    if not isinstance(limit, int) or isinstance(limit, bool) or not 0 < limit <= MAX_ANOMALIES:
        raise InvalidInput(f"'limit' must be from 1 to {MAX_ANOMALIES:,}", {"limit": "range"})
    return AnomalyFilter(
        table=_text(message, "table"), entity=_text(message, "entity"), status=status, limit=limit
    )


# -- handlers -------------------------------------------------------------------
def greeting(session: Session) -> list[dict[str, Any]]:
    """Seed 000's lines on connect ("Websocket runs", "Bigquery connected")."""
    backend = session.runtime.config.backend.partition(":")[0]
    name = {"bigquery": "Bigquery", "sqlite": "SQLite"}.get(backend, "PostgreSQL")
    return [{"status": "Websocket runs"}, {"status": f"{name} connected"}]


def _connection(session: Session, message: Mapping[str, Any]) -> Any:
    return "Connected"


def _tables(session: Session, message: Mapping[str, Any]) -> Any:
    return session.store(session.runtime.store.tables)


def _columns(session: Session, message: Mapping[str, Any]) -> Any:
    table = _text(message, "table", required=True)
    found = session.store(session.runtime.store.columns, table)
    return [{"name": c.name, "type": c.type, "role": c.role} for c in found]


def _anomalies(session: Session, message: Mapping[str, Any]) -> Any:
    filters = parse_anomaly_filter(message)
    found = session.store(session.runtime.store.anomalies, filters)
    wanted = session.runtime.config.cols_from_anomaly_tab
    return [{k: _plain(getattr(a, k, None)) for k in wanted} for a in found]


def _data(session: Session, message: Mapping[str, Any]) -> Any:
    request = parse_data(message)
    config = session.runtime.config
    store = session.runtime.store

    def read() -> Any:
        choice = choose(
            store,
            request.table,
            request.columns,
            request.entity,
            request.start,
            request.end,
            config.init_cols_for_plot,
        )
        if choice.start is None or choice.end is None:
            return choice, None
        filters = {choice.entity_column: choice.entity} if choice.entity else None
        points = request.max_points or config.max_points
        return choice, store.read(
            choice.table, choice.columns, choice.start, choice.end, points, filters
        )

    choice, found = session.store(read)
    scaled = config.scale_data if request.scale is None else request.scale
    series = []
    for s in found.series if found else []:
        values = s.values.to_numpy(float)
        if scaled:
            values = scale(values, config.scaler)
        series.append(
            {
                "column": s.column,
                "time": (s.time.as_unit("us").asi8 / 1000.0).tolist(),
                "values": [None if np.isnan(v) else v for v in values.tolist()],
            }
        )
    return {
        "table": choice.table,
        "entity": choice.entity,
        "columns": choice.columns,
        "scaled": scaled,
        "downsampled": bool(found and found.downsampled),
        "rows_in_range": found.rows_in_range if found else 0,
        "series": series,
    }


def _save(session: Session, message: Mapping[str, Any]) -> Any:
    request = parse_save(message)
    user = require("labeller", session.user)
    event = session.store(
        save_label,
        session.runtime.store,
        request.anomaly_id,
        author=user.name,
        idempotency_key=request.idempotency_key or uuid.uuid4().hex,
        verified=request.verified,
        anomaly_type=request.anomaly_type,
    )
    detail = f"websocket: {request.anomaly_id}, event {event.event_id}"
    session.store(gate().audit, "label-save", detail, user.name, client_address())
    return {k: _plain(v) for k, v in event.__dict__.items()}


def _plain(value: Any) -> Any:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


Handler = Callable[[Session, Mapping[str, Any]], Any]
#: By the value of "request"; `connection` needs no authentication (seed 001's rule).
REQUESTS: dict[str, Handler] = {
    "connection": _connection,
    "tables": _tables,
    "columns": _columns,
    "anomalies": _anomalies,
    "data": _data,
    "save": _save,
}
OPEN = frozenset({"connection"})


def answer(session: Session, message: Mapping[str, Any]) -> dict[str, Any]:
    """The reply to one `{"request": ...}` message."""
    name = message["request"]
    handler = REQUESTS.get(name) if isinstance(name, str) else None
    if handler is None:
        raise InvalidInput(
            f"unknown request {str(name)[:40]!r}: use one of {', '.join(REQUESTS)}",
            {"request": "unknown"},
        )
    return {"request": name, "data": handler(session, message)}
