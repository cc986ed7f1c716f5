"""The NAB machine-temperature series: real, labelled data for Vigil's demo.

Numenta's Anomaly Benchmark is MIT-licensed, so the series and its labelled windows ship in
`nab/` next to their licence. NAB timestamps carry no zone; they are read as UTC.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
from sqlalchemy import Column, DateTime, Float, MetaData, Table

NAB_TABLE = "nab_machine_temperature"
NAB_DIR = Path(__file__).with_name("nab")
NAB_COMMIT = "ea702d75cc2258d9d7dd35ca8e5e2539d71f3140"
NAB_FILE = "realKnownCause/machine_temperature_system_failure.csv"


def nab_table() -> Table:
    """On its own MetaData, so the table is created only when the demo loads, not with Vigil's."""
    return Table(
        NAB_TABLE,
        MetaData(),
        Column("time", DateTime(timezone=True), nullable=False),
        Column("value", Float),
    )


def read_nab(directory: Path = NAB_DIR) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The readings, and NAB's labelled windows as anomaly rows for analysts to review."""
    raw = pd.read_csv(directory / Path(NAB_FILE).name)
    readings = pd.DataFrame({"time": _utc(raw["timestamp"]), "value": raw["value"].astype(float)})
    windows = json.loads((directory / "machine_temperature_windows.json").read_text())[NAB_FILE]
    return readings, _window_rows(windows)


def _utc(text: pd.Series | list[str]) -> pd.Series:
    return pd.Series(pd.to_datetime(text, utc=True, format="ISO8601")).astype("datetime64[us, UTC]")


def _window_rows(windows: list[list[str]]) -> pd.DataFrame:
    count = len(windows)
    details = {"source": "NAB", "file": NAB_FILE, "labels": "labels/combined_windows.json"}
    return pd.DataFrame(
        {
            "id": [f"nab-{k}" for k in range(1, count + 1)],
            "table_name": NAB_TABLE,
            "entity_id": pd.Series([None] * count, dtype=object),
            "start": _utc([start for start, _ in windows]),
            "end": _utc([end for _, end in windows]),
            "columns": "value",
            "score": float("nan"),
            "detector": "NAB labels",
            "version": NAB_COMMIT[:7],
            "details": json.dumps({**details, "commit": NAB_COMMIT}),
            "created": pd.Timestamp.now(tz="UTC").as_unit("us"),
        }
    )
