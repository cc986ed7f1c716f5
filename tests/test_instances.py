"""Several Vigil processes, each under the production command: live updates cross
between them through Redis, and `python app.py simulate` feeds one over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from websockets.sync.client import ClientConnection, connect

from data import open_store
from settings import PROJECT_DIR
from tests.browser.conftest import running_server
from tests.conftest import make_config

REDIS = "redis://127.0.0.1:6379/0"


@pytest.fixture(scope="module")
def two(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, str]]:
    """Two Vigils on one store and one Redis: (first URL, second URL, backend)."""
    backend = f"sqlite:///{tmp_path_factory.mktemp('two') / 'vigil.db'}"
    shared = {"backend": backend, "redis_url": REDIS}
    with (
        running_server({**shared, "demo_days": 0.05}, gunicorn_workers=1) as first,
        running_server({**shared, "demo_data": False}) as second,
    ):
        yield first, second, backend


def subscribed(url: str, channels: list[str], token: str = "") -> ClientConnection:
    headers = {"Authorization": f"Bearer {token}"} if token else None
    ws = connect(
        url.replace("http://", "ws://") + "/ws",
        open_timeout=30,
        legacy=True,
        additional_headers=headers,
    )
    ws.recv(timeout=10), ws.recv(timeout=10)  # the greeting
    ws.send(json.dumps({"subscribe": channels}))
    assert "subscribed" in json.loads(ws.recv(timeout=10))
    return ws


def post(url: str, readings: list[dict], token: str = "") -> None:
    import urllib.request

    request = urllib.request.Request(
        url + "/api/v1/readings",
        data=json.dumps({"readings": readings}).encode(),
        headers={
            "Content-Type": "application/json",
            **({"Authorization": f"Bearer {token}"} if token else {}),
        },
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 201


def wait_for(ws: ClientConnection, found: object, seconds: float = 15.0) -> dict:
    """The first update whose data matches `found` (Redis is shared with other runs)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        message = json.loads(ws.recv(timeout=deadline - time.monotonic()))
        if isinstance(found, dict) and found.items() <= message.get("data", {}).items():
            return message
    raise AssertionError(f"no update matching {found} within {seconds:.0f} s")


def test_a_reading_ingested_on_one_instance_reaches_clients_of_the_other(two) -> None:
    first, second, _ = two
    mark = float(uuid.uuid4().int % 90_000)  # a value no other run is likely to send
    now = datetime.now(UTC).isoformat()
    on_second = subscribed(second, ["machine:M1"])
    post(first, [{"machine_id": "M1", "time": now, "current": mark}])
    message = wait_for(on_second, {"machine_id": "M1", "current": mark})
    assert message["channel"] == "machine:M1"
    on_first = subscribed(first, ["battery:*"])
    post(second, [{"battery_id": "B2", "time": now, "state_of_charge": mark % 100}])
    wait_for(on_first, {"battery_id": "B2", "state_of_charge": mark % 100})
    on_first.close()
    on_second.close()


def _simulate(tmp: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    config = tmp / "config.json"
    config.write_text('{"backend": "sqlite:///unused.db", "port_number": 8080}')
    return subprocess.run(
        [sys.executable, "app.py", "--config", str(config), "simulate", "--url", url, *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_simulate_feeds_readings_through_the_ingest_api(two, tmp_path: Path) -> None:
    first, second, backend = two
    watcher = subscribed(second, ["machine:*", "battery:*", "sensor:*"])
    store = open_store(make_config(tmp_path, backend=backend))
    before = store.time_range("machine_readings")
    done = _simulate(tmp_path, first, "--rate", "20", "--seconds", "3")
    assert done.returncode == 0, done.stderr
    assert "Sent " in done.stdout and "machine_readings" in done.stdout
    kinds = set()
    deadline = time.monotonic() + 10
    while not {"machine", "battery"} <= kinds and time.monotonic() < deadline:
        kinds.add(json.loads(watcher.recv(timeout=10))["channel"].split(":")[0])
    assert {"machine", "battery"} <= kinds
    after = store.time_range("machine_readings")
    assert after[1] > before[1]  # the readings were stored, stamped with the wall clock
    assert after[1] <= datetime.now(UTC)
    store.close()
    watcher.close()


def test_simulate_against_a_store_without_the_demo_says_why(tmp_path: Path) -> None:
    backend = f"sqlite:///{tmp_path / 'empty.db'}"
    with running_server({"backend": backend, "demo_data": False}) as url:
        done = _simulate(tmp_path, url, "--rate", "20", "--seconds", "2")
    assert done.returncode == 1
    assert "unknown sensor" in done.stderr or "unknown machine" in done.stderr
    assert "load-demo" in done.stderr and "Traceback" not in done.stderr
