"""Seed 001's websocket messages (honeycomb-geom-processor), one key each, on /ws.

`{"auth": {"Authorization": "Bearer ..."}}` -> `{"authorized": {}}` or the 4401 error;
`{"ping": DATA}` -> `{"pong": DATA}`; `{"getGeoms": {...}}` -> `{"geoms": {...}}`;
`{"getCoordinates": {...}}` -> `{"coordinates": {...}}` (data/positions.py).
Parsing is pure (`parse_*`); the queries run through the session's store calls.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import auth
from data import positions
from errors import InvalidInput, Unauthorized
from live.session import Session

#: Seed 001's answer to a bad or missing token, exactly.
UNAUTHORIZED = {"error": {"message": "Unauthorized", "code": 4401}}
MAX_ID = 200


@dataclass(frozen=True)
class CoordinatesRequest:
    sample_id: str
    device_id: str
    start: datetime


def _object(payload: Any, name: str, example: str) -> Mapping[str, Any]:
    if not isinstance(payload, dict):
        raise InvalidInput(f"'{name}' must be an object: {example}", {name: "object expected"})
    return payload


def _id(payload: Mapping[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not 0 < len(value) <= MAX_ID:
        raise InvalidInput(f"'{key}' must be text of 1 to {MAX_ID} characters", {key: "text"})
    return value


def parse_auth(payload: Any) -> str | None:
    """The bearer token of an auth message (None when it carries none)."""
    payload = _object(payload, "auth", '{"auth": {"Authorization": "Bearer <token>"}}')
    header = payload.get("Authorization")
    if header is not None and not isinstance(header, str):
        raise InvalidInput("'Authorization' must be text", {"Authorization": "text"})
    return auth.bearer_token(header)


def parse_geoms(payload: Any) -> tuple[str, date]:
    payload = _object(payload, "getGeoms", '{"getGeoms": {"environment_id": ..., "date": ...}}')
    raw = payload.get("date")
    try:
        day = date.fromisoformat(raw) if isinstance(raw, str) and len(raw) == 10 else None
    except ValueError:
        day = None
    if day is None:
        raise InvalidInput("'date' must be a day as YYYY-MM-DD", {"date": "YYYY-MM-DD"})
    return _id(payload, "environment_id"), day


def parse_coordinates(payload: Any) -> CoordinatesRequest:
    payload = _object(
        payload,
        "getCoordinates",
        '{"getCoordinates": {"sample_id": ..., "device_id": ..., "from": "YYYY-MM-DDThh:mm:ss"}}',
    )
    raw = payload.get("from")
    try:
        start = datetime.fromisoformat(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    except ValueError:
        start = None
    if start is None:
        raise InvalidInput("'from' must be a time as YYYY-MM-DDThh:mm:ss", {"from": "time"})
    start = start.replace(tzinfo=UTC) if start.tzinfo is None else start.astimezone(UTC)
    return CoordinatesRequest(_id(payload, "sample_id"), _id(payload, "device_id"), start)


# -- handlers -------------------------------------------------------------------
def _auth(session: Session, payload: Any) -> dict[str, Any]:
    token = parse_auth(payload)
    try:
        session.user = auth.user_for_token(token)
    except Unauthorized:
        session.user = session.credential = None
        return UNAUTHORIZED
    session.credential = auth.Credential(token=token)
    return {"authorized": {}}


def _ping(session: Session, payload: Any) -> dict[str, Any]:
    return {"pong": payload}


def _get_geoms(session: Session, payload: Any) -> dict[str, Any]:
    environment_id, day = parse_geoms(payload)
    found = session.store(positions.sample_with_geoms, session.runtime.store, environment_id, day)
    return {"geoms": found}


def _get_coordinates(session: Session, payload: Any) -> dict[str, Any]:
    request = parse_coordinates(payload)
    found = session.store(
        positions.coordinates,
        session.runtime.store,
        request.sample_id,
        request.device_id,
        request.start,
    )
    return {"coordinates": found}


Handler = Callable[[Session, Any], dict[str, Any]]
#: By the message's one key; auth and ping need no authentication (seed 001).
MESSAGES: dict[str, Handler] = {
    "auth": _auth,
    "ping": _ping,
    "getGeoms": _get_geoms,
    "getCoordinates": _get_coordinates,
}
OPEN = frozenset({"auth", "ping"})
