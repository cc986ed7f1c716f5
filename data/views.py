"""What a chart shows when a request names only part of it.

A link may name a table but no columns, or columns but no range; these
functions fill the gaps with sensible defaults and refuse names the catalog
does not know, before any query is built from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from data.schema import is_series
from data.store import Store
from data.times import as_utc
from errors import InvalidInput, NotFound


@dataclass(frozen=True)
class Choice:
    """A resolved, catalog-checked view: everything needed to draw it."""

    table: str
    metrics: list[str]
    columns: list[str]
    entity_column: str | None
    entities: list[str]
    entity: str | None
    start: datetime | None
    end: datetime | None


def plottable_tables(store: Store) -> list[str]:
    """Series tables with a time column and at least one metric."""
    found = []
    for table in filter(is_series, store.tables()):
        roles = {c.role for c in store.columns(table)}
        if {"time", "metric"} <= roles:
            found.append(table)
    return found


def choose(
    store: Store,
    table: str | None,
    columns: list[str] | None,
    entity: str | None,
    start: str | datetime | None,
    end: str | datetime | None,
    default_columns: list[str],
) -> Choice:
    """Fill the gaps of a requested view with defaults; NotFound for unknown names."""
    tables = plottable_tables(store)
    if not tables:
        raise NotFound("the store holds no table with a time column and numbers to plot")
    table = table or ("machine_readings" if "machine_readings" in tables else tables[0])
    if table not in tables:
        if table in store.tables():
            raise InvalidInput(f"table '{table}' holds no time series to plot")
        raise NotFound(f"unknown table '{table}'")
    cols = store.columns(table)
    metrics = [c.name for c in cols if c.role == "metric"]
    if columns:
        unknown = [c for c in columns if c not in metrics]
        if unknown:
            raise NotFound(f"unknown column '{unknown[0]}' in table '{table}'")
    else:
        columns = [c for c in default_columns if c in metrics] or metrics[:1]
    entity_column = store.entity_column(table)
    entities = store.distinct(table, entity_column) if entity_column else []
    if entity_column:
        if entity and entity not in entities:
            raise NotFound(f"unknown {entity_column} '{entity}' in table '{table}'")
        entity = entity or (entities[0] if entities else None)
    else:
        entity = None
    if start is None or end is None:
        span = store.time_range(table, {entity_column: entity} if entity else None)
        if span is not None:
            start, end = start or span[0], end or span[1]
    return Choice(
        table,
        metrics,
        columns,
        entity_column,
        entities,
        entity,
        as_utc(start) if start else None,
        as_utc(end) if end else None,
    )
