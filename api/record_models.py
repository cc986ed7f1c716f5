"""Pydantic models of the plant's reference tables, derived from data/schema.py's columns.

One source for names, types, lengths and which columns are required: the
same `Field`s data/records.py checks every write against, so the OpenAPI
document, the API's 422s and the store's own checks agree. `RULES` adds the
domain's ranges (data/plant.py) where a schema can say them.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model, model_validator

from api.schemas import Day, Flag, Number, Time, text
from data.records import INT64, MAX_TEXT
from data.records import Field as Column

CLOCK = r"^([01][0-9]|2[0-3]):[0-5][0-9]$"

#: Ranges and shapes the domain gives some columns (data/plant.py checks them too).
RULES: dict[str, dict[str, Any]] = {
    "standard_current": {"gt": 0},
    "standard_voltage": {"gt": 0},
    "capacity_in_amp": {"ge": 0},
    "capacity_kwh": {"ge": 0},
}
#: Text columns of a fixed shape: shift times are HH:MM on a 24-hour clock.
PATTERNS = {"start_time": CLOCK, "end_time": CLOCK}
_STORED: dict[str, Any] = {
    "text": str,
    "int": int,
    "float": float,
    "bool": bool,
    "date": date,
    "timestamp": datetime,
}


def _written(column: Column) -> Any:
    """The type a request must send for a column (strict: no coercion)."""
    if column.kind == "text":
        required = column.primary or not column.nullable
        return text(column.length or MAX_TEXT, 1 if required else 0, PATTERNS.get(column.name))
    if column.kind == "int":
        return int
    return {"float": Number, "bool": Flag, "date": Day, "timestamp": Time}[column.kind]


def _rules(column: Column) -> dict[str, Any]:
    found = dict(RULES.get(column.name, {}))
    if column.kind == "int":
        found.update(strict=True, ge=INT64[0], le=INT64[1])
    return found


class _Changes(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"minProperties": 1})

    @model_validator(mode="after")
    def _changes_something(self) -> _Changes:
        if not self.model_fields_set:
            raise ValueError("send at least one column to change")
        return self


def row_model(name: str, columns: list[Column]) -> type[BaseModel]:
    """A row as the API returns it."""
    fields = {
        c.name: (_STORED[c.kind] if c.primary else _STORED[c.kind] | None, ...) for c in columns
    }
    return create_model(name, **fields)


def new_model(name: str, columns: list[Column]) -> type[BaseModel]:
    """A whole new row: the key and every non-nullable column required."""
    fields: dict[str, Any] = {}
    for c in columns:
        kind, rules = _written(c), _rules(c)
        if c.primary or not c.nullable:
            fields[c.name] = (kind, Field(**rules))
        else:
            fields[c.name] = (kind | None, Field(None, **rules))
    return create_model(name, __config__=ConfigDict(extra="forbid"), **fields)


def changes_model(name: str, columns: list[Column]) -> type[BaseModel]:
    """Some non-key columns; a column left out keeps its value."""
    fields: dict[str, Any] = {}
    for c in columns:
        if c.primary:
            continue
        kind = _written(c) if not c.nullable else _written(c) | None
        fields[c.name] = (kind, Field(None, **_rules(c)))
    return create_model(name, __base__=_Changes, **fields)
