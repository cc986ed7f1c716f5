"""Checking ingest batches: pure functions from a decoded JSON body to rows per table.

All or nothing: every item is checked before anything is written, and the error
names each bad field (`readings[3].current`), so a device's author fixes them
all at once. Entities are checked against the ids the caller passes in (the
store's machines, batteries and sensors); nothing here does I/O.
"""

from __future__ import annotations

import json
import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cached_property
from typing import Any

from data.demo.simulator import STATES
from errors import InvalidInput, TooLarge

#: Most items in one request (seed 002's devices sent one reading a second; 10,000 is
#: a gateway's buffer after a long outage).
MAX_BATCH = 10_000
#: Bad fields listed in one error; the message counts the rest.
MAX_FIELD_ERRORS = 100
MAX_ID = 64
MAX_PAYLOAD = 4_096
#: A device's clock may run this far ahead of the server's.
FUTURE_TOLERANCE = timedelta(minutes=5)
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Kind:
    """One kind of item: its table, the field naming its entity and its value fields."""

    name: str  # the hub channel's kind: machine, battery, sensor
    table: str
    entity: str
    #: Numeric fields with their plausible (low, high) range.
    numbers: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    #: Text fields with their allowed values.
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    #: A JSON value stored as text (heartbeats' payload).
    payload: bool = False

    @cached_property
    def values(self) -> tuple[str, ...]:
        return (*self.numbers, *self.choices, *(("payload",) if self.payload else ()))

    @cached_property
    def columns(self) -> tuple[str, ...]:
        return (self.entity, "time", *self.values)

    @cached_property
    def fields(self) -> frozenset[str]:
        return frozenset(self.columns)


MACHINE = Kind(
    "machine",
    "machine_readings",
    "machine_id",
    numbers={"current": (0.0, 100_000.0), "voltage": (0.0, 100_000.0)},
    choices={"state": STATES},
)
BATTERY = Kind(
    "battery",
    "battery_readings",
    "battery_id",
    numbers={
        "voltage": (0.0, 10_000.0),
        "current": (-100_000.0, 100_000.0),  # positive while charging
        "temperature": (-60.0, 150.0),
        "state_of_charge": (0.0, 100.0),
        "state_of_health": (0.0, 100.0),
    },
)
SENSOR = Kind("sensor", "heartbeats", "sensor_id", payload=True)
READING_KINDS = (MACHINE, BATTERY)


@dataclass
class Accepted:
    """Checked rows of one kind, ready for `Store.write` (times are UTC datetimes)."""

    kind: Kind
    rows: list[dict[str, Any]] = field(default_factory=list)


class _Errors:
    def __init__(self) -> None:
        self.fields: dict[str, str] = {}
        self.count = 0
        self.items: set[int] = set()

    def add(self, index: int, name: str | None, problem: str, list_name: str) -> None:
        self.count += 1
        self.items.add(index)
        if len(self.fields) < MAX_FIELD_ERRORS:
            key = f"{list_name}[{index}]" + (f".{name}" if name else "")
            self.fields[key] = problem


def readings(body: Any, known: Mapping[str, Collection[str]], now: datetime) -> dict[str, Accepted]:
    """Machine and battery readings of `{"readings": [...]}`, per table.

    Each reading names its entity by `machine_id` or `battery_id`, which must be
    in `known[that field]`; InvalidInput (with `fields`) when any item is bad.
    """
    items = _items(body, "readings")
    errors = _Errors()
    accepted: dict[str, Accepted] = {}
    for index, item in enumerate(items):
        kind = _kind_of(item, index, errors)
        if kind is None:
            continue
        row = _row(kind, item, index, known, now, errors, "readings")
        if row is not None:
            accepted.setdefault(kind.table, Accepted(kind)).rows.append(row)
    _raise(errors, len(items), "readings")
    return accepted


def heartbeats(
    body: Any, known: Mapping[str, Collection[str]], now: datetime
) -> dict[str, Accepted]:
    """Sensor heartbeats of `{"heartbeats": [...]}` (sensor_id, time, optional payload)."""
    items = _items(body, "heartbeats")
    errors = _Errors()
    accepted = Accepted(SENSOR)
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.add(index, None, "must be a JSON object", "heartbeats")
            continue
        row = _row(SENSOR, item, index, known, now, errors, "heartbeats")
        if row is not None:
            accepted.rows.append(row)
    _raise(errors, len(items), "heartbeats")
    return {SENSOR.table: accepted}


def _items(body: Any, name: str) -> list[Any]:
    example = f'{{"{name}": [{{...}}, ...]}}'
    if not isinstance(body, dict):
        raise InvalidInput(f"the body must be a JSON object {example}", {"body": "not an object"})
    unknown = sorted(set(body) - {name})
    if unknown:
        raise InvalidInput(
            f"unknown field '{unknown[0]}' in the body (it holds only '{name}')",
            {key: "unknown field" for key in unknown[:MAX_FIELD_ERRORS]},
        )
    items = body.get(name)
    if not isinstance(items, list):
        raise InvalidInput(
            f"'{name}' must be a list: {example}", {name: "required, a list of objects"}
        )
    if not items:
        raise InvalidInput(f"'{name}' is empty: send at least one", {name: "empty"})
    if len(items) > MAX_BATCH:
        raise TooLarge(
            f"{len(items):,} {name} in one request; send at most {MAX_BATCH:,} per request",
            {name: f"at most {MAX_BATCH:,} items"},
        )
    return items


def _kind_of(item: Any, index: int, errors: _Errors) -> Kind | None:
    if not isinstance(item, dict):
        errors.add(index, None, "must be a JSON object", "readings")
        return None
    kinds = [k for k in READING_KINDS if k.entity in item]
    if len(kinds) != 1:
        names = " or ".join(k.entity for k in READING_KINDS)
        errors.add(index, None, f"must name exactly one of {names}", "readings")
        return None
    return kinds[0]


def _row(
    kind: Kind,
    item: dict[str, Any],
    index: int,
    known: Mapping[str, Collection[str]],
    now: datetime,
    errors: _Errors,
    list_name: str,
) -> dict[str, Any] | None:
    """The checked row of one item, or None after recording what is wrong with it."""
    before = errors.count

    def bad(name: str | None, problem: str) -> None:
        errors.add(index, name, problem, list_name)

    if not kind.fields.issuperset(item):
        for name in item:
            if name not in kind.fields:
                bad(name, f"unknown field (a {kind.name} item has {', '.join(kind.columns)})")
    row: dict[str, Any] = {}
    entity = item.get(kind.entity)
    if not isinstance(entity, str) or not 0 < len(entity) <= MAX_ID:
        bad(kind.entity, f"required, text of 1 to {MAX_ID} characters")
    elif entity not in known.get(kind.entity, ()):
        bad(kind.entity, f"unknown {kind.name} '{entity}'")
    row[kind.entity] = entity
    row["time"] = _time(item.get("time"), now, lambda problem: bad("time", problem))
    for name, (low, high) in kind.numbers.items():
        value = item.get(name)
        if value is None or (
            isinstance(value, int | float)
            and not isinstance(value, bool)
            and math.isfinite(value)
            and low <= value <= high
        ):
            row[name] = None if value is None else float(value)
        else:
            bad(name, f"must be a number from {low:g} to {high:g}, or null")
    for name, allowed in kind.choices.items():
        value = item.get(name)
        if value is not None and value not in allowed:
            bad(name, f"must be one of {', '.join(allowed)}, or null")
        row[name] = value
    if kind.payload:
        row["payload"] = _payload(item.get("payload"), lambda problem: bad("payload", problem))
    elif errors.count == before and all(row[name] is None for name in kind.values):
        bad(None, f"holds no value: send at least one of {', '.join(kind.values)}")
    return row if errors.count == before else None


def _time(value: Any, now: datetime, bad: Any) -> datetime | None:
    if not isinstance(value, str):
        bad("required, an ISO 8601 time with its UTC offset, like 2026-01-05T10:00:00Z")
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        bad(f"'{value[:40]}' is not an ISO 8601 time (like 2026-01-05T10:00:00Z)")
        return None
    if parsed.tzinfo is None:
        bad("needs its UTC offset (Z or +01:00): a time without one is ambiguous")
        return None
    parsed = parsed.astimezone(UTC)
    if parsed < EARLIEST or parsed > now + FUTURE_TOLERANCE:
        bad(f"must lie between {EARLIEST:%Y-%m-%d} and a few minutes from now")
        return None
    return parsed


def _payload(value: Any, bad: Any) -> str | None:
    if value is None:
        return None
    try:
        text = json.dumps(value, separators=(",", ":"), allow_nan=False)
    except ValueError:
        bad("must be JSON without NaN or Infinity")
        return None
    if len(text) > MAX_PAYLOAD:
        bad(f"at most {MAX_PAYLOAD:,} characters of JSON")
        return None
    return text


def _raise(errors: _Errors, total: int, name: str) -> None:
    if not errors.count:
        return
    listed = len(errors.fields)
    more = f" ({listed} listed in 'fields')" if errors.count > listed else ""
    raise InvalidInput(
        f"{len(errors.items)} of {total:,} {name} are invalid, {errors.count} problems{more}; "
        "nothing was written",
        errors.fields,
    )
