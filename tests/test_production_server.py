"""The production command of the Dockerfile, for real: gunicorn with gunicorn.conf.py
on a free port given as PORT (as Cloud Run gives it), PostgreSQL and Redis, a worker
a core. A page, the ingest API and a websocket through it; the JSON request
log; /healthz and /readyz; and SIGTERM closing websockets with 1001 in time."""

from __future__ import annotations

import json
import multiprocessing
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from commands.serve import gunicorn_command
from settings import PROJECT_DIR
from tests.conftest import postgres_schema
from tests.ports import free_port
from tests.test_instances import REDIS, post, subscribed, wait_for

START_TIMEOUT = 90.0
#: Cloud Run sends SIGKILL this long after SIGTERM.
CLOUD_RUN_GRACE_SECONDS = 10.0
#: Production mode (a non-loopback host) requires the signing key from the environment.
SECRET_KEY = secrets.token_urlsafe(48)


class Server:
    def __init__(self, proc: subprocess.Popen, port: int, folder: Path) -> None:
        self.proc, self.port, self.folder = proc, port, folder
        self.url = f"http://127.0.0.1:{port}"
        self.token = ""

    def bearer(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    def stdout(self) -> str:
        return (self.folder / "stdout.log").read_text(errors="replace")

    def stderr(self) -> str:
        return (self.folder / "stderr.log").read_text(errors="replace")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict, bytes]:
        request = urllib.request.Request(self.url + path, headers=headers or {})
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), exc.read()


def _environment(config: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIGIL_", "GUNICORN_"))}
    env.pop("WEB_CONCURRENCY", None)
    return {
        **env,
        "VIGIL_CONFIG": str(config),
        "VIGIL_SECRET_KEY": SECRET_KEY,
        "PORT": str(port),
        "PYTHONUNBUFFERED": "1",
    }


def cli(folder: Path, settings: dict[str, object], *args: str) -> str:
    """`python app.py ARGS` on the server's store and signing key; its stdout."""
    config = folder / "cli.json"
    config.write_text(json.dumps({"port_number": 1, **settings}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_") and k != "PORT"}
    done = subprocess.run(
        [sys.executable, "app.py", "--config", str(config), *args],
        cwd=PROJECT_DIR,
        env={**env, "VIGIL_SECRET_KEY": SECRET_KEY},
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def operator_token(folder: Path, settings: dict[str, object]) -> str:
    """A labeller's bearer token, made as an operator would: with the CLI."""
    cli(folder, settings, "create-user", "ops", "--role", "labeller", "--random")
    return cli(folder, settings, "create-token", "ops").strip()


@contextmanager
def production_server(folder: Path, settings: dict[str, object]) -> Iterator[Server]:
    """`python -m gunicorn --config gunicorn.conf.py app:server`, the Dockerfile's CMD."""
    port = free_port()
    config = folder / "config.json"
    config.write_text(json.dumps({"port_number": 1, **settings}))  # PORT overrides it
    with (folder / "stdout.log").open("wb") as out, (folder / "stderr.log").open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, *gunicorn_command()],
            cwd=PROJECT_DIR,
            env=_environment(config, port),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=err,
        )
    server = Server(proc, port, folder)
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            assert proc.poll() is None, f"gunicorn exited early:\n{server.stderr()[-4000:]}"
            try:
                if server.get("/readyz")[0] == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, f"not ready:\n{server.stderr()[-4000:]}"
            time.sleep(0.3)
        yield server
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture(scope="module")
def production(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("production")
    with postgres_schema() as backend:
        settings = {"backend": backend, "redis_url": REDIS}
        cli(folder, settings, "load-demo", "--days", "0.05")
        token = operator_token(folder, settings)
        with production_server(folder, settings) as server:
            server.token = token
            yield server


def log_lines(server: Server) -> list[dict]:
    return [json.loads(line) for line in server.stdout().splitlines() if line.startswith("{")]


def logged(server: Server, request_id: str) -> dict:
    """The request log line of `request_id` (it is written just after the response)."""
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        if found := [line for line in log_lines(server) if line["request_id"] == request_id]:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"no log line for {request_id}:\n{server.stdout()[-3000:]}")


def test_it_listens_on_port_on_every_address_with_a_worker_a_core(production: Server) -> None:
    stderr = production.stderr()
    assert f"Listening at: http://0.0.0.0:{production.port}" in stderr
    assert stderr.count("Booting worker") == multiprocessing.cpu_count()  # Redis is set
    assert "No keepalived connections" not in stderr


def test_a_page_answers_and_its_request_is_logged(production: Server) -> None:
    status, headers, _ = production.get("/explore", {"X-Request-Id": "page-check-0"})
    assert status == 200 and headers["X-Request-Id"] == "page-check-0"  # the login page
    assert logged(production, "page-check-0")["user"] is None
    asked = {"X-Request-Id": "page-check-1", **production.bearer()}
    status, headers, body = production.get("/explore", asked)
    assert status == 200 and b"<title>Vigil</title>" in body
    assert headers["X-Request-Id"] == "page-check-1"
    line = logged(production, "page-check-1")
    assert line["method"] == "GET" and line["path"] == "/explore" and line["status"] == 200
    assert line["user"] == "ops" and line["severity"] == "INFO"
    assert 0 < line["latency_ms"] < 30_000
    status, _, layout = production.get("/_dash-layout", production.bearer())
    assert status == 200 and json.loads(layout)


def test_the_trace_of_cloud_run_becomes_the_request_id(production: Server) -> None:
    trace = uuid.uuid4().hex
    _, headers, _ = production.get("/healthz", {"X-Cloud-Trace-Context": f"{trace}/1;o=1"})
    assert headers["X-Request-Id"] == trace
    assert logged(production, trace)["path"] == "/healthz"
    _, headers, _ = production.get("/healthz", {"X-Request-Id": "bad id\twith spaces"})
    assert headers["X-Request-Id"] != "bad id\twith spaces" and len(headers["X-Request-Id"]) == 32


def test_health_and_readiness(production: Server) -> None:
    status, _, body = production.get("/healthz")
    assert (status, json.loads(body)) == (200, {"status": "alive"})
    status, _, body = production.get("/readyz")
    assert status == 200
    assert json.loads(body) == {"status": "ready", "checks": {"store": "ok", "redis": "ok"}}


def test_ingested_readings_reach_a_websocket_through_redis(production: Server) -> None:
    mark = float(uuid.uuid4().int % 90_000)  # a value no other run is likely to send
    ws = subscribed(production.url, ["machine:M1"], production.token)
    try:
        post(production.url, [{"machine_id": "M1", "time": datetime.now(UTC).isoformat(),
                               "current": mark}], production.token)  # fmt: skip
        assert wait_for(ws, {"machine_id": "M1", "current": mark})["channel"] == "machine:M1"
    finally:
        ws.close()
    posts = [line for line in log_lines(production) if line["path"] == "/api/v1/readings"]
    assert posts and posts[-1]["method"] == "POST" and posts[-1]["status"] == 201
    deadline = time.monotonic() + 5
    while not [line for line in log_lines(production) if line["path"] == "/ws"]:
        assert time.monotonic() < deadline, "the websocket's request was not logged"
        time.sleep(0.05)
    assert [line for line in log_lines(production) if line["path"] == "/ws"][-1]["status"] == 101


def test_sigterm_closes_every_websocket_with_1001_and_exits_in_time(tmp_path: Path) -> None:
    settings = {"backend": f"sqlite:///{tmp_path / 'vigil.db'}", "redis_url": REDIS,
                "demo_data": False}  # fmt: skip
    token = operator_token(tmp_path, settings)
    with production_server(tmp_path, settings) as server:
        ws_url = server.url.replace("http://", "ws://")
        bearer = {"Authorization": f"Bearer {token}"}
        sockets = [connect(ws_url + "/ws", open_timeout=30, legacy=True) for _ in range(6)]
        sockets += [connect(ws_url + path, open_timeout=30, legacy=True, additional_headers=bearer)
                    for path in ("/live_recent_ws", "/ws/batteries")]  # fmt: skip
        for ws in sockets:
            ws.recv(timeout=10)  # each is open and served
        started = time.monotonic()
        server.proc.send_signal(signal.SIGTERM)
        codes = []
        for ws in sockets:
            with pytest.raises(ConnectionClosed) as closed:
                while True:
                    ws.recv(timeout=CLOUD_RUN_GRACE_SECONDS)
            assert closed.value.rcvd is not None, "closed without a close frame"
            codes.append(closed.value.rcvd.code)
        assert codes == [1001] * len(sockets)
        server.proc.wait(timeout=CLOUD_RUN_GRACE_SECONDS - (time.monotonic() - started))
        took = time.monotonic() - started
        assert server.proc.returncode == 0, server.stderr()[-3000:]
        assert took < CLOUD_RUN_GRACE_SECONDS
        assert "Traceback" not in server.stderr(), server.stderr()
