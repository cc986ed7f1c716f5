"""Row-by-row writes of reference tables (element types, machines, shifts, ...): the checks.

Every backend runs `Store.rows`, `insert_row`, `update_row` and `delete_row`
through these functions first, so a request that names an unknown column,
sends a value of the wrong type, an over-long string or no primary key is
refused with the same sentence everywhere, before any statement is sent: a
refused row is never half written. Readings tables have no primary key and
are not written here: they arrive in batches through `Store.write`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Table
from sqlalchemy.sql import sqltypes

from data.times import as_utc
from errors import InvalidInput, NotFound

Kind = Literal["text", "int", "float", "bool", "date", "timestamp"]
#: The most rows one `rows()` call returns.
MAX_ROWS = 10_000
#: The most characters of a text column without a length of its own (a description,
#: a remark): a row is a record, not a place for files.
MAX_TEXT = 100_000
INT64 = (-(2**63), 2**63 - 1)
DESCRIPTIONS: dict[Kind, str] = {
    "text": "text",
    "int": "an integer",
    "float": "a number",
    "bool": "true or false",
    "date": "a date (YYYY-MM-DD)",
    "timestamp": "a time (ISO 8601)",
}


@dataclass(frozen=True)
class Field:
    """What a column accepts, whatever the backend calls its type."""

    name: str
    kind: Kind
    nullable: bool = True
    primary: bool = False
    length: int | None = None  # most characters of a text column, when limited


#: SQLAlchemy types to kinds; first match wins (DateTime before Date, Integer before Numeric).
SQL_KINDS: tuple[tuple[type, Kind], ...] = (
    (sqltypes.Boolean, "bool"),
    (sqltypes.DateTime, "timestamp"),
    (sqltypes.Date, "date"),
    (sqltypes.Integer, "int"),
    (sqltypes.Float, "float"),
    (sqltypes.Numeric, "float"),
    (sqltypes.String, "text"),
)


def fields_of(table: Table) -> list[Field]:
    """The fields of a SQLAlchemy table (schema.py's, or one reflected from a database)."""
    found = []
    for column in table.columns:
        kind = next((k for t, k in SQL_KINDS if isinstance(column.type, t)), None)
        if kind is None:
            continue  # a type no form can fill (JSON, arrays): the column is left alone
        length = getattr(column.type, "length", None) if kind == "text" else None
        found.append(Field(column.name, kind, bool(column.nullable), column.primary_key, length))
    return found


def fields_for(table: str, catalog: Callable[[], list[Field]]) -> list[Field]:
    """Vigil's own tables by schema.py (the same limits on every backend, BigQuery's
    catalog knows no string lengths), any other table by the backend's catalog."""
    from data.schema import metadata

    if table in metadata.tables:
        return fields_of(metadata.tables[table])
    return catalog()


def primary_key(table: str, fields: Sequence[Field]) -> list[str]:
    """The key columns; InvalidInput for a table that has none (readings tables)."""
    key = [f.name for f in fields if f.primary]
    if not key:
        raise InvalidInput(
            f"table '{table}' has no primary key: its rows are written in batches, not one by one"
        )
    return key


def _value(table: str, field: Field, value: Any) -> Any:
    """`value` as the column stores it; InvalidInput naming the column otherwise."""
    if value is None:
        if not field.nullable:
            raise InvalidInput(f"column '{field.name}' of table '{table}' cannot be empty")
        return None

    def wrong() -> InvalidInput:
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        return InvalidInput(
            f"column '{field.name}' of table '{table}' takes {DESCRIPTIONS[field.kind]}, "
            f"got {shown}"
        )

    if field.kind == "text":
        if not isinstance(value, str):
            raise wrong()
        limit = field.length or MAX_TEXT
        if len(value) > limit:
            raise InvalidInput(
                f"column '{field.name}' of table '{table}' holds at most {limit:,} "
                f"characters, got {len(value):,}"
            )
        if field.primary and not value.strip():
            raise InvalidInput(f"column '{field.name}' of table '{table}' cannot be blank")
        return value
    if field.kind == "bool":
        if not isinstance(value, bool):
            raise wrong()
        return value
    if field.kind == "int":
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        if isinstance(value, bool) or not isinstance(value, int):
            raise wrong()
        if not INT64[0] <= value <= INT64[1]:
            raise wrong()
        return value
    if field.kind == "float":
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise wrong()
        if not math.isfinite(value):
            raise wrong()
        return float(value)
    if field.kind == "date":
        if isinstance(value, datetime):
            raise wrong()
        if isinstance(value, date):
            return value
        if isinstance(value, str):
            try:
                return date.fromisoformat(value)
            except ValueError:
                raise wrong() from None
        raise wrong()
    if not isinstance(value, datetime | str | pd.Timestamp):
        raise wrong()
    try:
        return as_utc(value)
    except InvalidInput:
        raise wrong() from None


def _by_name(table: str, fields: Sequence[Field], names: Sequence[str]) -> list[Field]:
    known = {f.name: f for f in fields}
    for name in names:
        if not isinstance(name, str) or name not in known:
            raise NotFound(f"unknown column '{name}' in table '{table}'")
    return [known[n] for n in names]


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InvalidInput(f"{what} must be an object of column names and values")
    return value


def clean_values(table: str, fields: Sequence[Field], values: Mapping[str, Any]) -> dict[str, Any]:
    """A whole new row: every value checked, every required column present."""
    values = _mapping(values, "a row")
    primary_key(table, fields)
    _by_name(table, fields, list(values))
    row = {}
    for field in fields:
        if field.name not in values:
            if field.primary:
                raise InvalidInput(
                    f"primary key column '{field.name}' of table '{table}' is missing"
                )
            if not field.nullable:
                raise InvalidInput(f"column '{field.name}' of table '{table}' is required")
            continue
        row[field.name] = _value(table, field, values[field.name])
    return row


def clean_changes(table: str, fields: Sequence[Field], values: Mapping[str, Any]) -> dict[str, Any]:
    """The columns an update changes; a key column cannot be one of them."""
    values = _mapping(values, "the changes")
    if not values:
        raise InvalidInput(f"an update of table '{table}' must change at least one column")
    changed = _by_name(table, fields, list(values))
    for field in changed:
        if field.primary:
            raise InvalidInput(
                f"column '{field.name}' is part of the primary key of table '{table}' "
                "and cannot be changed; delete the row and add a new one"
            )
    return {f.name: _value(table, f, values[f.name]) for f in changed}


def clean_key(table: str, fields: Sequence[Field], key: Mapping[str, Any]) -> dict[str, Any]:
    """Exactly the primary key's columns, each with a value."""
    key = _mapping(key, "a key")
    names = primary_key(table, fields)
    _by_name(table, fields, list(key))
    if sorted(key) != sorted(names):
        raise InvalidInput(
            f"a row of table '{table}' is named by its primary key: {', '.join(names)}"
        )
    found = {f.name: f for f in fields}
    return {n: _value(table, found[n], key[n]) for n in names}


def clean_where(
    table: str, fields: Sequence[Field], where: Mapping[str, Any] | None
) -> dict[str, Any]:
    """Equality filters of `rows()`; None matches an empty column."""
    where = _mapping(where or {}, "the filters")
    chosen = _by_name(table, fields, list(where))
    return {
        f.name: None if where[f.name] is None else _value(table, f, where[f.name]) for f in chosen
    }


def clean_order(
    table: str, fields: Sequence[Field], order_by: Sequence[str] | None
) -> list[tuple[str, bool]]:
    """(column, descending) pairs from names, '-name' meaning descending; the primary
    key ends every order, so pages of rows are the same on every backend."""
    key = primary_key(table, fields)
    if isinstance(order_by, str) or not isinstance(order_by, Sequence | type(None)):
        raise InvalidInput("order_by must be a list of column names")
    pairs = []
    for item in order_by or ():
        if not isinstance(item, str):
            raise NotFound(f"unknown column '{item}' in table '{table}'")
        name, descending = (item[1:], True) if item.startswith("-") else (item, False)
        _by_name(table, fields, [name])
        pairs.append((name, descending))
    chosen = {name for name, _ in pairs}
    pairs += [(name, False) for name in key if name not in chosen]
    return pairs


def clean_limit(limit: Any) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise InvalidInput(f"limit must be an integer from 1 to {MAX_ROWS}")
    return limit


def stored(fields: Sequence[Field], row: Mapping[str, Any]) -> dict[str, Any]:
    """A row as every backend returns it: times aware UTC, dates as dates, numbers typed."""
    out = {}
    for field in fields:
        value = row.get(field.name)
        if value is None:
            out[field.name] = None
        elif field.kind == "timestamp":
            out[field.name] = as_utc(value)
        elif field.kind == "date":
            if isinstance(value, datetime):
                value = value.date()
            out[field.name] = value if isinstance(value, date) else date.fromisoformat(str(value))
        elif field.kind == "float":
            out[field.name] = float(value)
        elif field.kind == "int":
            out[field.name] = int(value)
        else:
            out[field.name] = value
    return out


def key_text(key: Mapping[str, Any]) -> str:
    """A key as a message names it: machine_id 'M1'."""
    return ", ".join(f"{name} '{value}'" for name, value in key.items())
