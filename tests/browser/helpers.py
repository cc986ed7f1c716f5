"""What the browser tests share: waits that explain themselves, page checks, console checks."""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

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


def element(driver: WebDriver, element_id: str):
    """The element with this id, or None; any id, Dash's dictionary ids (JSON) included."""
    return driver.execute_script("return document.getElementById(arguments[0]);", element_id)


def text_of(driver: WebDriver, element_id: str) -> str:
    """The element's text, '' while it is missing or being re-rendered."""
    try:
        found = element(driver, element_id)
        return found.text if found else ""
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
    element(driver, dropdown_id).click()
    option = wait(driver, 10).until(
        lambda d: d.find_element(
            By.XPATH,
            f"//*[@role='listbox']//label[@role='option'][.//input[@value='{value}']]",
        ),
        f"#{dropdown_id} offers no option {value!r}",
    )
    option.click()


def post_json(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def callback_body(server_url: str, output: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body the browser sends for the callback with `output` ("id.property"), with
    chosen values of its inputs and states (keyed by component id), as an attacker
    would craft it."""
    with urllib.request.urlopen(server_url + "/_dash-dependencies", timeout=30) as response:
        deps = json.loads(response.read())
    (dep,) = [d for d in deps if output in d["output"].strip(".").split("...")]
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in dep["output"].strip(".").split("...")
    ]

    def filled(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
        return [{**spec, "value": values.get(spec["id"])} for spec in specs]

    changed = [f"{spec['id']}.{spec['property']}" for spec in dep["inputs"]]
    return {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": filled(dep["inputs"]),
        "state": filled(dep["state"]),
        "changedPropIds": changed,
        "parsedChangedPropsIds": changed,
    }


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
    for name in ("table", "status", "entity", "type", "detector", "sort"):
        element_id = f"anomalies-filter-{name}"
        assert css(driver, f"#{element_id}"), f"#{element_id} is missing"
    assert css(driver, "#anomalies-keys kbd"), "the keyboard shortcuts are not listed"


def check_labels(driver: WebDriver) -> None:
    wait(driver).until(lambda d: css(d, "#labels-detectors"), "no agreement per detector")
    assert css(driver, "#labels-types"), "no agreement per anomaly type"
    assert len(css(driver, "#labels-exports button")) == 4, "the four downloads are missing"


def check_detect(driver: WebDriver) -> None:
    for name in ("table", "columns", "entity", "detector"):
        wait(driver).until(lambda d, n=name: css(d, f"#detect-{n}"), f"#detect-{name} is missing")
    wait(driver).until(lambda d: ".." in value_of(d, "detect-train"), "no default training range")
    assert ".." in value_of(driver, "detect-span"), "no default range"


def check_machines(driver: WebDriver) -> None:
    wait(driver).until(lambda d: len(css(d, "#machines-table .machines-row")) >= 6, "no machines")
    wait(driver).until(lambda d: css(d, "#machines-table .machines-state"), "no machine states")
    assert css(driver, "#machines-tabs"), "#machines-tabs is missing"


def check_batteries(driver: WebDriver) -> None:
    wait(driver).until(lambda d: len(css(d, ".batteries-card")) >= 4, "no battery cards")
    wait_traces(driver, "batteries-temperature")


def check_sensors(driver: WebDriver) -> None:
    wait(driver).until(
        lambda d: re.search(r"\d", text_of(d, "sensors-silent-value")), "no share of silent sensors"
    )
    wait(driver).until(
        lambda d: css(d, "#sensors-histogram .js-plotly-plot .barlayer .trace"), "no histogram"
    )
    assert re.search(r"\d", text_of(driver, "sensors-interval-value")), "no mean interval"


def check_positions(driver: WebDriver) -> None:
    wait(driver).until(
        lambda d: len(css(d, "#positions-geoms-table .positions-geom")) >= 3, "no geoms"
    )
    wait(driver).until(
        lambda d: css(d, "#positions-floor .js-plotly-plot .scatterlayer .trace"), "no floor plan"
    )
    assert "UTC (window" in text_of(driver, "positions-window"), "no replay window"


PAGE_CHECKS: dict[str, Callable[[WebDriver], None]] = {
    "/": check_overview,
    "/explore": check_explore,
    "/anomalies": check_anomalies,
    "/labels": check_labels,
    "/detect": check_detect,
    "/machines": check_machines,
    "/batteries": check_batteries,
    "/sensors": check_sensors,
    "/positions": check_positions,
}


def zoom(driver: WebDriver, first: str, last: str) -> None:
    """Zoom the Explore chart as a mouse drag does, and wait until the new read is drawn."""
    info = text_of(driver, "explore-info")
    wait_traces(driver, "explore-graph")  # a zoom before dcc.Graph listens is lost
    driver.execute_script(
        "Plotly.relayout(document.querySelector('#explore-graph .js-plotly-plot'),"
        " {'xaxis.range[0]': arguments[0], 'xaxis.range[1]': arguments[1]});",
        first,
        last,
    )
    wait(driver).until(
        lambda d: (value_of(d, "explore-start"), value_of(d, "explore-end")) == (first, last),
        "explore-start/explore-end did not follow the zoom",
    )
    wait(driver).until(lambda d: text_of(d, "explore-info") not in ("", info), "no new read")
    wait_traces(driver, "explore-graph")


def drawn_series(driver: WebDriver, graph_id: str) -> list[tuple[list[float], list[float]]]:
    """(x, y) of every trace as the browser holds them (x in epoch milliseconds)."""
    return driver.execute_script(
        "const gd = document.querySelector('#' + arguments[0] + ' .js-plotly-plot');"
        "return gd.data.map(t => [Array.from(t.x), Array.from(t.y)]);",
        graph_id,
    )
