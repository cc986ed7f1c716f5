"""Seed 003's battery feed on /ws/batteries (WebsocketServerMS).

On connect, a snapshot of every battery keyed `battery:<id>:data`; then each
reading as it is ingested, in the same shape plus `latency_ms` (ingest to send).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pandas as pd

from data.store import Store
from live.connection import text_frame
from live.hub import Message

TABLE = "battery_readings"
FIELDS = ("voltage", "current", "temperature", "state_of_charge", "state_of_health")
CHANNELS = ["battery:*"]


def key(battery_id: str) -> str:
    return f"battery:{battery_id}:data"


def snapshot(store: Store) -> dict[str, Any]:
    """The latest reading of every battery."""
    latest = store.latest(TABLE, "battery_id", list(FIELDS))
    return {
        key(row["battery_id"]): {
            "timestamp": pd.Timestamp(row["time"]).value // 1_000_000,
            **{f: _value(row[f]) for f in FIELDS},
        }
        for row in latest.to_dict("records")
    }


def update(message: Message, now_ms: float | None = None) -> str:
    """One ingested reading as the feed sends it: all but `latency_ms` rendered once
    per message, the latency (ingest to this send) added per client."""
    now_ms = time.time() * 1000.0 if now_ms is None else now_ms
    head = message.rendered("battery-feed", _head)
    return f'{head},"latency_ms":{round(now_ms - message.data["ingested"], 1)}}}}}'


def frame(message: Message) -> bytes:
    """The update's frame for one client (its latency is its own)."""
    return text_frame(update(message))


def _head(message: Message) -> str:
    data = message.data
    body = {"timestamp": round(data["time"]), **{f: data.get(f) for f in FIELDS}}
    return json.dumps({key(data["battery_id"]): body}, separators=(",", ":"))[:-2]


def _value(value: Any) -> Any:
    return None if pd.isna(value) else float(value)
