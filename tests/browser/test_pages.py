"""Every page in a real browser: it renders, its state lives in the URL, the console stays clean.

A callback answering 4xx/5xx shows up in the console as a SEVERE entry
("Failed to load resource: ... status of 500"), so "no SEVERE entry" also
means "no server error behind the page".
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

pytestmark = pytest.mark.browser

TIMEOUT = 30  # seconds for anything the page has to fetch and draw
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
TRACES = "#{} .js-plotly-plot .scatterlayer .trace"
INFO = re.compile(r"([\d,]+) points drawn from ([\d,]+) rows, (downsampled in the store|every row)")

GRAPH_READY = """
const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');
return !!gd && !gd.classList.contains('dash-graph--pending') && !!gd._fullLayout
  && !!gd._ev && gd._ev.listeners('plotly_relayout').length > 0;
"""


# --- helpers -----------------------------------------------------------------------------


class Wait(WebDriverWait):
    """WebDriverWait whose timeout says where the page stood: URL, info line, errors."""

    def until(self, method, message: str = ""):  # type: ignore[override]
        try:
            return super().until(method, message)
        except TimeoutException:
            state = page_state(self._driver)
            raise AssertionError(f"{message} (after {self._timeout} s)\n{state}") from None


def wait(driver: WebDriver, timeout: float = TIMEOUT) -> Wait:
    return Wait(driver, timeout, poll_frequency=0.1)


def page_state(driver: WebDriver) -> str:
    try:
        errors = [e.text for e in css(driver, ".vigil-error")]
        return (
            f"  url: {driver.current_url}\n"
            f"  explore-start/end: {value_of(driver, 'explore-start')!r} "
            f"{value_of(driver, 'explore-end')!r}\n"
            f"  explore-info: {text_of(driver, 'explore-info')!r}\n"
            f"  errors shown: {errors}"
        )
    except Exception as exc:  # the state is a courtesy; never hide the real failure
        return f"  (page state unavailable: {exc})"


def wait_idle(driver: WebDriver, quiet_ms: int = 400) -> None:
    """Wait until no fetch has been pending for `quiet_ms` (callbacks have settled).

    The `driver` fixture counts each document's fetches in window.__vigilPending.
    """
    script = (
        "return window.__vigilPending === 0 && "
        f"performance.now() - window.__vigilLastDone > {quiet_ms};"
    )
    wait(driver).until(lambda d: d.execute_script(script), "the page kept fetching")


def css(driver: WebDriver, selector: str) -> list:
    return driver.find_elements(By.CSS_SELECTOR, selector)


def text_of(driver: WebDriver, element_id: str) -> str:
    """The element's text, '' while it is missing or being re-rendered."""
    try:
        found = driver.find_elements(By.ID, element_id)
        return found[0].text if found else ""
    except StaleElementReferenceException:
        return ""


def value_of(driver: WebDriver, element_id: str) -> str:
    return driver.execute_script(
        "const e = document.getElementById(arguments[0]); return e ? e.value : null;", element_id
    )


def query(driver: WebDriver) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(driver.current_url).query).items()}


def severe(driver: WebDriver) -> list[dict]:
    """Console entries of level SEVERE since the last call (reading drains the log)."""
    return [e for e in driver.get_log("browser") if e.get("level") == "SEVERE"]


def assert_clean_console(driver: WebDriver, where: str) -> None:
    wait_idle(driver)
    errors = severe(driver)
    listed = "\n".join(f"  [{e.get('source')}] {e.get('message')}" for e in errors)
    assert not errors, f"{where}: SEVERE console entries:\n{listed}"


def open_page(driver: WebDriver, url: str) -> None:
    driver.get(url)
    wait(driver).until(
        lambda d: d.execute_script(
            "const c = document.getElementById('_pages_content');"
            "return c !== null && c.children.length > 0;"
        ),
        f"{url}: Dash rendered no page content",
    )


def wait_traces(driver: WebDriver, graph_id: str) -> None:
    """Wait until the graph has drawn traces and dcc.Graph listens to its events again.

    dcc.Graph marks the plot `dash-graph--pending` while Plotly.react runs and
    binds its plotly_relayout handler only afterwards; a zoom in that gap is lost.
    """
    wait(driver).until(lambda d: css(d, TRACES.format(graph_id)), f"#{graph_id} drew no trace")
    wait(driver).until(
        lambda d: d.execute_script(GRAPH_READY, graph_id), f"#{graph_id} never settled"
    )


def info_counts(driver: WebDriver) -> tuple[int, int, str]:
    """(points, rows, how) from explore-info, waiting until it says something."""
    text = wait(driver).until(
        lambda d: INFO.search(text_of(d, "explore-info")) and text_of(d, "explore-info"),
        "explore-info reported nothing",
    )
    points, rows, how = INFO.search(text).groups()
    return int(points.replace(",", "")), int(rows.replace(",", "")), how


def choose_option(driver: WebDriver, dropdown_id: str, value: str) -> None:
    """Pick an option in a Dash 4 dcc.Dropdown (a button opening a listbox of labels)."""
    driver.find_element(By.ID, dropdown_id).click()
    option = wait(driver, 10).until(
        lambda d: d.find_element(
            By.XPATH,
            f"//*[@role='listbox']//label[@role='option'][.//input[@value='{value}']]",
        ),
        f"#{dropdown_id} offers no option {value!r}",
    )
    option.click()


# --- the checks for each page of the navbar ----------------------------------------------


def check_overview(driver: WebDriver) -> None:
    for card in ("machines", "batteries", "sensors", "anomalies"):
        wait(driver).until(
            lambda d, card=card: re.search(r"\d", text_of(d, f"overview-{card}-value")),
            f"card overview-{card} shows no number",
        )
        assert css(driver, f"#overview-{card}.card"), f"overview-{card} is not a card"


def check_explore(driver: WebDriver) -> None:
    wait_traces(driver, "explore-graph")
    info_counts(driver)
    for element_id in ("explore-table", "explore-columns", "explore-entity", "explore-scale"):
        assert css(driver, f"#{element_id}"), f"#{element_id} is missing"
    for element_id in ("explore-start", "explore-end"):
        wait(driver).until(lambda d, i=element_id: value_of(d, i), f"#{element_id} is empty")
    assert not css(driver, "#explore-error")


def check_anomalies(driver: WebDriver) -> None:
    wait(driver).until(lambda d: css(d, "#anomalies-list .anomalies-row"), "no anomaly rows")
    wait(driver).until(lambda d: re.search(r"\d", text_of(d, "anomalies-counts")), "no counts")
    for element_id in ("anomalies-table", "anomalies-status", "anomalies-entity"):
        assert css(driver, f"#{element_id}"), f"#{element_id} is missing"


PAGE_CHECKS: dict[str, Callable[[WebDriver], None]] = {
    "/": check_overview,
    "/explore": check_explore,
    "/anomalies": check_anomalies,
}


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
                urlsplit(a.get_attribute("href")).path for a in css(driver, "a.nav-link.active")
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
    link = wait(driver).until(
        lambda d: d.find_element(By.CSS_SELECTOR, "#anomalies-list .anomalies-row td a"),
        "no anomaly row with a link",
    )
    anomaly_id = link.text
    link.click()
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
    info = text_of(driver, "explore-info")

    wait_traces(driver, "explore-graph")  # a zoom before dcc.Graph listens is lost
    driver.execute_script(
        "Plotly.relayout(document.querySelector('#explore-graph .js-plotly-plot'),"
        " {'xaxis.range[0]': arguments[0], 'xaxis.range[1]': arguments[1]});",
        a,
        b,
    )
    wait(driver).until(
        lambda d: (value_of(d, "explore-start"), value_of(d, "explore-end")) == (a, b),
        "explore-start/explore-end did not follow the zoom",
    )
    wait(driver).until(
        lambda d: (query(d).get("start"), query(d).get("end")) == (a, b),
        "the URL did not follow the zoom",
    )
    wait(driver).until(lambda d: text_of(d, "explore-info") not in ("", info), "no new read")
    points, rows, how = info_counts(driver)
    assert rows < rows_before, f"zoomed read {rows} rows, the whole range {rows_before}"
    assert how == "every row" or points < rows, text_of(driver, "explore-info")
    wait_traces(driver, "explore-graph")
    assert not css(driver, "#explore-error"), text_of(driver, "explore-error")
    assert_clean_console(driver, "explore, zoomed")
