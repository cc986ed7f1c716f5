"""Every page in a real browser: it renders, its state lives in the URL, the console stays clean.

A callback answering 4xx/5xx shows up in the console as a SEVERE entry
("Failed to load resource: ... status of 500"), so "no SEVERE entry" also
means "no server error behind the page".
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.helpers import (
    PAGE_CHECKS,
    TIME_FORMAT,
    assert_clean_console,
    check_explore,
    choose_option,
    css,
    info_counts,
    open_page,
    query,
    severe,
    text_of,
    value_of,
    wait,
    wait_idle,
    wait_traces,
    zoom,
)

pytestmark = pytest.mark.browser

# --- tests -------------------------------------------------------------------------------


def test_every_navbar_page_renders(driver: WebDriver, server_url: str, subtests) -> None:
    open_page(driver, server_url + "/")
    links = wait(driver).until(
        lambda d: [a.get_attribute("href") for a in css(d, "#navbar-links a.nav-link")],
        "the navbar has no links",
    )
    paths = [urlsplit(href).path or "/" for href in links]
    assert set(PAGE_CHECKS) <= set(paths), f"navbar links {paths} miss a known page"
    severe(driver)  # only each page's own entries count below
    for path in paths:
        with subtests.test(msg=path):
            open_page(driver, server_url + path)
            check = PAGE_CHECKS.get(path)
            if check:
                check(driver)
            assert not css(driver, "#not-found-title"), f"{path} renders the 404 page"
            errors = [e.text for e in css(driver, ".vigil-error")]
            assert not errors, f"{path} shows errors: {errors}"
            active = [
                urlsplit(a.get_attribute("href")).path
                for a in css(driver, "#navbar-links a.nav-link.active")
            ]
            assert active == [path], f"{path}: active navbar links are {active}"
            assert_clean_console(driver, path)


def test_unknown_path_renders_404(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/no/such/page")
    title = wait(driver).until(lambda d: text_of(d, "not-found-title"), "no 404 title")
    assert "not found" in title.lower()
    assert css(driver, "#navbar"), "the 404 page lost the navbar"
    assert_clean_console(driver, "404 page")


def test_anomaly_row_opens_its_detail(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/anomalies")
    row = wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#anomalies-list tr.anomalies-row"),
        "no anomaly row",
    )
    anomaly_id = row.find_element(By.CSS_SELECTOR, "td").text
    row.click()
    wait(driver).until(lambda d: query(d).get("id") == anomaly_id, "the URL did not get the id")
    title = wait(driver).until(lambda d: text_of(d, "anomalies-detail-title"), "no detail card")
    assert anomaly_id in title
    wait_traces(driver, "anomalies-context-graph")
    # add_vrect(layer="below") is drawn as a filled path in the plot's lower shape layer.
    shaded = wait(driver).until(
        lambda d: css(d, "#anomalies-context-graph .layer-below .shapelayer path"),
        "the anomaly's region is not shaded",
    )
    fill = shaded[0].value_of_css_property("fill")
    assert fill.replace(" ", "") == "rgb(231,76,60)", f"unexpected shading colour {fill}"
    assert css(driver, "#anomalies-list .anomalies-row"), "the list vanished under the detail"
    assert_clean_console(driver, "anomaly detail")


def test_explore_state_lives_in_the_url(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/explore")
    check_explore(driver)
    wait(driver).until(lambda d: query(d).get("table") == "machine_readings", "no table in URL")
    before = text_of(driver, "explore-info")

    choose_option(driver, "explore-table", "battery_readings")
    wait(driver).until(
        lambda d: (
            query(d).get("table") == "battery_readings"
            and query(d).get("entity", "").startswith("B")
        ),
        f"the URL did not follow the table: {driver.current_url}",
    )
    wait(driver).until(lambda d: text_of(d, "explore-info") not in ("", before), "no new graph")
    wait_traces(driver, "explore-graph")
    wait_idle(driver)
    assert not css(driver, "#explore-error"), text_of(driver, "explore-error")
    url = driver.current_url
    shown = text_of(driver, "explore-info")
    assert_clean_console(driver, "explore, table changed")

    driver.refresh()
    check_explore(driver)
    assert text_of(driver, "explore-table") == "battery_readings"
    wait(driver).until(lambda d: text_of(d, "explore-info") == shown, "another graph on reload")
    wait_idle(driver)
    assert query(driver) == parse_qs_flat(url), "reloading changed the URL's state"
    assert_clean_console(driver, "explore, reloaded")


def parse_qs_flat(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


@pytest.mark.parametrize(
    ("search", "named"),
    [
        ("table=nope", "nope"),
        ("table=machine_readings&columns=nope", "nope"),
        ("table=machine_readings&columns=current,nope_either", "nope_either"),
    ],
)
def test_explore_names_unknown_things(
    driver: WebDriver, server_url: str, search: str, named: str
) -> None:
    open_page(driver, f"{server_url}/explore?{search}")
    message = wait(driver).until(lambda d: text_of(d, "explore-error"), "no explore-error alert")
    assert f"'{named}'" in message
    assert "vigil-error" in driver.find_element(By.ID, "explore-error").get_attribute("class")
    assert_clean_console(driver, f"explore?{search}")


def test_explore_zoom_reads_the_range_again(driver: WebDriver, server_url: str) -> None:
    open_page(driver, server_url + "/explore?table=machine_readings")
    check_explore(driver)
    wait_idle(driver)
    _, rows_before, _ = info_counts(driver)
    start = datetime.strptime(value_of(driver, "explore-start"), TIME_FORMAT)
    end = datetime.strptime(value_of(driver, "explore-end"), TIME_FORMAT)
    assert end - start > timedelta(hours=2), "the demo is too short to zoom into one hour"
    first = (start + (end - start) / 2).replace(microsecond=0)
    last = first + timedelta(hours=1)
    a, b = first.strftime(TIME_FORMAT), last.strftime(TIME_FORMAT)
    zoom(driver, a, b)
    wait(driver).until(
        lambda d: (query(d).get("start"), query(d).get("end")) == (a, b),
        "the URL did not follow the zoom",
    )
    points, rows, how = info_counts(driver)
    assert rows < rows_before, f"zoomed read {rows} rows, the whole range {rows_before}"
    assert how == "every row" or points < rows, text_of(driver, "explore-info")
    wait_traces(driver, "explore-graph")
    assert not css(driver, "#explore-error"), text_of(driver, "explore-error")
    assert_clean_console(driver, "explore, zoomed")
