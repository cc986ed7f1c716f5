"""Which tables a store holds, and the schema it read of each: one cache for the
SQL and the BigQuery stores.

The names are looked up again when they are older than `TTL_SECONDS` or when a
request names a table not among them, so a table another process made (a
migration, another instance) is found at once and a dropped one within the TTL.
Every request that names a table passes `schema()`, which refuses the account
tables and the hidden bookkeeping tables before any query is sent.
"""

from __future__ import annotations

import threading
import time as clock
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

from data.readpath import ACCOUNT_TABLES, HIDDEN_TABLES
from errors import NotFound

TTL_SECONDS = 30.0

Schema = TypeVar("Schema")


class Catalog(Generic[Schema]):
    """`list_names` asks the store for its table names; `read` reads one table's schema."""

    def __init__(
        self, list_names: Callable[[], Iterable[str]], read: Callable[[str], Schema]
    ) -> None:
        self._list_names = list_names
        self._read = read
        self._lock = threading.Lock()
        self._names: frozenset[str] = frozenset()
        self._schemas: dict[str, Schema] = {}
        self._at = float("-inf")

    @property
    def names(self) -> frozenset[str]:
        """The names as last looked up (no I/O): callers that just refreshed."""
        return self._names

    def refresh(self) -> frozenset[str]:
        names = frozenset(self._list_names())
        with self._lock:
            self._names = names
            self._schemas = {n: s for n, s in self._schemas.items() if n in names}
            self._at = clock.monotonic()
        return names

    def has(self, name: str) -> bool:
        if clock.monotonic() - self._at > TTL_SECONDS or name not in self._names:
            self.refresh()  # a table created since the last look is found
        return name in self._names

    def visible(self) -> list[str]:
        """The tables a user may name, looked up now."""
        return sorted(self.refresh() - HIDDEN_TABLES)

    def schema(self, name: str, accounts: bool = False) -> Schema:
        """The schema of a table a request may name (with `accounts`: of an account
        table only); NotFound otherwise, before any query."""
        if (
            not isinstance(name, str)
            or not self.has(name)
            or (name in ACCOUNT_TABLES) != accounts
            or (name in HIDDEN_TABLES and not accounts)
        ):
            raise NotFound(f"unknown table '{name}'")
        found = self._schemas.get(name)
        if found is None:
            found = self._read(name)
            with self._lock:
                self._schemas[name] = found
        return found

    def forget(self, name: str) -> None:
        """Read this table's schema again next time (its columns changed)."""
        with self._lock:
            self._schemas.pop(name, None)
