"""The plant pages in a real browser: machine detail, CRUD round trips, not-found views,
and a live refresh that shows a reading written while the page is open."""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver

from data.sql_store import SQLStore
from data.times import utc_now
from tests.browser.conftest import running_server
from tests.browser.helpers import (
    assert_clean_console,
    choose_option,
    css,
    element,
    open_page,
    query,
    text_of,
    wait,
    wait_idle,
    wait_traces,
)

pytestmark = pytest.mark.browser


def pid(kind: str, table: str, **more: str) -> str:
    """The DOM id Dash gives a dictionary id."""
    return json.dumps(
        {"type": f"editor-{kind}", "table": table, **more}, sort_keys=True, separators=(",", ":")
    )


def by_id(driver: WebDriver, element_id: str):
    found = element(driver, element_id)
    assert found is not None, f"no element #{element_id}"
    return found


def click(driver: WebDriver, element_id: str) -> None:
    """Scroll the element to the middle of the window first (at once: Bootstrap scrolls
    smoothly, and a click during the scroll lands where the element was)."""
    found = by_id(driver, element_id)
    driver.execute_script(
        "arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", found
    )
    found.click()


def fill(driver: WebDriver, table: str, values: dict[str, str]) -> None:
    for name, value in values.items():
        box = by_id(driver, pid("field", table, field=name))
        box.send_keys(Keys.CONTROL, "a")
        box.send_keys(Keys.DELETE)
        box.send_keys(value)


def press(driver: WebDriver, kind: str, table: str) -> None:
    click(driver, pid(kind, table))


def message(driver: WebDriver, table: str, wanted: str) -> str:
    return wait(driver).until(
        lambda d: wanted in text_of(d, pid("message", table)) and text_of(d, pid("message", table)),
        f"{table}: the form never said {wanted!r}",
    )


def listed(driver: WebDriver, table: str) -> list[str]:
    rows = by_id(driver, pid("rows", table)).find_elements(By.CSS_SELECTOR, ".editor-row")
    return [row.text for row in rows]


def open_tab(driver: WebDriver, server_url: str, tab: str) -> None:
    open_page(driver, f"{server_url}/machines?tab={tab}")
    wait(driver).until(lambda d: element(d, pid("save", TABLES[tab])), f"no {tab} form")
    wait_idle(driver)


TABLES = {"types": "element_types", "records": "machines", "shifts": "operator_shifts"}


def test_machine_detail_shows_states_durations_and_plots(driver: WebDriver, server_url: str):
    open_page(driver, server_url + "/machines")
    wait(driver).until(lambda d: css(d, "#machines-table a[href='/machines/M3']"), "no M3 link")
    css(driver, "#machines-table a[href='/machines/M3']")[0].click()
    wait(driver).until(lambda d: "(M3)" in text_of(d, "machine-title"), "no M3 title")
    for graph in ("machine-timeline", "machine-current", "machine-voltage"):
        wait(driver).until(
            lambda d, g=graph: css(d, f"#{g} .js-plotly-plot .trace"), f"#{graph} is empty"
        )
    days = text_of(driver, "machine-days-table")
    assert "production" in days and "in production" in days
    shifts = text_of(driver, "machine-shifts-table")
    assert "Night (K. Mensah)" in shifts, shifts  # M3's own shift beside those of every machine
    assert "judged against lathe" in text_of(driver, "machine-info")
    assert_clean_console(driver, "machine M3")


def test_a_typed_range_lives_in_the_url(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/machines/M1")
    wait(driver).until(lambda d: "readings from" in text_of(d, "machine-info"), "no range")
    info = text_of(driver, "machine-info")
    first = pd.Timestamp(info.split("readings from ")[1].split(" to ")[0])
    start, end = first + pd.Timedelta(minutes=10), first + pd.Timedelta(minutes=40)
    for box, value in (("machine-start", start), ("machine-end", end)):
        wait_idle(driver)  # as a person types: the page has drawn the last change
        by_id(driver, box).send_keys(value.strftime("%Y-%m-%d %H:%M:%S"), Keys.ENTER)
    wait(driver).until(lambda d: "1,801 readings" in text_of(d, "machine-info"), "range not read")
    wait(driver).until(lambda d: query(d).get("end") == f"{end:%Y-%m-%d %H:%M:%S}", "URL lost end")
    driver.refresh()
    wait(driver).until(lambda d: "1,801 readings" in text_of(d, "machine-info"), "reload lost it")
    end_box = by_id(driver, "machine-end")
    end_box.send_keys(Keys.CONTROL, "a")
    end_box.send_keys(Keys.DELETE)
    end_box.send_keys("yesterday-ish", Keys.ENTER)
    wait(driver).until(lambda d: "is not a time" in text_of(d, "machine-error"), "no message")
    assert_clean_console(driver, "machine range")


def test_element_type_and_machine_round_trip(driver: WebDriver, server_url: str) -> None:
    open_tab(driver, server_url, "types")
    fill(
        driver,
        "element_types",
        {"type": "grinder", "standard_current": "12", "standard_voltage": "400", "range": "0-16 A"},
    )
    press(driver, "save", "element_types")
    message(driver, "element_types", "Saved element type 'grinder'")
    assert any(r.startswith("grinder 0-16 A 12 400") for r in listed(driver, "element_types"))

    # a refused change names the problem and leaves the row as it was
    fill(driver, "element_types", {"standard_current": "-3"})
    press(driver, "save", "element_types")
    message(driver, "element_types", "standard current must be above 0")
    fill(driver, "element_types", {"range": "x" * 65, "standard_current": "12"})
    press(driver, "save", "element_types")
    message(driver, "element_types", "holds at most 64 characters, got 65")
    open_tab(driver, server_url, "types")
    assert any(r.startswith("grinder 0-16 A 12 400") for r in listed(driver, "element_types"))

    open_tab(driver, server_url, "records")
    fill(driver, "machines", {"machine_id": "M7", "name": "Surface grinder"})
    choose_option(driver, pid("choice", "machines", field="element_type"), "grinder")
    press(driver, "save", "machines")
    message(driver, "machines", "Saved machine 'M7'")
    assert any(r.startswith("M7 Surface grinder") for r in listed(driver, "machines"))
    fill(driver, "machines", {"name": "Surface grinder 1"})
    press(driver, "save", "machines")
    message(driver, "machines", "Saved machine 'M7'")
    assert any(r.startswith("M7 Surface grinder 1") for r in listed(driver, "machines"))

    # the element type is in use: it stays
    open_tab(driver, server_url, "types")
    click(driver, pid("edit", "element_types", key="grinder"))
    wait(driver).until(
        lambda d: (
            by_id(d, pid("field", "element_types", field="type")).get_attribute("value")
            == "grinder"
        ),
        "Edit did not fill the form",
    )
    press(driver, "delete", "element_types")
    message(driver, "element_types", "element type 'grinder' is used by machine(s) M7")

    open_tab(driver, server_url, "records")
    click(driver, pid("edit", "machines", key="M7"))
    wait_idle(driver)
    press(driver, "delete", "machines")
    message(driver, "machines", "Deleted machine 'M7'")
    assert not any(r.startswith("M7 ") for r in listed(driver, "machines"))
    open_tab(driver, server_url, "types")
    click(driver, pid("edit", "element_types", key="grinder"))
    wait_idle(driver)
    press(driver, "delete", "element_types")
    message(driver, "element_types", "Deleted element type 'grinder'")
    open_tab(driver, server_url, "types")
    assert not any(r.startswith("grinder") for r in listed(driver, "element_types"))
    assert_clean_console(driver, "element type and machine round trip")


def test_a_shift_with_bad_times_is_refused_then_saved(driver: WebDriver, server_url: str):
    open_tab(driver, server_url, "shifts")
    before = listed(driver, "operator_shifts")
    fill(
        driver,
        "operator_shifts",
        {"shift_id": "weekend", "name": "Weekend", "start_time": "25:00", "end_time": "18:00"},
    )
    press(driver, "save", "operator_shifts")
    message(driver, "operator_shifts", "'25:00' is not a time of day as HH:MM")
    assert listed(driver, "operator_shifts") == before
    fill(driver, "operator_shifts", {"start_time": "08:00"})
    press(driver, "save", "operator_shifts")
    message(driver, "operator_shifts", "Saved shift 'weekend'")
    open_tab(driver, server_url, "shifts")
    assert any(r.startswith("weekend Weekend") for r in listed(driver, "operator_shifts"))
    click(driver, pid("edit", "operator_shifts", key="weekend"))
    wait_idle(driver)
    press(driver, "delete", "operator_shifts")
    message(driver, "operator_shifts", "Deleted shift 'weekend'")
    assert query(driver).get("tab") == "shifts"
    assert_clean_console(driver, "shift round trip")


def test_a_remark_joins_the_log(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/machines/M2")
    wait(driver).until(lambda d: css(d, "#machine-timeline .trace"), "no timeline")
    for graph in ("machine-current", "machine-voltage"):
        wait_traces(driver, graph)  # drawn: the form below them stays where it is
    wait_idle(driver)
    click(driver, "machine-remark-add")
    wait(driver).until(
        lambda d: "write the remark first" in text_of(d, "machine-remark-error"),
        "an empty remark was not refused",
    )
    by_id(driver, "machine-remark-text").send_keys("Guard door sensor replaced")
    click(driver, "machine-remark-add")
    wait(driver).until(
        lambda d: "Guard door sensor replaced" in text_of(d, "machine-remarks"), "no new remark"
    )
    driver.refresh()
    wait(driver).until(
        lambda d: "Guard door sensor replaced" in text_of(d, "machine-remarks"), "remark lost"
    )
    assert_clean_console(driver, "remark")


@pytest.mark.parametrize(
    ("path", "title", "named"),
    [
        ("/machines/NOPE", "machine-not-found", "unknown machine 'NOPE'"),
        ("/batteries?battery=B99", "batteries-not-found", "unknown battery 'B99'"),
        ("/sensors?sensor=S999", "sensors-not-found", "unknown sensor 'S999'"),
    ],
)
def test_unknown_things_in_the_url_are_not_found(
    driver: WebDriver, server_url: str, path: str, title: str, named: str
) -> None:
    open_page(driver, server_url + path)
    wait(driver).until(lambda d: "not found" in text_of(d, title), f"{path}: no not-found title")
    assert named in text_of(driver, f"{title}-message")
    assert css(driver, "#navbar")
    assert_clean_console(driver, path)


def test_a_battery_and_a_sensor_chosen_by_link(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/batteries")
    wait(driver).until(lambda d: css(d, "a[href='/batteries?battery=B3']"), "no B3 card")
    css(driver, "a[href='/batteries?battery=B3']")[0].click()
    wait(driver).until(lambda d: text_of(d, "batteries-history-title") == "History of B3", "B3?")
    wait_traces(driver, "batteries-soc")
    assert_clean_console(driver, "battery B3")

    open_page(driver, server_url + "/sensors")
    link = wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#sensors-silent-table a"), "no silent sensor"
    )
    sensor = link.text
    link.click()
    wait(driver).until(lambda d: text_of(d, "sensors-title") == f"Sensor {sensor}", "no sensor")
    assert text_of(driver, "sensors-status-value") == "silent"
    assert_clean_console(driver, f"sensor {sensor}")


@pytest.fixture(scope="module")
def live_server() -> Iterator[tuple[str, Path]]:
    """A server refreshing every second, on a store this test can write to."""
    with tempfile.TemporaryDirectory(prefix="vigil-live-") as tmp:
        db = Path(tmp) / "live.db"
        settings = {"backend": f"sqlite:///{db}", "demo_days": 0.05, "page_refresh_seconds": 1}
        with running_server(settings) as url:
            yield url, db


def test_the_pages_follow_new_readings(driver: WebDriver, live_server: tuple[str, Path]) -> None:
    url, db = live_server
    open_page(driver, url + "/machines")
    wait(driver).until(lambda d: css(d, "#machines-table .machines-row"), "no machines")
    store = SQLStore(f"sqlite:///{db}")
    try:
        reading = {
            "machine_id": "M1",
            "time": utc_now(),
            "current": 38.25,
            "voltage": 401.5,
            "state": None,
        }
        store.write("machine_readings", pd.DataFrame([reading]))
        beat = pd.DataFrame([{"sensor_id": "S01", "time": utc_now(), "payload": None}])
        store.write("heartbeats", beat)
    finally:
        store.close()
    wait(driver).until(lambda d: "38.2 A" in text_of(d, "machines-table"), "no new reading")
    row = next(
        r.text for r in css(driver, "#machines-table .machines-row") if r.text.startswith("M1")
    )
    assert "production" in row and "401.5 V" in row and "no data" not in row, row

    open_page(driver, url + "/sensors?sensor=S01")
    wait(driver).until(lambda d: text_of(d, "sensors-status-value") == "sending", "S01 silent")
    assert_clean_console(driver, "live pages")
