"""Labelling speed in a real browser (issue 4): Save and Save & next, SQLite and PostgreSQL.

For each backend a real server (`python app.py --config CFG serve`) fills an
empty store with the demo, headless Chromium opens /anomalies, and:

- save round trip: the page's own Save button is clicked (verdict flipped
  each time, so each save is a new event) and the time runs until the page
  shows "Saved": the callback has stored the event and answered. The event
  count in the store is checked afterwards (one per click).
- save & next: Save & next is clicked and the time runs until the next
  anomaly's title is shown and its context chart has been drawn by Plotly.
- the same save callback POSTed straight to /_dash-update-component, to
  split the round trip into server + HTTP and the browser's share.

Times are measured in the page with performance.now() from the click to the
first animation frame that shows the result. Prints median and p90 and the
targets (150 ms, 500 ms). Run from the project folder:

    .venv/bin/python bench/labelling.py [--saves 30] [--steps 15] [--backend sqlite]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

from selenium import webdriver
from selenium.common.exceptions import TimeoutException
from selenium.webdriver.chrome.service import Service

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench._server import machine_note, percentile, serve, workspace
from data import open_store
from settings import load_config
from tests.conftest import postgres_schema

CLICK_UNTIL = """
const [buttonId, mode, done] = arguments;
const graph = () => document.querySelector('#anomalies-context-graph .js-plotly-plot');
const title = () => (document.getElementById('anomalies-detail-title') || {}).textContent;
const ok = () => (document.getElementById('anomalies-save-ok') || {}).textContent || '';
const was = {title: title(), ok: ok(), range: JSON.stringify(graph()._fullLayout.xaxis.range)};
const t0 = performance.now();
const ready = () => {
  if (mode === 'save') return ok().startsWith('Saved') && ok() !== was.ok;
  const gd = graph();
  return title() !== was.title && gd && !gd.classList.contains('dash-graph--pending')
    && JSON.stringify(gd._fullLayout.xaxis.range) !== was.range;
};
const check = () =>
  ready() ? done([performance.now() - t0, title()]) : requestAnimationFrame(check);
document.getElementById(buttonId).click();
requestAnimationFrame(check);
"""


def chromium() -> webdriver.Chrome:
    options = webdriver.ChromeOptions()
    options.binary_location = "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu",
                "--disable-background-networking", "--disable-dev-shm-usage",
                "--window-size=1400,1000"):  # fmt: skip
        options.add_argument(arg)
    browser = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
    browser.set_script_timeout(30)
    return browser


def wait_for(browser: webdriver.Chrome, script: str, seconds: float = 30) -> Any:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = browser.execute_script(script)
        if found:
            return found
        time.sleep(0.05)
    raise TimeoutError(script)


def open_queue(browser: webdriver.Chrome, url: str, anomaly_id: str) -> None:
    browser.get(f"{url}/anomalies?sort=oldest&id={anomaly_id}")
    wait_for(
        browser,
        "const gd = document.querySelector('#anomalies-context-graph .js-plotly-plot');"
        "return gd && gd._fullLayout && gd.data.length > 0"
        " && document.querySelectorAll('tr.anomalies-row').length > 0;",
    )
    time.sleep(0.5)  # let the list and the form settle


def click_until(browser: webdriver.Chrome, button: str, mode: str) -> tuple[float, str]:
    try:
        return browser.execute_async_script(CLICK_UNTIL, button, mode)
    except TimeoutException:
        status = browser.execute_script(
            "return document.getElementById('anomalies-save-status').textContent"
        )
        raise RuntimeError(f"{button} never showed its result; status: {status!r}") from None


def flip(browser: webdriver.Chrome, verdict: str) -> None:
    browser.execute_script(
        f"document.querySelector('#anomalies-verified input[value=\"{verdict}\"]').click()"
    )
    time.sleep(0.05)


def measure(backend_name: str, backend: str, saves: int, steps: int) -> dict[str, Any]:
    with workspace() as ws, serve(ws, backend=backend, demo_days=0.25) as server:
        server.wait_until_up(timeout=180)
        url = f"http://127.0.0.1:{server.port}"
        store = open_store(load_config(ws.config, env={}))
        ids = [a.id for a in sorted(store.anomalies(), key=lambda a: (a.start, a.id))]
        browser = chromium()
        try:
            open_queue(browser, url, ids[0])
            before = len(store.anomaly(ids[0]).history)
            save_ms = []
            for i in range(saves):
                flip(browser, "yes" if i % 2 == 0 else "no")
                save_ms.append(click_until(browser, "anomalies-save", "save")[0])
            stored = len(store.anomaly(ids[0]).history) - before
            open_queue(browser, url, ids[0])
            next_ms = []
            for i in range(min(steps, len(ids) - 1)):
                flip(browser, "yes")
                ms, shown = click_until(browser, "anomalies-save-next", "next")
                if ids[i + 1] not in shown:
                    raise RuntimeError(f"save & next showed {shown!r}, expected {ids[i + 1]}")
                next_ms.append(ms)
        finally:
            browser.quit()
        http_ms = post_saves(url, ids[-1], saves)
        store.close()
    return {
        "backend": backend_name,
        "save": save_ms,
        "stored": stored,
        "next": next_ms,
        "http": http_ms,
    }


def post_saves(url: str, anomaly_id: str, count: int) -> list[float]:
    """The save callback alone, as the browser sends it; wall time per POST."""
    with urllib.request.urlopen(url + "/_dash-dependencies", timeout=30) as resp:
        deps = json.loads(resp.read())
    (dep,) = [d for d in deps if "anomalies-save-result.data" in d["output"]]
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in dep["output"].strip(".").split("...")
    ]
    times = []
    for i in range(count):
        values = {
            "anomalies-save": i + 1,
            "anomalies-selected": anomaly_id,
            "anomalies-verified": "yes" if i % 2 == 0 else "no",
            "anomalies-type": "bench",
            "anomalies-shown": {"anomaly_id": anomaly_id, "label": {"base": f"b{i}"}},
        }
        body = {
            "output": dep["output"],
            "outputs": outputs,
            "inputs": [{**s, "value": values.get(s["id"])} for s in dep["inputs"]],
            "state": [{**s, "value": values.get(s["id"])} for s in dep["state"]],
            "changedPropIds": ["anomalies-save.n_clicks"],
        }
        request = urllib.request.Request(
            url + "/_dash-update-component",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=30) as resp:
            answer = json.loads(resp.read())
        times.append((time.perf_counter() - started) * 1000)
        if answer["response"]["anomalies-save-result"]["data"]["outcome"] != "saved":
            raise RuntimeError(f"the direct save was not stored: {answer}")
    return times


def row(name: str, values: list[float], target: float) -> str:
    median, p90 = percentile(values, 0.5), percentile(values, 0.9)
    verdict = "met" if median < target else "MISSED"
    return (
        f"| {name} | {len(values)} | {median:.0f} ms | {p90:.0f} ms | "
        f"{max(values):.0f} ms | < {target:.0f} ms | {verdict} |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--saves", type=int, default=30)
    parser.add_argument("--steps", type=int, default=15)
    parser.add_argument("--backend", choices=["sqlite", "postgresql", "both"], default="both")
    args = parser.parse_args()
    print(f"# bench/labelling.py ({machine_note()})\n")
    results = []
    for name in ("sqlite", "postgresql"):
        if args.backend not in (name, "both"):
            continue
        if name == "sqlite":
            results.append(measure(name, "sqlite:///vigil.db", args.saves, args.steps))
        else:
            with postgres_schema() as backend:
                results.append(measure(name, backend, args.saves, args.steps))
    print("| measure | n | median | p90 | worst | target | |")
    print("|---|---|---|---|---|---|---|")
    for found in results:
        b = found["backend"]
        print(row(f"{b}: save, click to 'Saved' shown", found["save"], 150))
        print(row(f"{b}: save & next, click to next chart drawn", found["next"], 500))
        print(row(f"{b}: save callback alone over HTTP", found["http"], 150))
    for found in results:
        saves = len(found["save"])
        print(f"\n{found['backend']}: {found['stored']} events stored for {saves} clicks on Save")


if __name__ == "__main__":
    main()
