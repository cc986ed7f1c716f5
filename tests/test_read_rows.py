"""Store.read_rows: every raw row of a range in bounded chunks, on every backend."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pandas as pd
import pytest

from data.store import Store
from errors import InvalidInput, NotFound
from tests.conftest import START, machine_frame


def test_every_row_of_the_range_comes_once_in_order_in_bounded_chunks(store: Store) -> None:
    m1, m2 = machine_frame("M1", 1200, seed=1), machine_frame("M2", 1200, seed=2)
    m1.loc[5, "voltage"] = np.nan
    store.write("machine_readings", pd.concat([m1, m2]))
    start, end = START + timedelta(seconds=100), START + timedelta(seconds=1099)
    chunks = list(
        store.read_rows(
            "machine_readings", ["current", "voltage"], start, end, {"machine_id": "M1"}, 250
        )
    )
    assert chunks and all(0 < len(c) <= 250 for c in chunks)
    rows = pd.concat(chunks)
    expected = m1.set_index("time").loc[start:end, ["current", "voltage"]]
    assert len(rows) == 1000 and rows.index.is_monotonic_increasing
    assert list(rows.index) == list(expected.index)  # both ends of the range included
    np.testing.assert_allclose(rows.to_numpy(), expected.to_numpy(), rtol=1e-12)
    whole = pd.concat(store.read_rows("machine_readings", ["voltage"], START, end, None))
    assert len(whole) == 2 * 1100 and whole["voltage"].isna().sum() == 1


def test_an_empty_range_yields_no_chunks(store: Store) -> None:
    store.write("machine_readings", machine_frame("M1", 60))
    later = START + timedelta(days=1)
    assert list(store.read_rows("machine_readings", ["current"], later, later + timedelta(1))) == []


@pytest.mark.parametrize(
    ("args", "error", "message"),
    [
        (("nope", ["current"]), NotFound, "unknown table 'nope'"),
        (("machine_readings", ["nope"]), NotFound, "unknown column 'nope'"),
        (("machine_readings", ["state"]), InvalidInput, "'state'.*label column"),
        (("machine_readings", []), InvalidInput, "at least one column"),
    ],
)
def test_bad_names_are_refused_at_the_call(
    store: Store, args: tuple[str, list[str]], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        store.read_rows(*args, START, START + timedelta(hours=1))  # not even iterated


def test_bad_ranges_and_chunk_sizes_are_refused(store: Store) -> None:
    with pytest.raises(InvalidInput, match="end of the range must come after"):
        store.read_rows("machine_readings", ["current"], START, START)
    with pytest.raises(InvalidInput, match="chunk_rows must be a positive integer"):
        store.read_rows("machine_readings", ["current"], START, START + timedelta(1), None, 0)
    with pytest.raises(NotFound, match="unknown column 'x'"):
        store.read_rows("machine_readings", ["current"], START, START + timedelta(1), {"x": "1"})
