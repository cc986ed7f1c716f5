"""Two gunicorn workers behind one port: every zoom shows the right data.

Each zoom is a new request that either worker may answer; nothing of a
user's series lives in a worker (plotly-resampler keeps it there, its
issue #300), so each answer must equal a fresh read of the store.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from data.sql_store import SQLStore
from tests.browser.conftest import running_server
from tests.browser.helpers import (
    TIME_FORMAT,
    assert_clean_console,
    drawn_series,
    info_counts,
    open_page,
    wait_traces,
    zoom,
)

pytestmark = pytest.mark.browser
MAX_POINTS = 2000  # the default of the `max_points` setting


@pytest.fixture(scope="module")
def two_workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, SQLStore]]:
    backend = f"sqlite:///{tmp_path_factory.mktemp('two-workers') / 'vigil.db'}"
    with running_server({"backend": backend, "demo_days": 0.25}, gunicorn_workers=2) as url:
        store = SQLStore(backend)
        yield url, store
        store.close()


def test_every_zoom_matches_a_fresh_read(
    driver: WebDriver, two_workers: tuple[str, SQLStore]
) -> None:
    url, store = two_workers
    first, _ = store.time_range("machine_readings", {"machine_id": "M1"})
    open_page(driver, f"{url}/explore?table=machine_readings&columns=current&entity=M1")
    wait_traces(driver, "explore-graph")
    # long, short, shifted and nested ranges, as an analyst zooms in and out
    spans = [(0, 300), (30, 90), (40, 45), (41, 42), (60, 240), (10, 20), (0, 359), (100, 101)]
    for start_min, end_min in spans:
        a = (first + timedelta(minutes=start_min)).strftime(TIME_FORMAT)
        b = (first + timedelta(minutes=end_min)).strftime(TIME_FORMAT)
        zoom(driver, a, b)
        expected = store.read(
            "machine_readings", ["current"], a, b, MAX_POINTS, {"machine_id": "M1"}
        )
        _, rows, _ = info_counts(driver)
        assert rows == expected.rows_in_range, f"zoom {a}..{b}"
        ((x, y),) = drawn_series(driver, "explore-graph")
        (series,) = expected.series
        want_x = series.time.as_unit("us").asi8 / 1000.0
        assert np.array_equal(np.array(x), want_x), f"zoom {a}..{b}: other times drawn"
        assert np.allclose(np.array(y), series.values.to_numpy()), f"zoom {a}..{b}: other values"
    assert_clean_console(driver, "explore after zooms on two workers")
