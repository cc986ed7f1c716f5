"""The ingest path: checked items are written to the Store, then published to the Hub.

The HTTP routes (api/routes.py) are its front door; `python app.py simulate`
comes in through them too. A batch is checked whole before the first write
(api/validation.py), so a bad item writes nothing. A batch mixing machine and
battery readings is written table by table: only a store failure between the
two writes can split it, and the error then says which table was written.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

import numpy as np
import pandas as pd

from api import validation
from api.validation import Accepted, Kind
from data.entities import KnownIds
from data.store import Store
from errors import VigilError
from live.hub import Hub, channel

log = logging.getLogger(__name__)

Check = Callable[[Any, Mapping[str, Collection[str]], datetime], dict[str, Accepted]]


class Ingest:
    """Checks, writes and publishes batches for one store and hub."""

    def __init__(self, store: Store, hub: Hub) -> None:
        self.store = store
        self.hub = hub
        self.known = KnownIds(store)

    def readings(self, body: Any, now: datetime) -> dict[str, Any]:
        return self._ingest(validation.readings, body, now)

    def heartbeats(self, body: Any, now: datetime) -> dict[str, Any]:
        return self._ingest(validation.heartbeats, body, now)

    def _ingest(self, check: Check, body: Any, now: datetime) -> dict[str, Any]:
        try:
            accepted = check(body, self.known.get(), now)
        except VigilError as exc:
            if not any(problem.startswith("unknown ") for problem in exc.fields.values()):
                raise
            # An entity created since the last look is accepted at once.
            accepted = check(body, self.known.get(refresh=True), now)
        ingested = time.time() * 1000.0
        written: dict[str, int] = {}
        for table, part in accepted.items():
            try:
                written[table] = self.store.write(table, _frame(part))
            except VigilError as exc:
                if written:
                    exc.message += f" (already written: {_counts(written)})"
                raise
        result: dict[str, Any] = {"written": written}
        messages = [m for part in accepted.values() for m in _messages(part, ingested)]
        try:
            self.hub.publish_many(messages)
            result["published"] = len(messages)
        except VigilError as exc:  # the rows are stored: say the live update failed, no retry
            log.warning("ingest: %s", exc.message)
            result["published"] = 0
            result["warning"] = exc.message
        return result


def _frame(part: Accepted) -> pd.DataFrame:
    """The rows as `Store.write` takes them: float columns for numbers, object columns
    for text and a ready UTC time column, since pandas' own inference and parsing
    cost most of a one-reading write."""
    numbers = part.kind.numbers
    data: dict[str, Any] = {
        c: np.array([row[c] for row in part.rows], dtype=float if c in numbers else object)
        for c in part.kind.columns
    }
    data["time"] = pd.DatetimeIndex(data["time"].tolist())  # UTC datetimes (validation)
    return pd.DataFrame(data, copy=False)


def _messages(part: Accepted, ingested: float) -> list[tuple[str, dict[str, Any]]]:
    """One hub message per row: its fields, `time` and `ingested` in epoch milliseconds."""
    kind: Kind = part.kind
    out = []
    for row in part.rows:
        message = {**row, "time": row["time"].timestamp() * 1000.0, "ingested": ingested}
        out.append((channel(kind.name, row[kind.entity]), message))
    return out


def _counts(written: Mapping[str, int]) -> str:
    return ", ".join(f"{n:,} rows of {table}" for table, n in written.items())
