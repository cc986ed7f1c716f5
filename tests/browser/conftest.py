"""Fixtures of the browser tests: one real Vigil server per session, headless Chromium.

The server is the real thing (`python app.py --config CFG serve --port P`, which
runs the production command, gunicorn.conf.py) on a temporary SQLite store
filled with a small demo. Chromium and chromedriver are
Debian's; `scripts/test` installs them, so a missing one is a failure here,
not a skip.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from commands.serve import gunicorn_command
from tests.ports import free_port

PROJECT_DIR = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
START_TIMEOUT = 90.0

# Runs in every document before the page's scripts: counts pending fetches (all
# of Dash's requests are fetches), so a test can wait until callbacks settle.
NETWORK_TRACKER = """
(() => {
  window.__vigilPending = 0;
  window.__vigilLastDone = performance.now();
  const done = () => { window.__vigilPending -= 1; window.__vigilLastDone = performance.now(); };
  const fetch0 = window.fetch.bind(window);
  window.fetch = (...args) => {
    window.__vigilPending += 1;
    return fetch0(...args).finally(done);
  };
})();
"""


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Every test in this folder is a browser test."""
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.browser)


#: The logs of the Vigil servers running now: a failing test shows what they complained of.
_RUNNING_LOGS: list[Path] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for log in _RUNNING_LOGS:
            report.sections.append((f"Vigil server {log.parent.name}: not INFO", _complaints(log)))


def _complaints(log: Path) -> str:
    """The server's lines other than its INFO request lines (errors, tracebacks): the last 80."""
    lines = log.read_text(errors="replace").splitlines() if log.exists() else []
    kept = [line for line in lines if '"severity": "INFO"' not in line]
    return "\n".join(kept[-80:]) or "(nothing but INFO lines)"


def _output(log: Path) -> str:
    text = log.read_text(errors="replace") if log.exists() else ""
    return text[-6000:] or "(no output)"


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


@contextmanager
def running_server(settings: dict[str, object], gunicorn_workers: int = 0) -> Iterator[str]:
    """A real Vigil server with these settings; yields its base URL.

    `app.py serve` by default (it fills the store, then runs the production
    command); with `gunicorn_workers`, the demo is loaded first (`app.py
    load-demo`) and the production command runs with that many workers.
    """
    with tempfile.TemporaryDirectory(prefix="vigil-browser-") as tmp:
        folder = Path(tmp)
        port = free_port()
        config = folder / "config.json"
        # accounts off unless the settings turn them on (the browser tests of auth do)
        config.write_text(json.dumps({"port_number": port, "auth": False, **settings}))
        log = folder / "server.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_")}
        env.pop("PORT", None)  # PORT would switch the host to 0.0.0.0
        env["PYTHONUNBUFFERED"] = "1"
        env["VIGIL_CONFIG"] = str(config)
        command = [sys.executable, "app.py", "serve", "--port", str(port)]
        if gunicorn_workers:
            demo = subprocess.run(
                [
                    sys.executable,
                    "app.py",
                    "load-demo",
                    "--days",
                    str(settings.get("demo_days", 1)),
                ],
                cwd=PROJECT_DIR,
                env=env,
                capture_output=True,
                text=True,
                timeout=START_TIMEOUT,
            )
            assert demo.returncode == 0, demo.stderr
            command = [
                sys.executable, *gunicorn_command(f"127.0.0.1:{port}"),
                "--workers", str(gunicorn_workers),
            ]  # fmt: skip
        with log.open("wb") as out:
            proc = subprocess.Popen(
                command,
                cwd=PROJECT_DIR,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=env,
            )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                if proc.poll() is not None:
                    pytest.fail(
                        f"Vigil server exited with code {proc.returncode} before serving:\n"
                        + _output(log),
                        pytrace=False,
                    )
                try:
                    with urllib.request.urlopen(url + "/", timeout=5) as response:
                        if response.status == 200:
                            break
                except (urllib.error.URLError, ConnectionError, TimeoutError):
                    pass
                if time.monotonic() > deadline:
                    pytest.fail(
                        f"Vigil server did not answer GET / within {START_TIMEOUT:.0f} s:\n"
                        + _output(log),
                        pytrace=False,
                    )
                time.sleep(0.2)
            _RUNNING_LOGS.append(log)
            yield url
            assert proc.poll() is None, "the server died during the tests:\n" + _output(log)
        finally:
            if log in _RUNNING_LOGS:
                _RUNNING_LOGS.remove(log)
            _stop(proc)


@pytest.fixture(scope="session")
def server_url() -> Iterator[str]:
    """Base URL (no trailing slash) of a Vigil server on a fresh demo SQLite store."""
    with running_server({"backend": "sqlite:///vigil.db", "demo_days": 0.25}) as url:
        yield url


def _require(path: str, package: str) -> None:
    if not (os.path.isfile(path) and os.access(path, os.X_OK)):
        pytest.fail(
            f"{path} is missing: the browser tests need Debian's {package} "
            f"(`apt-get install chromium chromium-driver`, or run scripts/test, "
            f"which installs it).",
            pytrace=False,
        )


@pytest.fixture(scope="session")
def _chrome_profiles() -> Iterator[Path]:
    with tempfile.TemporaryDirectory(prefix="vigil-chrome-") as tmp:
        yield Path(tmp)


@pytest.fixture
def driver(_chrome_profiles: Path) -> Iterator[webdriver.Chrome]:
    """A fresh headless Chromium with its own profile; console logs via get_log('browser').

    Each document it opens counts its pending fetches in window.__vigilPending
    (and the time the last one ended in window.__vigilLastDone).
    """
    _require(CHROMIUM, "chromium")
    _require(CHROMEDRIVER, "chromium-driver")
    profile = Path(tempfile.mkdtemp(prefix="profile-", dir=_chrome_profiles))
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
        f"--user-data-dir={profile}",
    ):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    # An explicit driver path: Selenium Manager would otherwise try the network.
    service = Service(CHROMEDRIVER)
    browser = webdriver.Chrome(service=service, options=options)
    try:
        browser.set_page_load_timeout(60)
        browser.execute_cdp_cmd(
            "Page.addScriptToEvaluateOnNewDocument", {"source": NETWORK_TRACKER}
        )
        yield browser
    finally:
        browser.quit()
        shutil.rmtree(profile, ignore_errors=True)
