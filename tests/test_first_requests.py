"""A worker's first requests arrive together, and each is answered.

A browser's first page load fetches a dozen bundles at once; on a worker that
has served nothing yet (a second gunicorn worker, a new Cloud Run instance)
they are that worker's first requests. Dash builds its list of servable
bundles and its callbacks on the first request, and marks that done before
doing it, so the other threads used to find the list half built: a 500 for a
bundle, a page that never renders (CI, 2026-12-02). `create_app` now runs
that setup before the worker serves anything.
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from app import create_app
from commands.serve import gunicorn_command
from settings import PROJECT_DIR, load_config
from tests.ports import free_port

START_TIMEOUT = 90.0
SCRIPT = re.compile(r'<script src="(/_dash-component-suites/[^"]+)"')


def _fetch(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=START_TIMEOUT) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _first_page_paths(config_path: Path) -> list[str]:
    """What a browser asks for once it has the page: the bundles (as this code base
    fingerprints them), the layout and the callbacks."""
    page = create_app(load_config(config_path, env={})).server.test_client().get("/")
    bundles = SCRIPT.findall(page.get_data(as_text=True))
    assert len(bundles) >= 8, "the page names fewer bundles than Dash serves"
    return [*bundles, "/_dash-layout", "/_dash-dependencies"]


def test_a_new_worker_answers_a_burst_of_first_requests(tmp_path: Path) -> None:
    port = free_port()
    config = tmp_path / "config.json"
    settings = {"backend": f"sqlite:///{tmp_path / 'vigil.db'}", "port_number": port,
                "auth": False, "demo_data": False}  # fmt: skip
    config.write_text(json.dumps(settings))
    paths = _first_page_paths(config)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "GUNICORN_"))}
    env.pop("PORT", None)
    env.pop("WEB_CONCURRENCY", None)
    log = tmp_path / "server.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, *gunicorn_command(f"127.0.0.1:{port}")],
            cwd=PROJECT_DIR,
            env={**env, "VIGIL_CONFIG": str(config)},
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        # gunicorn's master listens before its worker has loaded the app: connections
        # made now wait in the backlog and reach the worker together, its first.
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert proc.poll() is None, log.read_text(errors="replace")[-4000:]
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "gunicorn never listened"
                time.sleep(0.02)
        answers: dict[str, tuple[int, bytes]] = {}
        go = threading.Barrier(len(paths))

        def ask(path: str) -> None:
            go.wait()
            answers[path] = _fetch(f"http://127.0.0.1:{port}{path}")

        threads = [threading.Thread(target=ask, args=(path,)) for path in paths]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(START_TIMEOUT)
        failed = {path: status for path, (status, _) in answers.items() if status != 200}
        assert len(answers) == len(paths) and not failed, (
            f"{failed}\n{log.read_text(errors='replace')[-3000:]}"
        )
        outputs = [c["output"] for c in json.loads(answers["/_dash-dependencies"][1])]
        assert ".._pages_content.children..._pages_store.data.." in outputs
        assert len(outputs) > 20, "the worker listed its callbacks before they were all known"
    finally:
        proc.terminate()
        proc.wait(timeout=15)
