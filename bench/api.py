"""The API's series read: one machine's day at 1 s, `max_points=2000`, on SQLite and PostgreSQL.

    .venv/bin/python bench/api.py [--backends sqlite,postgresql] [--calls 20] [--warmup 3]

Each backend gets a store filled with `load-demo --days 1` (1 s readings), then
GET /api/v1/tables/machine_readings/series?columns=current,voltage&entity=M..
&start=..&end=..&max_points=2000 is timed three ways: in this process through
Flask's test client on the same store (server time: routing, auth, the query
check, `Store.read`, the response model and its JSON; no network), over HTTP to
the production command (`python app.py serve`) on localhost, and `Store.read`
alone (the floor: what the API adds is the difference).
Target (issue 10): < 100 ms server time on both backends.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# The project folder instead of bench/ (whose pages.py would shadow the app's pages/).
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench._server import (  # noqa: E402 - after the path is set
    Client,
    backend_for,
    free_port,
    load_demo,
    machine_note,
    percentile,
    run_backends,
    serve,
    verdict,
    workspace,
)

TARGET_MS = 100.0
MAX_POINTS = 2000
COLUMNS = ["current", "voltage"]


def timed(call: Callable[[], Any], calls: int, warmup: int) -> dict[str, float]:
    seconds = []
    for n in range(warmup + calls):
        began = time.perf_counter()
        call()
        if n >= warmup:
            seconds.append(time.perf_counter() - began)
    return {
        "median_ms": statistics.median(seconds) * 1000,
        "p90_ms": percentile(seconds, 0.9) * 1000,
    }


def run_backend(name: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from app import create_app
    from data import open_store
    from live.hub import InProcessHub
    from settings import load_config

    rows = []
    with workspace() as ws, backend_for(name, ws) as backend:
        ws.write_config(free_port(), backend=backend)
        load_demo(ws, days=1)
        config = load_config(ws.config, env={})
        store = open_store(config)
        entity = store.distinct("machine_readings", "machine_id")[0]
        start, end = store.time_range("machine_readings", {"machine_id": entity})
        path = (
            "/api/v1/tables/machine_readings/series?"
            f"columns={','.join(COLUMNS)}&entity={entity}&max_points={MAX_POINTS}"
            f"&start={start.isoformat()}&end={end.isoformat()}".replace("+", "%2B")
        )
        client = create_app(config, store, InProcessHub()).server.test_client()
        answer = client.get(path)
        if answer.status_code != 200:
            raise RuntimeError(f"{name}: {answer.status_code} {answer.get_data(as_text=True)}")
        found = answer.get_json()
        shape = {
            "rows_in_range": found["rows_in_range"],
            "points": sum(len(s["time"]) for s in found["series"]),
            "bytes": len(answer.data),
        }
        rows.append(
            {"backend": name, "how": "API, in process (server time)",
             **timed(lambda: client.get(path), args.calls, args.warmup), **shape}
        )  # fmt: skip
        rows.append(
            {"backend": name, "how": "Store.read alone",
             **timed(lambda: store.read("machine_readings", COLUMNS, start, end, MAX_POINTS,
                                        {"machine_id": entity}), args.calls, args.warmup)}
        )  # fmt: skip
        store.close()
        with serve(ws, name=f"{name}-serve", backend=backend, demo_data=False) as server:
            server.wait_until_up()
            http = Client(server.port)
            rows.append(
                {"backend": name, "how": "API over HTTP on localhost",
                 **timed(lambda: http.get(path), args.calls, args.warmup)}
            )  # fmt: skip
            http.close()
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--calls", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=3)
    args = parser.parse_args()
    print(f"bench/api.py: one day at 1 s, max_points={MAX_POINTS}, {machine_note()}")
    rows = run_backends(args.backends.split(","), lambda name: run_backend(name, args))
    for name in args.backends.split(","):
        server = next(r for r in rows if r["backend"] == name and "server time" in r["how"])
        met = verdict(server["median_ms"] < TARGET_MS)
        print(f"{name}: target < {TARGET_MS:.0f} ms server time: {server['median_ms']:.1f}: {met}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
