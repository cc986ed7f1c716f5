"""The Explore `draw` callback: server time and payload for one machine's day of 1 s data.

Run from the project folder with the project's venv:

    .venv/bin/python bench/explore.py [--calls 20] [--warmup 3] [--db FILLED.db] [--keep]

A temp store is filled with `load-demo --days 1` (or a copy of --db), the real
server is started on it, and the callback is POSTed to /_dash-update-component
with the body the browser sends (built from /_dash-dependencies) for
machine_readings current+voltage of the first machine: the whole day, a 1-hour
zoom and a 10-minute zoom. Times are wall times on localhost, so they include
HTTP and Dash's own work. Then the same steps run in this process on the same
store (choose, store.read with its SQL timed per statement, series_figure, Dash's
JSON encoding) to show where the time goes.
Targets (issue 2): < 150 ms server time and < 300 KB payload for the whole day.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (
    PROJECT_DIR,
    Dash,
    gzip_size,
    machine_note,
    percentile,
    serve,
    use_store,
    verdict,
    workspace,
)

sys.path.insert(0, str(PROJECT_DIR))

TABLE = "machine_readings"
COLUMNS = ["current", "voltage"]
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"  # as pages/explore.py writes the range inputs
TIME_TARGET_MS = 150.0
SIZE_TARGET_KB = 300.0


def ranges(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    mid = start + (end - start) / 2
    return [
        ("whole day", start, end),
        ("1-hour zoom", mid - timedelta(minutes=30), mid + timedelta(minutes=30)),
        ("10-min zoom", mid - timedelta(minutes=5), mid + timedelta(minutes=5)),
    ]


def draw_values(entity: str, start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "explore-table.value": TABLE,
        "explore-columns.value": COLUMNS,
        "explore-entity.value": entity,
        "explore-start.value": start.strftime(TIME_FORMAT),
        "explore-end.value": end.strftime(TIME_FORMAT),
        "explore-scale.value": False,
    }


def over_http(dash: Dash, entity: str, spans: list, calls: int, warmup: int) -> list[dict]:
    results = []
    for i, (name, start, end) in enumerate(spans):
        values = draw_values(entity, start, end)
        # The page's first draw fires with every input; a zoom changes start and end.
        changed = None if i == 0 else ["explore-start.value", "explore-end.value"]
        seconds = []
        for n in range(warmup + calls):
            resp = dash.call("explore-graph.figure", values, changed)
            if n >= warmup:
                seconds.append(resp.seconds)
        answer = resp.json()["response"]
        if answer.get("explore-message", {}).get("children"):
            raise RuntimeError(f"{name}: the callback reported {answer['explore-message']}")
        results.append(
            {
                "name": name,
                "median_ms": statistics.median(seconds) * 1000,
                "p90_ms": percentile(seconds, 0.9) * 1000,
                "raw": len(resp.body),
                "gzip": gzip_size(resp.body),
                "wire": len(resp.wire),
                "encoding": resp.headers.get("content-encoding", "none"),
                "info": answer["explore-info"]["children"],
            }
        )
    return results


class SQLLog:
    """Every statement run on the store's engine, with its parameters and phase.

    SQLite computes much of a SELECT while rows are fetched, so execute-time
    events understate a query; `replay` runs each logged statement again on a
    raw connection, fetching every row, and times that.
    """

    def __init__(self, engine: Any):
        from sqlalchemy import event

        self.engine = engine
        self.phase = "other"
        self.statements: list[tuple[str, str, Any]] = []
        self.replayed: list[tuple[str, float, str]] = []  # label, seconds, statement

        @event.listens_for(engine, "before_cursor_execute")
        def before(conn, cursor, statement, parameters, context, executemany):
            self.statements.append((self.label(statement), statement, parameters))

    def label(self, statement: str) -> str:
        if self.phase != "read":
            return f"{self.phase} SQL"
        text = statement.lstrip().lower()
        if text.startswith("select count("):
            return "count SQL"
        if "rollup" in text:
            return "rollup SQL"
        if "per_bucket" in text:
            return "M4 SQL"
        return "rows SQL"

    def replay(self, repeats: int) -> dict[str, float]:
        """Median seconds per label of executing and fetching the logged statements."""
        raw = self.engine.raw_connection()
        totals: dict[str, float] = defaultdict(float)
        self.replayed = []
        try:
            for label, statement, parameters in self.statements:
                if not statement.lstrip().lower().startswith(("select", "with")):
                    continue
                spent = []
                for _ in range(repeats):
                    cursor = raw.cursor()
                    t0 = time.perf_counter()
                    cursor.execute(statement, parameters)
                    cursor.fetchall()
                    spent.append(time.perf_counter() - t0)
                    cursor.close()
                totals[label] += statistics.median(spent)
                self.replayed.append((label, statistics.median(spent), statement))
        finally:
            raw.close()
        return totals


def in_process(config: Any, entity: str, spans: list, calls: int) -> list[dict]:
    """The callback's steps without HTTP: where the server time goes."""
    from dash._utils import to_json

    from components.timeseries import series_figure
    from data import open_store
    from data.views import choose

    store = open_store(config)
    log = SQLLog(store.engine)
    results = []
    try:
        for name, start, end in spans:
            values = draw_values(entity, start, end)
            sums: dict[str, list[float]] = defaultdict(list)
            for n in range(calls + 2):
                log.statements.clear()
                t0 = time.perf_counter()
                log.phase = "choose"
                choice = choose(
                    store, TABLE, COLUMNS, entity,
                    values["explore-start.value"], values["explore-end.value"], [],
                )  # fmt: skip
                t1 = time.perf_counter()
                log.phase = "read"
                read = store.read(
                    choice.table, choice.columns, choice.start, choice.end,
                    config.max_points, {choice.entity_column: choice.entity},
                )  # fmt: skip
                t2 = time.perf_counter()
                log.phase = "other"
                figure = series_figure(read, scaled=False, scaler=config.scaler)
                t3 = time.perf_counter()
                body = to_json(
                    {"multi": True, "response": {"explore-graph": {"figure": figure},
                                                 "explore-message": {"children": None},
                                                 "explore-info": {"children": "x"},
                                                 "explore-query": {"data": "x"}}}
                )  # fmt: skip
                t4 = time.perf_counter()
                if n < 2:
                    continue  # warm-up: catalog, reflection, caches
                step = {
                    "choose": t1 - t0,
                    "read": t2 - t1,
                    "figure": t3 - t2,
                    "json": t4 - t3,
                    "total": t4 - t0,
                }
                for key, value in step.items():
                    sums[key].append(value)
            row = {k: statistics.median(v) * 1000 for k, v in sums.items()}
            # The last call's statements, replayed one by one and fully fetched.
            row.update({k: v * 1000 for k, v in log.replay(max(3, calls // 4)).items()})
            row["statements"] = log.replayed
            row.update(name=name, rows=read.rows_in_range, points=read.points,
                       downsampled=read.downsampled, json_bytes=len(body))  # fmt: skip
            results.append(row)
    finally:
        store.close()
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=20, help="timed calls per range")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per range first")
    parser.add_argument("--db", help="copy this filled SQLite store instead of making the demo")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    parser.add_argument("--sql", action="store_true", help="print each SQL statement's time")
    args = parser.parse_args()

    from data import open_store
    from settings import load_config

    print(f"explore benchmark; machine: {machine_note()}")
    with workspace(keep=args.keep) as ws:
        print(f"store: {use_store(ws, args.db)}")
        config = load_config(ws.config)
        store = open_store(config)
        try:
            entity = store.distinct(TABLE, "machine_id")[0]
            start, end = store.time_range(TABLE, {"machine_id": entity})
        finally:
            store.close()
        spans = ranges(start, end)
        print(
            f"{TABLE} {'+'.join(COLUMNS)} of {entity}, {start:%Y-%m-%d %H:%M:%S} to "
            f"{end:%Y-%m-%d %H:%M:%S}; max_points {config.max_points}; "
            f"{args.calls} timed calls after {args.warmup} warm-up calls per range"
        )
        with serve(ws) as server:
            server.wait_until_up("/", timeout=60)
            dash = Dash(server.client)
            dash.open_page("/explore")
            http_rows = over_http(dash, entity, spans, args.calls, args.warmup)
        local_rows = in_process(load_config(ws.config), entity, spans, args.calls)

    encoding = http_rows[0]["encoding"]
    print()
    print(f"Over HTTP (response Content-Encoding: {encoding}; gzip = what gzip -6 would send)")
    print(f"{'range':<12} {'median ms':>9} {'p90 ms':>7} {'raw KB':>7} {'gzip KB':>8}  info")
    for r in http_rows:
        print(
            f"{r['name']:<12} {r['median_ms']:>9.0f} {r['p90_ms']:>7.0f} "
            f"{r['raw'] / 1000:>7.1f} {r['gzip'] / 1000:>8.1f}  {r['info']}"
        )
    print()
    print("In process, medians in ms (SQL columns: the statements replayed alone, rows fetched; "
          "read = its SQL + DataFrame/unfold)")  # fmt: skip
    sql = ["count SQL", "rollup SQL", "M4 SQL", "rows SQL"]
    seen = [k for k in sql if any(k in r for r in local_rows)]
    keys = ["choose", "choose SQL", *seen, "read", "figure", "json", "total"]
    print(f"{'range':<12} " + " ".join(f"{k:>10}" for k in keys) + f" {'rows':>7} {'points':>6}")
    for r in local_rows:
        cells = " ".join(f"{r.get(k, 0.0):>10.1f}" for k in keys)
        print(f"{r['name']:<12} {cells} {r['rows']:>7,} {r['points']:>6,}")
    if args.sql:
        for r in local_rows:
            print(f"\nSQL of one call, {r['name']} (replayed alone, ms):")
            for label, seconds, statement in r["statements"]:
                print(f"  {seconds * 1000:8.1f}  {label:<11} {' '.join(statement.split())[:90]}")
    day = http_rows[0]
    print()
    print(
        f"whole day over HTTP: median {day['median_ms']:.0f} ms "
        f"(target < {TIME_TARGET_MS:.0f} ms: {verdict(day['median_ms'] < TIME_TARGET_MS)}), "
        f"p90 {day['p90_ms']:.0f} ms; payload {day['wire'] / 1000:.1f} KB as sent "
        f"({encoding}), {day['gzip'] / 1000:.1f} KB if gzipped "
        f"(target < {SIZE_TARGET_KB:.0f} KB: {verdict(day['wire'] / 1000 < SIZE_TARGET_KB)})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
