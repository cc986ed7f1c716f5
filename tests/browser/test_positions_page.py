"""The positions page in a real browser: a sample's geoms, a replay that plays and pauses,
a slider that moves the window (kept in the URL), and not-found views for bad URLs."""

from __future__ import annotations

import json
import time

import pytest
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.helpers import (
    assert_clean_console,
    callback_body,
    check_positions,
    css,
    drawn_series,
    element,
    open_page,
    post_json,
    query,
    text_of,
    wait,
)

pytestmark = pytest.mark.browser


def _window(driver: WebDriver) -> int:
    """The number of the window shown ('… (window 3 of 144)' -> 3)."""
    text = text_of(driver, "positions-window")
    try:
        return int(text.split("(window ")[1].split(" of")[0].replace(",", ""))
    except IndexError:
        return 0


def _handle(driver: WebDriver):
    return css(driver, "#positions-slider [role=slider]")[0]


def test_a_sample_replays_and_the_slider_follows(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/positions")
    check_positions(driver)
    assert "tag-01" in text_of(driver, "positions-geoms-table")
    assert _window(driver) == 1
    devices = {name for _, _, name in _labels(driver)}
    assert {"tag-01", "tag-02", "tag-03"} <= devices, devices
    trails = [x for x, _ in drawn_series(driver, "positions-floor") if len(x) > 1]
    assert trails and all(len(x) <= 26 for x in trails), "a window holds 25 s at 1 Hz"
    before = _handle(driver).get_attribute("aria-valuenow")

    element(driver, "positions-play").click()
    wait(driver).until(lambda d: text_of(d, "positions-play") == "Pause", "never played")
    wait(driver, 20).until(lambda d: _window(d) >= 3, "the replay did not advance")
    wait(driver).until(
        lambda d: _handle(d).get_attribute("aria-valuenow") != before, "slider did not move"
    )
    element(driver, "positions-play").click()
    wait(driver).until(lambda d: text_of(d, "positions-play") == "Play", "never paused")
    paused = _window(driver)
    time.sleep(2.5)  # two and a half ticks: a replay still playing would move on
    assert _window(driver) in (paused, paused + 1), "still playing after pause"
    paused = _window(driver)
    at = query(driver).get("at")
    assert at and query(driver).get("environment") == "E1" and query(driver).get("date"), query(
        driver
    )

    _handle(driver).send_keys(Keys.ARROW_RIGHT)
    wait(driver).until(lambda d: _window(d) == paused + 1, "the slider key did not move on")
    wait(driver).until(lambda d: query(d).get("at") != at, "the URL kept the old window")
    moved = driver.current_url
    driver.get(moved)  # a shared link shows the same window
    wait(driver).until(lambda d: _window(d) == paused + 1, "the link lost the window")
    assert_clean_console(driver, "positions replay")


def _labels(driver: WebDriver) -> list[tuple[float, float, str]]:
    return driver.execute_script(
        "const gd = document.querySelector('#positions-floor .js-plotly-plot');"
        "return gd.data.filter(t => t.text).map(t => [t.x[0], t.y[0], t.text[0]]);"
    )


@pytest.mark.parametrize(
    "path, says",
    [
        ("/positions?environment=NOPE", "unknown environment 'NOPE'"),
        (
            "/positions?environment=E1&date=1999-01-01",
            "no sample for environment 'E1' on 1999-01-01",
        ),
        ("/positions?environment=E1&date=tuesday", "'tuesday' is not a day"),
    ],
)
def test_unknown_environments_and_days_are_not_found(
    driver: WebDriver, server_url: str, path: str, says: str
) -> None:
    open_page(driver, server_url + path)
    wait(driver).until(lambda d: element(d, "positions-not-found"), "no not-found view")
    assert says in text_of(driver, "positions-not-found-message")
    assert_clean_console(driver, path)


@pytest.mark.parametrize(
    "meta",
    [
        "not a replay",
        {"sample_id": "E1-x", "windows": "many"},
        {"environment": "E1", "day": "d", "sample_id": "s", "devices": [{"$ne": 1}], "windows": 3},
        {"environment": "E1", "day": "d", "sample_id": "s", "devices": [], "windows": 2},
    ],
)
def test_a_crafted_replay_state_draws_nothing_and_errs_nowhere(server_url: str, meta) -> None:
    values = {"positions-slider": "x", "positions-meta": meta}
    status, answer = post_json(
        server_url + "/_dash-update-component",
        callback_body(server_url, "positions-floor.figure", values),
    )
    assert status == 200
    assert answer["response"]["positions-floor"]["figure"]["data"] == []
    assert "No coordinates" in json.dumps(answer["response"]["positions-window"])
