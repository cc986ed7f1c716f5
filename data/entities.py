"""Which machines, batteries and sensors exist: the ids ingest and subscriptions check.

Read from the store at most every TTL seconds, and at once when asked about an
id not seen yet, so an entity added a moment ago is known without a restart.
"""

from __future__ import annotations

import threading
import time

from data.store import Store

#: Where each kind's ids live: kind -> (table, id column).
KINDS = {
    "machine": ("machines", "machine_id"),
    "battery": ("batteries", "battery_id"),
    "sensor": ("sensors", "sensor_id"),
}
TTL_SECONDS = 10.0
MAX_ENTITIES = 1_000_000


class KnownIds:
    """A short-lived copy of every kind's ids, keyed by the id column."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._ids: dict[str, frozenset[str]] = {}
        self._at = -TTL_SECONDS

    def get(self, refresh: bool = False) -> dict[str, frozenset[str]]:
        """{id column: ids}; `refresh` reads the store again now."""
        with self._lock:
            if not refresh and time.monotonic() - self._at < TTL_SECONDS:
                return self._ids
        ids = {
            column: frozenset(self.store.distinct(table, column, limit=MAX_ENTITIES))
            for table, column in KINDS.values()
        }
        with self._lock:
            self._ids, self._at = ids, time.monotonic()
        return ids

    def exists(self, kind: str, entity: str) -> bool:
        """Whether `entity` is a known `kind` (machine, battery, sensor)."""
        column = KINDS[kind][1]
        return entity in self.get()[column] or entity in self.get(refresh=True)[column]
