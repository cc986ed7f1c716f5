"""The machine and battery pages in a real browser follow readings ingested over the API
without a reload: the latest values change, the plots grow by the new points (extended in
the browser: the timer does not redraw them)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.helpers import assert_clean_console, css, drawn_series, open_page, text_of, wait
from tests.browser.test_live import ingest

pytestmark = pytest.mark.browser


def _now(offset_s: float = 0.0) -> str:
    return (datetime.now(UTC) + timedelta(seconds=offset_s)).isoformat()


def _last_point(driver: WebDriver, graph_id: str) -> tuple[int, float | None]:
    """How many points the graph's first trace holds, and its last y."""
    try:
        x, y = drawn_series(driver, graph_id)[0]
    except Exception:  # redrawn under our feet, or not drawn yet
        return 0, None
    return len(x), (y[-1] if y else None)


def _wait_live(driver: WebDriver, feed: str) -> None:
    wait(driver).until(lambda d: text_of(d, f"{feed}-status") == "live", f"{feed} never live")


def test_the_machine_page_follows_ingested_readings(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/machines/M2")
    _wait_live(driver, "machine-live")
    wait(driver).until(lambda d: _last_point(d, "machine-current")[0] > 0, "no current plot")
    for step, (current, voltage) in enumerate(((12.75, 398.25), (31.5, 402.75))):
        before, _ = _last_point(driver, "machine-current")
        ingest(
            server_url,
            [{"machine_id": "M2", "time": _now(60 + step), "current": current, "voltage": voltage}],
        )
        wait(driver, 15).until(
            lambda d, c=current, n=before: _last_point(d, "machine-current") == (n + 1, c),
            f"the current plot never grew by {current}",
        )
        wait(driver, 15).until(
            lambda d, v=voltage: _last_point(d, "machine-voltage")[1] == v,
            f"the voltage plot never showed {voltage}",
        )
        wait(driver, 15).until(
            lambda d, c=current: f"{c:.1f} A" in text_of(d, "machine-latest"),
            "the latest reading line never changed",
        )
    assert_clean_console(driver, "live machine page")


def test_the_machines_list_shows_ingested_readings(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/machines")
    _wait_live(driver, "machines-live")
    ingest(server_url, [{"machine_id": "M4", "time": _now(120), "current": 7.25, "voltage": 233}])

    def m4_row(d: WebDriver) -> str:
        for row in css(d, "#machines-table .machines-row"):
            try:
                if row.text.startswith("M4"):
                    return row.text
            except Exception:  # re-rendered under our feet
                return ""
        return ""

    wait(driver, 15).until(lambda d: "7.2 A" in m4_row(d) and "233.0 V" in m4_row(d), "no M4")
    assert_clean_console(driver, "live machines list")


def test_the_batteries_page_follows_ingested_readings(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/batteries?battery=B1")
    _wait_live(driver, "batteries-live")
    wait(driver).until(lambda d: _last_point(d, "batteries-temperature")[0] > 0, "no history")
    before, _ = _last_point(driver, "batteries-temperature")
    reading = {
        "battery_id": "B1",
        "time": _now(60),
        "voltage": 51.25,
        "current": -3.5,
        "temperature": 33.25,
        "state_of_charge": 64.0,
        "state_of_health": 91.5,
    }
    ingest(server_url, [reading])
    wait(driver, 15).until(
        lambda d: _last_point(d, "batteries-temperature") == (before + 1, 33.25),
        "the temperature plot never grew by the new reading",
    )
    for graph, value in (("batteries-soc", 64.0), ("batteries-voltage", 51.25)):
        wait(driver, 15).until(lambda d, g=graph, v=value: _last_point(d, g)[1] == v, graph)
    wait(driver, 15).until(
        lambda d: (
            "33.2 °C" in text_of(d, "batteries-cards") or "33.3 °C" in text_of(d, "batteries-cards")
        ),
        "B1's card never showed the new temperature",
    )
    assert_clean_console(driver, "live batteries page")
