"""Helpers the benchmarks share: a temp workspace, a real `serve` process, Dash requests.

Nothing here is imported by the app or the tests. Every server is started with
`python app.py --config CFG serve --port P` exactly as a user would, on a free
port, and stopped (by its own pid) when the `with` block ends; the temp folder
with its config, store and logs is removed too (pass keep=True to keep it).
"""

from __future__ import annotations

import contextlib
import gzip
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
DEFAULT_DAYS = 1.0
DEFAULT_SEED = 7


# -- workspace ---------------------------------------------------------------
@dataclass
class Workspace:
    """A temp folder holding config.json, the SQLite store and the server logs."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "config.json"

    @property
    def db(self) -> Path:
        return self.root / "vigil.db"

    def write_config(self, port: int, **extra: Any) -> Path:
        settings = {"backend": "sqlite:///vigil.db", "port_number": port, "auth": False, **extra}
        self.config.write_text(json.dumps(settings, indent=2), encoding="utf-8")
        return self.config


@contextlib.contextmanager
def workspace(keep: bool = False) -> Iterator[Workspace]:
    root = Path(tempfile.mkdtemp(prefix="vigil-bench-"))
    try:
        yield Workspace(root)
    finally:
        if keep:
            print(f"(kept {root})")
        else:
            shutil.rmtree(root, ignore_errors=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def bench_env() -> dict[str, str]:
    """The environment without VIGIL_* or PORT, so only the temp config counts."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("VIGIL_") and k != "PORT"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def load_demo(ws: Workspace, days: float = DEFAULT_DAYS, seed: int = DEFAULT_SEED) -> float:
    """Fill the workspace store with `load-demo` in a child process; returns seconds."""
    if not ws.config.exists():
        ws.write_config(free_port())
    started = time.perf_counter()
    with open(ws.root / "load-demo.log", "wb") as log:
        subprocess.run(
            [PYTHON, "app.py", "--config", str(ws.config), "load-demo", "--days", str(days),
             "--seed", str(seed)],
            cwd=PROJECT_DIR, env=bench_env(), stdout=log, stderr=subprocess.STDOUT,
            check=True, timeout=120,
        )  # fmt: skip
    return time.perf_counter() - started


def use_store(ws: Workspace, db: str | None, days: float = DEFAULT_DAYS) -> str:
    """A filled store in the workspace: a copy of `db` if given, else a fresh demo."""
    if not ws.config.exists():
        ws.write_config(free_port())
    if db:
        shutil.copyfile(db, ws.db)
        if Path(db + "-wal").exists():  # rows not yet checkpointed into the main file
            shutil.copyfile(db + "-wal", str(ws.db) + "-wal")
        return f"copy of {db}"
    seconds = load_demo(ws, days)
    return f"demo of {days:g} day(s) made by load-demo in {seconds:.1f} s"


# -- HTTP --------------------------------------------------------------------
@dataclass
class Response:
    status: int
    headers: dict[str, str]
    wire: bytes  # as sent, possibly compressed
    seconds: float

    @property
    def body(self) -> bytes:
        if self.headers.get("content-encoding", "").lower() == "gzip":
            return gzip.decompress(self.wire)
        return self.wire

    def json(self) -> Any:
        return json.loads(self.body)


class Client:
    """One keep-alive HTTP connection that asks for gzip, as a browser does."""

    def __init__(self, port: int, timeout: float = 60.0):
        self.port = port
        self.timeout = timeout
        self._conn: http.client.HTTPConnection | None = None

    def _connection(self) -> http.client.HTTPConnection:
        if self._conn is None:
            self._conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout)
        return self._conn

    def request(self, method: str, path: str, body: Any = None) -> Response:
        headers = {"Accept-Encoding": "gzip, deflate, br", "Accept": "*/*"}
        data = None
        if body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        for attempt in (0, 1):
            conn = self._connection()
            started = time.perf_counter()
            try:
                conn.request(method, path, body=data, headers=headers)
                resp = conn.getresponse()
                wire = resp.read()
            except (ConnectionError, http.client.HTTPException):
                self.close()  # the server closed the idle connection: reconnect once
                if attempt:
                    raise
                continue
            seconds = time.perf_counter() - started
            if resp.getheader("connection", "").lower() == "close":
                self.close()
            return Response(
                resp.status, {k.lower(): v for k, v in resp.getheaders()}, wire, seconds
            )
        raise AssertionError("unreachable")

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def post(self, path: str, body: Any) -> Response:
        return self.request("POST", path, body)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


# -- the server process ------------------------------------------------------
@dataclass
class Server:
    proc: subprocess.Popen
    port: int
    log: Path
    started: float  # perf_counter() just before the process was spawned
    client: Client = field(init=False)
    listening: float | None = None  # seconds from spawn until the port accepted a connection

    def __post_init__(self) -> None:
        self.client = Client(self.port)

    @property
    def pid(self) -> int:
        return self.proc.pid

    def log_text(self) -> str:
        try:
            return self.log.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""

    def wait_until_up(self, path: str = "/", timeout: float = 120.0) -> float:
        """Poll `path` until it answers 200; seconds since the process was spawned."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"server exited with {self.proc.returncode}:\n{self.log_text()[-2000:]}"
                )
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    pass
            except OSError:
                time.sleep(0.05)
                continue
            if self.listening is None:
                self.listening = time.perf_counter() - self.started
            try:
                resp = Client(self.port, timeout=timeout).get(path)
            except (OSError, http.client.HTTPException):
                time.sleep(0.05)
                continue
            if resp.status == 200:
                return time.perf_counter() - self.started
            raise RuntimeError(f"GET {path} answered {resp.status}")
        raise TimeoutError(f"server did not answer GET {path} within {timeout:.0f} s")

    def memory(self) -> dict[str, int]:
        """VmRSS and VmHWM (peak RSS) of the server process, in kB, from /proc."""
        found = {}
        with open(f"/proc/{self.pid}/status", encoding="ascii") as status:
            for line in status:
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM", "Threads"):
                    found[key] = int(value.split()[0])
        return found

    def stop(self) -> None:
        self.client.close()
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


@contextlib.contextmanager
def serve(
    ws: Workspace, name: str = "serve", env: dict[str, str] | None = None, **config: Any
) -> Iterator[Server]:
    """Run `python app.py --config CFG serve --port P` until the block ends.

    `env` adds variables (GUNICORN_CMD_ARGS, WEB_CONCURRENCY: the production
    command's own knobs)."""
    port = free_port()
    ws.write_config(port, **config)
    log = ws.root / f"{name}.log"
    with open(log, "wb") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [PYTHON, "app.py", "--config", str(ws.config), "serve", "--port", str(port)],
            cwd=PROJECT_DIR, env={**bench_env(), **(env or {})}, stdout=out,
            stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Server(proc, port, log, started)
    try:
        yield server
    finally:
        server.stop()


# -- Dash callbacks, as the browser sends them -------------------------------
class Dash:
    """Builds `/_dash-update-component` bodies from the app's `/_dash-dependencies`."""

    def __init__(self, client: Client):
        self.client = client
        resp = client.get("/_dash-dependencies")
        if resp.status != 200:
            raise RuntimeError(f"GET /_dash-dependencies answered {resp.status}")
        self.deps: list[dict[str, Any]] = resp.json()

    def find(self, output_part: str) -> dict[str, Any]:
        """The callback with this output; the ones that share it (allow_duplicate,
        "id.prop@hash") are other callbacks."""
        found = [d for d in self.deps if output_part in d["output"].strip(".").split("...")]
        if len(found) != 1:
            raise LookupError(f"{len(found)} callbacks have an output like '{output_part}'")
        return found[0]

    @staticmethod
    def outputs(dep: dict[str, Any]) -> list[dict[str, str]] | dict[str, str]:
        out = dep["output"]
        if out.startswith("..") and out.endswith(".."):
            parts = out[2:-2].split("...")
            return [_id_prop(p) for p in parts]
        return _id_prop(out)

    def body(
        self,
        output_part: str,
        values: dict[str, Any],
        changed: list[str] | None = None,
    ) -> dict[str, Any]:
        """The request body; `values` maps "id.property" to the value the page holds."""
        dep = self.find(output_part)

        def fill(specs: list[dict[str, Any]]) -> list[dict[str, Any]]:
            return [
                {"id": s["id"], "property": s["property"],
                 "value": values.get(f"{s['id']}.{s['property']}")}
                for s in specs
            ]  # fmt: skip

        changed = changed if changed is not None else [f"{s['id']}.{s['property']}"
                                                       for s in dep["inputs"]]  # fmt: skip
        body: dict[str, Any] = {
            "output": dep["output"],
            "outputs": self.outputs(dep),
            "inputs": fill(dep["inputs"]),
            "changedPropIds": changed,
            "parsedChangedPropsIds": changed,
        }
        if dep["state"]:
            body["state"] = fill(dep["state"])
        return body

    def call(
        self, output_part: str, values: dict[str, Any], changed: list[str] | None = None
    ) -> Response:
        resp = self.client.post("/_dash-update-component", self.body(output_part, values, changed))
        if resp.status not in (200, 204):
            raise RuntimeError(
                f"callback {output_part} answered {resp.status}: {resp.body[:300]!r}"
            )
        return resp

    def open_page(self, path: str) -> tuple[Response, Response]:
        """What a browser does for a page: GET the shell, then the pages router callback."""
        html = self.client.get(path)
        if html.status != 200:
            raise RuntimeError(f"GET {path} answered {html.status}")
        pathname, _, search = path.partition("?")
        content = self.call(
            "_pages_content.children",
            {"_pages_location.pathname": pathname,
             "_pages_location.search": f"?{search}" if search else ""},
            ["_pages_location.pathname", "_pages_location.search"],
        )  # fmt: skip
        return html, content


def _id_prop(text: str) -> dict[str, str]:
    ident, _, prop = text.rpartition(".") if text.startswith("{") else text.partition(".")
    return {"id": json.loads(ident) if ident.startswith("{") else ident, "property": prop}


# -- figures -----------------------------------------------------------------
def gzip_size(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def machine_note() -> str:
    """Cores and load, printed with every run: other work on the box skews the times."""
    load = os.getloadavg()
    return f"{os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


@contextlib.contextmanager
def backend_for(name: str, ws: Workspace) -> Iterator[str]:
    """A backend URL: the workspace's SQLite file, or a PostgreSQL schema dropped after."""
    from tests.conftest import postgres_schema  # the tests' own

    if name == "sqlite":
        yield f"sqlite:///{ws.db}"
        return
    with postgres_schema() as url:
        yield url


def run_backends(
    names: list[str], run: Callable[[str], list[dict[str, Any]]]
) -> list[dict[str, Any]]:
    """`run(name)`'s measured rows for each backend, each printed as it comes:
    `  backend: how: name figure, ...`."""
    rows = []
    for name in names:
        for row in run(name):
            rows.append(row)
            figures = ", ".join(
                f"{k} {v:,.1f}" if isinstance(v, float) else f"{k} {v:,}"
                for k, v in row.items()
                if k not in ("backend", "how")
            )
            print(f"  {name}: {row['how']}: {figures}")
    return rows
