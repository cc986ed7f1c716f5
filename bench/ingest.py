"""Ingest throughput: readings per second into SQLite and PostgreSQL, in batches of 1,000.

Each run starts Vigil with the production command (`python app.py serve`) on a
store holding a small demo (its machines must be known), then POSTs batches
of 1,000 machine readings (6 machines, 1 s apart, no two alike) to
/api/v1/readings for a fixed time: one client posting one batch after
another, then several clients at once. Every batch is answered 201 or the run
fails; the rows are counted in the store afterwards. The in-process
`Store.write` of the same batches is timed too: the store's share of the work.

    .venv/bin/python bench/ingest.py                # SQLite and PostgreSQL, ~2 minutes
    .venv/bin/python bench/ingest.py --backends sqlite --seconds 5

PostgreSQL: the test server of scripts/test (127.0.0.1:5432, user postgres,
database test), in a schema of its own dropped afterwards.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import pandas as pd

from bench._server import (
    Client,
    backend_for,
    free_port,
    load_demo,
    machine_note,
    run_backends,
    serve,
    verdict,
    workspace,
)
from data import open_store
from settings import load_config

BATCH = 1_000
MACHINES = [f"M{k}" for k in range(1, 7)]
TARGET = 20_000


class Batches:
    """Distinct batches of readings, in time order, ending before now: thread-safe."""

    def __init__(self, hours_back: float) -> None:
        self.next_start = datetime.now(UTC) - timedelta(hours=hours_back)
        self.lock = threading.Lock()
        self.rng = np.random.default_rng(1)

    def take(self) -> list[dict[str, Any]]:
        with self.lock:
            start = self.next_start
            per = BATCH // len(MACHINES) + 1
            self.next_start = start + timedelta(seconds=per)
            values = self.rng.normal(40, 5, per * len(MACHINES))
        readings = []
        for k in range(BATCH):
            machine, step = MACHINES[k % len(MACHINES)], k // len(MACHINES)
            readings.append(
                {
                    "machine_id": machine,
                    "time": (start + timedelta(seconds=step)).isoformat(),
                    "current": round(float(values[k]), 3),
                    "voltage": 400.0,
                    "state": "production",
                }
            )
        return readings


def post_for(port: int, batches: Batches, seconds: float, clients: int) -> dict[str, Any]:
    """`clients` threads posting batches for `seconds`; readings per second and latencies."""
    latencies: list[float] = []
    errors: list[str] = []
    stop = time.monotonic() + seconds

    def run() -> None:
        client = Client(port)
        while time.monotonic() < stop and not errors:
            body = {"readings": batches.take()}
            began = time.perf_counter()
            response = client.post("/api/v1/readings", body)
            latencies.append((time.perf_counter() - began) * 1000.0)
            if response.status != 201:
                errors.append(f"{response.status}: {response.body[:300]!r}")
        client.close()

    threads = [threading.Thread(target=run) for _ in range(clients)]
    began = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - began
    if errors:
        raise RuntimeError(f"ingest failed: {errors[0]}")
    return {
        "clients": clients,
        "readings": len(latencies) * BATCH,
        "per_second": len(latencies) * BATCH / elapsed,
        "batch_p50_ms": statistics.median(latencies),
    }


def store_write(backend: str, seconds: float) -> dict[str, Any]:
    """Store.write of 1,000-row frames in process: the store's part of an ingest."""
    config = load_config(env={"VIGIL_BACKEND": backend, "VIGIL_PORT_NUMBER": "1"})
    store = open_store(config)
    batches = Batches(hours_back=200)
    times = []
    stop = time.monotonic() + seconds
    try:
        while time.monotonic() < stop:
            frame = pd.DataFrame(batches.take())
            frame["time"] = pd.to_datetime(frame["time"], utc=True)
            began = time.perf_counter()
            store.write("machine_readings", frame)
            times.append(time.perf_counter() - began)
    finally:
        store.close()
    return {
        "write_p50_ms": statistics.median(times) * 1000,
        "per_second": BATCH / statistics.median(times),
    }


def run_backend(name: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    rows = []
    with workspace(args.keep) as ws, backend_for(name, ws) as backend:
        ws.write_config(free_port(), backend=backend)
        load_demo(ws, days=0.05)
        rows.append({"backend": name, "how": "Store.write in process", **store_write(backend, 5)})
        for clients, env, redis in ((1, {}, False), (args.clients, {}, False),
                                    (args.clients, {"WEB_CONCURRENCY": "2"}, True)):  # fmt: skip
            config = {"backend": backend, "demo_data": False}
            if redis:
                config["redis_url"] = "redis://127.0.0.1:6379/0"
            with serve(ws, name=f"{name}-{clients}", env=env, **config) as server:
                server.wait_until_up()
                workers = "2 workers + Redis" if redis else "1 worker"
                found = post_for(server.port, Batches(hours_back=100), args.seconds, clients)
                rows.append(
                    {"backend": name, "how": f"HTTP, {clients} client(s), {workers}", **found}
                )
        stored = open_store(load_config(env={"VIGIL_BACKEND": backend, "VIGIL_PORT_NUMBER": "1"}))
        rows.append({"backend": name, "how": "rows in machine_readings afterwards",
                     "readings": stored.read("machine_readings", ["current"],
                                             datetime(2000, 1, 1, tzinfo=UTC),
                                             datetime.now(UTC), 10_000).rows_in_range})  # fmt: skip
        stored.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    print(f"bench/ingest.py: batches of {BATCH:,} readings, {machine_note()}")
    rows = run_backends(args.backends.split(","), lambda name: run_backend(name, args))
    for name in args.backends.split(","):
        best = max(
            r.get("per_second", 0) for r in rows if r["backend"] == name and "HTTP" in r["how"]
        )
        met = verdict(best >= TARGET)
        print(f"{name}: target >= {TARGET:,} readings/s over HTTP: {best:,.0f}: {met}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
