"""Seed 002's live machine feed on /live_recent_ws (the machine-monitoring backend).

Every message is `{"live_recent": [row, ...]}`: on connect one row per machine
(its latest reading), then one row per reading as it is ingested. A row holds
the columns of seed 002's Live_recent table: machine_id, current, voltage,
created_at (ISO time), state and machine_state (both the reading's state:
off, idle or production).
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from data.store import Store
from live.connection import text_frame
from live.hub import Message

TABLE = "machine_readings"
FIELDS = ("current", "voltage", "state")
CHANNELS = ["machine:*"]


def _row(machine_id: str, created: pd.Timestamp, values: dict[str, Any]) -> dict[str, Any]:
    state = values.get("state")
    return {
        "machine_id": machine_id,
        "current": values.get("current"),
        "voltage": values.get("voltage"),
        "created_at": created.isoformat().replace("+00:00", "Z"),
        "state": state,
        "machine_state": state,
    }


def snapshot(store: Store) -> dict[str, Any]:
    latest = store.latest(TABLE, "machine_id", list(FIELDS))
    rows = [
        _row(r["machine_id"], pd.Timestamp(r["time"]), {k: _value(r[k]) for k in FIELDS})
        for r in latest.to_dict("records")
    ]
    return {"live_recent": rows}


def frame(message: Message) -> bytes:
    """One ingested reading as the feed sends it, framed once for every client."""
    return message.rendered("live-recent", lambda m: text_frame(update(m)))


def update(message: Message) -> str:
    data = message.data
    created = pd.Timestamp(data["time"], unit="ms", tz="UTC")
    return json.dumps({"live_recent": [_row(data["machine_id"], created, data)]})


def _value(value: Any) -> Any:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    return value if isinstance(value, str) else float(value)
