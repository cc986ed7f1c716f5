"""Seed 003's battery feed on /ws/batteries (WebsocketServerMS).

On connect, a snapshot of every battery keyed `battery:<id>:data`; then each
reading as it is ingested, in the same shape plus `latency_ms` (ingest to send).
"""

from __future__ import annotations

import time
from typing import Any

import pandas as pd

from data.store import Store

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


def update(channel: str, message: dict[str, Any], now_ms: float | None = None) -> dict[str, Any]:
    """One ingested reading as the feed sends it."""
    now_ms = time.time() * 1000.0 if now_ms is None else now_ms
    return {
        key(message["battery_id"]): {
            "timestamp": round(message["time"]),
            **{f: message.get(f) for f in FIELDS},
            "latency_ms": round(now_ms - message["ingested"], 1),
        }
    }


def _value(value: Any) -> Any:
    return None if pd.isna(value) else float(value)
