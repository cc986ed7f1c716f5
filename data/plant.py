"""The plant's reference data (seed 002): element types, machines, operator shifts, remarks.

Rows go through the Store's records API, which checks names, types and
lengths; this module adds the rules of the domain (a standard current above
zero, a machine's element type that exists, shift times as HH:MM, nothing
deleted that another row still names) and the views the machine pages read.
Callers that change something check the user's role first (auth.require).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd

from analytics.machine_state import NO_DATA, Shift, Thresholds, classify, parse_clock
from data.feedback import new_event_id
from data.store import Store
from data.times import as_utc, utc_now
from errors import Conflict, InvalidInput, NotFound

#: The tables the machine pages edit, and their key column.
EDITABLE = {"element_types": "type", "machines": "machine_id", "operator_shifts": "shift_id"}
MAX_REMARK = 2000
#: Most readings the state timeline classifies at once (about 2.3 days at 1 s).
MAX_STATE_READINGS = 200_000


@dataclass(frozen=True)
class MachineStatus:
    """A machine with its latest reading and the state that reading shows."""

    machine: dict[str, Any]
    standard: dict[str, Any] | None  # its element type, when it has a known one
    time: datetime | None
    current: float | None
    voltage: float | None
    #: The latest reading's state: off / idle / production, NO_DATA without a reading,
    #: "unknown" without a standard to judge it by.
    state: str
    #: The latest reading is older than the reading gap: the state now is not known.
    stale: bool = False


# -- checks ------------------------------------------------------------------------
def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _check(store: Store, table: str, row: Mapping[str, Any]) -> None:
    """The domain's rules for a row about to be saved; InvalidInput naming the field."""
    if table not in EDITABLE:
        raise InvalidInput(f"table '{table}' is not edited here")
    if table == "element_types":
        for name in ("standard_current", "standard_voltage"):
            value = row.get(name)
            if isinstance(value, int | float) and not isinstance(value, bool) and value <= 0:
                raise InvalidInput(f"{name.replace('_', ' ')} must be above 0")
    if table == "machines":
        if _blank(row.get("name")):
            raise InvalidInput("a machine needs a name")
        capacity = row.get("capacity_in_amp")
        if isinstance(capacity, int | float) and not isinstance(capacity, bool) and capacity < 0:
            raise InvalidInput("capacity in amp cannot be negative")
        kind = row.get("element_type")
        if not _blank(kind) and not store.rows("element_types", where={"type": kind}, limit=1):
            raise InvalidInput(f"unknown element type '{kind}': add it first")
    if table == "operator_shifts":
        if _blank(row.get("name")):
            raise InvalidInput("a shift needs a name")
        try:
            start = parse_clock(row.get("start_time"))
            end = parse_clock(row.get("end_time"))
        except ValueError as exc:
            raise InvalidInput(f"shift times: {exc}") from None
        if start == end:
            raise InvalidInput("a shift cannot start and end at the same time")
        machine = row.get("machine_id")
        if not _blank(machine) and not store.rows(
            "machines", where={"machine_id": machine}, limit=1
        ):
            raise InvalidInput(f"unknown machine '{machine}'")


def _in_use(store: Store, table: str, key: str) -> str | None:
    """Why a row cannot go: the rows that still name it."""
    if table == "element_types":
        users = store.rows("machines", where={"element_type": key}, limit=5)
        if users:
            names = ", ".join(m["machine_id"] for m in users)
            return f"element type '{key}' is used by machine(s) {names}"
    if table == "machines":
        users = store.rows("operator_shifts", where={"machine_id": key}, limit=5)
        if users:
            names = ", ".join(s["shift_id"] for s in users)
            return f"machine '{key}' is named by shift(s) {names}"
    return None


# -- editing -----------------------------------------------------------------------
def save(store: Store, table: str, values: Mapping[str, Any], new: bool) -> dict[str, Any]:
    """Add (`new`) or change one row after the domain's checks; returns it as stored."""
    key = EDITABLE.get(table)
    if key is None:
        raise InvalidInput(f"table '{table}' is not edited here")
    values = dict(values)
    if new:
        _check(store, table, values)
        return store.insert_row(table, values)
    if key not in values or _blank(values[key]):
        raise InvalidInput(f"choose the {key.replace('_', ' ')} to change")
    current = store.rows(table, where={key: values[key]}, limit=1)
    if not current:
        raise NotFound(f"no {table[:-1].replace('_', ' ')} '{values[key]}' to change")
    _check(store, table, {**current[0], **values})
    changes = {k: v for k, v in values.items() if k != key}
    return store.update_row(table, {key: values[key]}, changes)


def delete(store: Store, table: str, key_value: str) -> None:
    key = EDITABLE.get(table)
    if key is None:
        raise InvalidInput(f"table '{table}' is not edited here")
    reason = _in_use(store, table, key_value)
    if reason:
        raise Conflict(f"{reason}: change or delete those first")
    store.delete_row(table, {key: key_value})


# -- reading -----------------------------------------------------------------------
def machine(store: Store, machine_id: str) -> dict[str, Any]:
    found = store.rows("machines", where={"machine_id": machine_id}, limit=1)
    if not found:
        raise NotFound(f"unknown machine '{machine_id}'")
    return found[0]


def standard_of(store: Store, record: Mapping[str, Any]) -> dict[str, Any] | None:
    kind = record.get("element_type")
    if _blank(kind):
        return None
    found = store.rows("element_types", where={"type": kind}, limit=1)
    return found[0] if found else None


def statuses(
    store: Store, thresholds: Thresholds, now: datetime | None = None
) -> list[MachineStatus]:
    """Every machine with its latest reading judged against its element type."""
    now = as_utc(now or utc_now())
    machines = store.rows("machines", order_by=["machine_id"], limit=10_000)
    standards = {t["type"]: t for t in store.rows("element_types", limit=10_000)}
    latest = store.latest("machine_readings", "machine_id", ["current", "voltage"])
    by_id = {row.machine_id: row for row in latest.itertuples()}
    found = []
    for record in machines:
        standard = standards.get(record.get("element_type") or "")
        reading = by_id.get(record["machine_id"])
        if reading is None:
            found.append(MachineStatus(record, standard, None, None, None, NO_DATA))
            continue
        at = reading.time.to_pydatetime()
        current, voltage = _float(reading.current), _float(reading.voltage)
        stale = now - at > timedelta(seconds=thresholds.gap_seconds)
        if standard is None:
            state = "unknown"
        else:
            state = str(
                classify(
                    [_nan(current)],
                    [_nan(voltage)],
                    standard["standard_current"],
                    standard["standard_voltage"],
                    thresholds,
                )[0]
            )
        found.append(MachineStatus(record, standard, at, current, voltage, state, stale))
    return found


def unregistered(store: Store, known: list[str]) -> list[str]:
    """Machines that send readings but have no record."""
    sending = store.distinct("machine_readings", "machine_id")
    return sorted(set(sending) - set(known))


def shifts_for(store: Store, machine_id: str) -> list[Shift]:
    """The shifts of one machine: its own and those of every machine."""
    rows = store.rows("operator_shifts", order_by=["start_time"], limit=1000)
    shifts = []
    for row in rows:
        if row["machine_id"] not in (None, "", machine_id):
            continue
        label = row["name"] + (f" ({row['operator']})" if row.get("operator") else "")
        shifts.append(Shift(label, parse_clock(row["start_time"]), parse_clock(row["end_time"])))
    return shifts


def readings_for_states(
    store: Store, machine_id: str, start: datetime, end: datetime
) -> pd.DataFrame:
    """Every reading of the range (time, current, voltage): the states need them all."""
    read = store.read(
        "machine_readings",
        ["current", "voltage"],
        start,
        end,
        MAX_STATE_READINGS,
        {"machine_id": machine_id},
    )
    if read.downsampled:
        raise InvalidInput(
            f"the state timeline classifies every reading: this range holds "
            f"{read.rows_in_range:,}, choose one of at most {MAX_STATE_READINGS:,}"
        )
    current, voltage = read.series
    return pd.DataFrame(
        {
            "time": current.time,
            "current": current.values.to_numpy(float),
            "voltage": voltage.values.to_numpy(float),
        }
    )


def remarks(store: Store, machine_id: str, limit: int = 200) -> list[dict[str, Any]]:
    return store.rows(
        "machine_remarks", where={"machine_id": machine_id}, order_by=["-time"], limit=limit
    )


def add_remark(
    store: Store, machine_id: str, text: str, author: str, at: datetime | str | None = None
) -> dict[str, Any]:
    """A remark about the machine at `at` (now when not given)."""
    machine(store, machine_id)
    if not isinstance(text, str) or not text.strip():
        raise InvalidInput("write the remark first")
    if len(text) > MAX_REMARK:
        raise InvalidInput(f"a remark holds at most {MAX_REMARK} characters, got {len(text)}")
    created = utc_now()
    return store.insert_row(
        "machine_remarks",
        {
            "remark_id": new_event_id(created),
            "machine_id": machine_id,
            "time": created if at in (None, "") else as_utc(at),
            "author": author,
            "text": text.strip(),
            "created": created,
        },
    )


def _float(value: Any) -> float | None:
    return None if value is None or pd.isna(value) else float(value)


def _nan(value: float | None) -> float:
    return np.nan if value is None else value
