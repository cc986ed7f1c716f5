"""Live pages in a real browser: readings ingested over the API reach the Overview
without a reload, after the socket drops, and by polling where websockets are blocked."""

from __future__ import annotations

import json
import urllib.request
from datetime import UTC, datetime

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.helpers import assert_clean_console, css, open_page, text_of, wait

pytestmark = pytest.mark.browser
#: Runs before the page's scripts: as behind a proxy that refuses websockets.
NO_WEBSOCKETS = "window.WebSocket = undefined;"


def ingest(url: str, readings: list[dict]) -> None:
    request = urllib.request.Request(
        url + "/api/v1/readings",
        data=json.dumps({"readings": readings}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201


def state_of_charge(url: str, battery: str, value: float) -> None:
    now = datetime.now(UTC).isoformat()
    ingest(url, [{"battery_id": battery, "time": now, "state_of_charge": value}])


def battery_bar(driver: WebDriver, battery: str) -> str:
    """The label of a battery's bar on the Overview ('' while it re-renders)."""
    for row in css(driver, "#overview-batteries .d-flex"):
        try:
            if row.text.startswith(battery):
                return row.text
        except Exception:  # re-rendered under our feet
            return ""
    return ""


def wait_status(driver: WebDriver, expected: str) -> None:
    wait(driver, 30).until(
        lambda d: text_of(d, "overview-live-status") == expected,
        f"the live badge never said {expected!r}",
    )


def test_the_overview_follows_ingested_readings(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/")
    wait_status(driver, "live")
    for value in (3.0, 97.0, 42.0):  # each reading is seen, in order
        state_of_charge(server_url, "B2", value)
        wait(driver, 15).until(
            lambda d, v=value: f"{v:.0f} %" in battery_bar(d, "B2"),
            f"B2's bar never showed {value:.0f} %",
        )
    assert_clean_console(driver, "live overview")


def test_after_the_socket_drops_it_reconnects_and_updates_resume(
    driver: WebDriver, server_url: str
) -> None:
    open_page(driver, server_url + "/")
    wait_status(driver, "live")
    driver.execute_script("window.vigilLive.dropConnection();")
    wait(driver, 10).until(lambda d: not d.execute_script("return window.vigilLive.isOpen();"))
    wait_status(driver, "live")  # reconnected with backoff, subscribed again
    state_of_charge(server_url, "B3", 11.0)
    wait(driver, 15).until(lambda d: "11 %" in battery_bar(d, "B3"), "no update after reconnect")
    assert_clean_console(driver, "overview after a reconnect")


def test_without_websockets_the_page_polls(driver: WebDriver, server_url: str) -> None:
    driver.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_WEBSOCKETS})
    open_page(driver, server_url + "/")
    wait_status(driver, "polling")
    state_of_charge(server_url, "B4", 7.0)
    wait(driver, 20).until(lambda d: "7 %" in battery_bar(d, "B4"), "polling showed no update")
    assert_clean_console(driver, "overview polling")
