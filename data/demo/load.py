"""Fill a store with the demo: the simulated plant and NAB's labelled machine temperature."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pandas as pd

from data.demo.nab import NAB_TABLE, nab_table, read_nab
from data.demo.simulator import simulate
from data.store import Store

#: Rows per write: small enough to report progress often, large enough to be fast.
CHUNK = 50_000
Progress = Callable[[str, int], None]


def demo_frames(days: float, seed: int) -> dict[str, pd.DataFrame]:
    """Every demo table's rows, entities before their readings, anomalies last."""
    frames = simulate(days=days, seed=seed)
    nab_readings, nab_anomalies = read_nab()
    frames[NAB_TABLE] = nab_readings
    frames["anomalies"] = pd.concat([frames["anomalies"], nab_anomalies], ignore_index=True)
    order = [name for name in frames if name != "anomalies"] + ["anomalies"]
    return {name: frames[name] for name in order}


def _chunks(frame: pd.DataFrame) -> Iterator[pd.DataFrame]:
    for i in range(0, len(frame), CHUNK):
        yield frame.iloc[i : i + CHUNK]


def write_demo(
    store: Store,
    frames: dict[str, pd.DataFrame],
    progress: Progress | None = None,
    replace: bool = False,
) -> dict[str, int]:
    """Write demo frames into `store`; with `replace`, empty those tables (and labels) first.

    `progress(table, rows)` is called after each chunk, so a terminal can show
    a bar; returns rows written per table.
    """
    store.create_schema()
    store.create_table(nab_table())
    if replace:  # labels of the replaced anomalies would point at nothing
        store.delete_all("anomaly_feedback")
        for name in reversed(frames):
            store.delete_all(name)
    written = {}
    for name, frame in frames.items():
        written[name] = 0
        for chunk in _chunks(frame):
            written[name] += store.write(name, chunk)
            if progress:
                progress(name, len(chunk))
    return written
