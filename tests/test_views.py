"""Filling the gaps of a requested chart: defaults, and refusals before any query."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import pytest

from data.store import Store
from data.views import choose, plottable_tables
from errors import InvalidInput, NotFound
from tests.conftest import START, machine_frame


@pytest.fixture
def filled(store: Store) -> Store:
    store.write("machine_readings", machine_frame("M2", 60))
    store.write("machine_readings", machine_frame("M1", 30))
    return store


def test_only_series_tables_are_offered(filled: Store) -> None:
    tables = plottable_tables(filled)
    assert "machine_readings" in tables and "battery_readings" in tables
    assert not {"anomalies", "machines", "anomaly_feedback"} & set(tables)


def test_defaults_fill_table_columns_entity_and_range(filled: Store) -> None:
    choice = choose(filled, None, None, None, None, None, ["voltage", "nope"])
    assert choice.table == "machine_readings"
    assert choice.columns == ["voltage"]
    assert (choice.entity_column, choice.entities, choice.entity) == (
        "machine_id",
        ["M1", "M2"],
        "M1",
    )
    assert (choice.start, choice.end) == (START, START + timedelta(seconds=29))


def test_a_given_range_is_kept(filled: Store) -> None:
    choice = choose(filled, "machine_readings", ["current"], "M2", "2026-01-05 00:00:10", None, [])
    assert choice.start == pd.Timestamp("2026-01-05 00:00:10", tz="UTC")
    assert choice.end == START + timedelta(seconds=59)


@pytest.mark.parametrize(
    ("table", "columns", "entity", "error", "message"),
    [
        ("nope", None, None, NotFound, "unknown table 'nope'"),
        ("anomalies", None, None, InvalidInput, "no time series"),
        ("machine_readings", ["state"], None, NotFound, "unknown column 'state'"),
        ("machine_readings", ["current"], "M9", NotFound, "unknown machine_id 'M9'"),
    ],
)
def test_unknown_names_are_refused(
    filled: Store,
    table: str,
    columns: list[str] | None,
    entity: str | None,
    error: type,
    message: str,
) -> None:
    with pytest.raises(error, match=message):
        choose(filled, table, columns, entity, None, None, [])
