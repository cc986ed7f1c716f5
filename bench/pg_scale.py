"""PostgreSQL at 10 million rows (issue 3): Vigil's Explore next to plotly-resampler.

Run from the project folder with the project's venv (about 8.5 minutes on 2 cores,
6 of them the product's rollup rebuild; a first run also makes .venv-bench, ~1 min):

    .venv/bin/python bench/pg_scale.py [--rows 10000000] [--calls 20] [--skip-resampler]

1. Setup, in a schema of its own (bench_pg_<random>) of the local PostgreSQL
   (`--pg`, default postgresql://postgres@127.0.0.1:5432/test): Vigil's tables
   through the Store (`SQLStore.create_schema`), then `machine_readings` filled
   with one machine at 1 s (10 M rows, about 116 days) by binary COPY, streamed
   chunk by chunk from numpy (bench setup, not Vigil's ingest path); then the
   rollup pyramid rebuilt by the product's own `store.rebuild_rollups`, then
   VACUUM (ANALYZE) (autovacuum is off on the test server; on a production
   server it would set the visibility map of an insert-only table the same way).
2. Vigil from a cold process: the real server (`python app.py --config CFG
   serve`, backend = the schema's URL, demo_data off). Over HTTP, as a browser:
   the /explore page, then the `draw` callback for the whole range (the first
   call is the "cold first view", then 10 warm calls), a 1-day and a 1-hour
   zoom (3 warm-up + `--calls` timed calls each); the server's VmRSS/VmHWM
   before the first draw and after the last. Then `store.read` in this
   process for the same ranges, every SQL statement replayed alone, and
   EXPLAIN (ANALYZE, BUFFERS) of the statements slower than 10 ms.
3. plotly-resampler 0.11.1 in its own venv (.venv-bench, made from
   requirements-bench.txt when missing) and its own processes, so their
   memory is measured alone: the same 10 M rows loaded into pandas with
   `pd.read_sql` (load time, peak RSS), a `FigureResampler` with one 10 M-point
   trace (current): first view (add_trace + the figure's JSON), reset-axes
   (whole range again), and its zoom callback `construct_update_data_patch`
   for the same 1-day and 1-hour zooms, the Patch encoded by Dash's to_json;
   the RSS it holds. A second process times the fastest load we know
   (COPY ... TO STDOUT into pd.read_csv), for the load only.
4. A comparison table with the issue's targets.

Everything is cleaned up at the end (schema dropped, servers and child
processes stopped by pid), also on Ctrl-C; `--keep-schema` keeps the filled
schema and `--reuse-schema NAME` measures a kept one again (setup skipped; it is
dropped at the end unless `--keep-schema` is given again).
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import itertools
import json
import math
import secrets
import signal
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (
    PROJECT_DIR,
    Dash,
    gzip_size,
    machine_note,
    percentile,
    serve,
    verdict,
    workspace,
)

sys.path.insert(0, str(PROJECT_DIR))

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
TABLE = "machine_readings"
COLUMNS = ["current", "voltage"]  # Explore's default view (init_cols_for_plot)
ENTITY = "M1"
START = datetime(2026, 7, 29, tzinfo=UTC)  # 10 M seconds later: 2026-11-21 17:46:39
ROWS = 10_000_000
CHUNK = 500_000
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"
RESAMPLER_PIN = "plotly-resampler==0.11.1"
BENCH_VENV = PROJECT_DIR / ".venv-bench"
BENCH_PYTHON = BENCH_VENV / "bin" / "python"
RESAMPLER_POINTS = 2000  # Vigil's max_points per series
TARGET_COLD_MS, TARGET_DAY_MS, TARGET_HOUR_MS, TARGET_RSS_MB = 300.0, 100.0, 50.0, 50.0


def say(text: str = "") -> None:
    print(text, flush=True)


def schema_url(base: str, schema: str) -> str:
    return f"{base}?options={quote(f'-csearch_path={schema}', safe='')}"


# -- setup: the schema, 10 M rows by binary COPY, the rollup pyramid ------------------------
def machine_states(rng: Any, rows: int) -> tuple[Any, Any]:
    """Segment starts (s from START) and states (0 off, 1 idle, 2 production): a day shift."""
    import numpy as np

    dwell = {0: (900, 0.6, 60), 1: (300, 0.7, 30), 2: (3000, 0.5, 300)}  # as the demo
    starts, states, offset, state = [], [], 0, 0
    while offset < rows:
        starts.append(offset)
        states.append(state)
        second = offset % 86_400
        night = second < 6 * 3600 or second >= 22 * 3600
        if state == 0 and night:
            offset += (6 * 3600 - second) % 86_400 + int(rng.exponential(900))
        else:
            median, sigma, floor = dwell[state]
            offset += max(floor, int(rng.lognormal(math.log(median), sigma)))
        # off and production go idle; idle goes to production (mostly, by day) or off
        state = 1 if state != 1 else (2 if rng.random() < (0.15 if night else 0.85) else 0)
    return np.array(starts), np.array(states)


def copy_chunks(rows: int, seed: int = 3):
    """PostgreSQL binary COPY data for machine_readings, CHUNK rows at a time, as bytes.

    Rows of one state have one length, so each run of a state is one numpy
    record array: (machine_id, time, current, voltage, state) without a Python
    loop per row, ten times faster than formatting CSV.
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    seg_starts, seg_states = machine_states(rng, rows)
    level = np.select(
        [seg_states == 1, seg_states == 2],
        [rng.uniform(0.10, 0.18, len(seg_states)), rng.uniform(0.78, 0.98, len(seg_states))],
        0.0,
    )
    words = {0: b"off", 1: b"idle", 2: b"production"}
    # A tuple: its field count, then each field's length and bytes, big-endian; a
    # timestamptz is microseconds since 2000-01-01 UTC.
    m = len(ENTITY.encode())
    fields = f"nf >i2, l_m >i4, m S{m}, l_t >i4, t >i8, l_c >i4, c >f8, l_v >i4, v >f8, l_s >i4"
    fixed = [tuple(f.split()) for f in fields.split(", ")]
    dtypes = {s: np.dtype([*fixed, ("s", f"S{len(w)}")]) for s, w in words.items()}
    # A few faults, so the extremes M4 keeps are not only noise: current spikes of 5-60 s.
    spikes = np.sort(rng.integers(0, rows, 60))
    spike_len = rng.integers(5, 60, len(spikes))
    pg_epoch_us = int((START - datetime(2000, 1, 1, tzinfo=UTC)).total_seconds()) * 1_000_000
    yield b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    for lo in range(0, rows, CHUNK):
        hi = min(rows, lo + CHUNK)
        t = np.arange(lo, hi)
        seg = np.searchsorted(seg_starts, t, side="right") - 1
        state = seg_states[seg]
        noise = np.clip(rng.standard_normal((2, hi - lo)), -4, 4)
        wander = 0.04 * np.sin(2 * np.pi * t / 1300.0)
        fraction = (
            level[seg]
            + np.array([0.002, 0.008, 0.025])[state] * noise[0]
            + np.where(state == 2, wander, 0.0)
        )
        current = 45.0 * np.abs(fraction)
        for at, length in zip(spikes, spike_len, strict=True):
            a, b = max(at, lo), min(at + length, hi)
            if a < b:
                current[a - lo : b - lo] *= 1.6
        voltage = 400.0 + 2.0 * np.sin(2 * np.pi * t / 86_400) + 1.5 * noise[1]
        voltage = np.where(state == 0, 0.0, voltage)
        runs = np.flatnonzero(np.concatenate([[True], state[1:] != state[:-1]]))
        bounds = np.concatenate([runs, [hi - lo]])
        pieces = []
        for a, b in itertools.pairwise(bounds):
            s = int(state[a])
            rec = np.empty(b - a, dtypes[s])
            rec["nf"], rec["l_m"], rec["m"], rec["l_t"] = 5, m, ENTITY.encode(), 8
            rec["t"] = pg_epoch_us + t[a:b] * 1_000_000
            rec["l_c"], rec["c"], rec["l_v"], rec["v"] = 8, current[a:b], 8, voltage[a:b]
            rec["l_s"], rec["s"] = len(words[s]), words[s]
            pieces.append(rec.tobytes())
        yield b"".join(pieces)
    yield (-1).to_bytes(2, "big", signed=True)


class ChunkReader:
    """A file-like object over a bytes generator, for cursor.copy_expert."""

    def __init__(self, chunks: Any, on_chunk: Any = None):
        self.chunks = iter(chunks)
        self.buffer = memoryview(b"")
        self.on_chunk = on_chunk
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        while not len(self.buffer):
            chunk = next(self.chunks, None)
            if chunk is None:
                return b""
            self.buffer = memoryview(chunk)
            self.count += 1
            if self.on_chunk:
                self.on_chunk(self.count)
        size = len(self.buffer) if size < 0 else size
        out, self.buffer = self.buffer[:size], self.buffer[size:]
        return bytes(out)


def pg_connect(url: str) -> Any:
    import psycopg2

    return psycopg2.connect(url)


def setup(url: str, rows: int) -> dict[str, Any]:
    from data.sql_store import SQLStore

    found: dict[str, Any] = {}
    store = SQLStore(url)
    try:
        t0 = time.perf_counter()
        store.create_schema()
        found["create_schema_s"] = time.perf_counter() - t0

        chunks = math.ceil(rows / CHUNK)
        t0 = time.perf_counter()

        def progress(n: int) -> None:
            if n > 1 and (n - 1) % 4 == 0:
                done = min(rows, (n - 1) * CHUNK)
                say(f"  COPY {done:>12,} rows  {time.perf_counter() - t0:6.1f} s")

        with contextlib.closing(pg_connect(url)) as conn, conn.cursor() as cur:
            cur.copy_expert(
                f"COPY {TABLE} (machine_id, time, current, voltage, state) "
                "FROM STDIN WITH (FORMAT binary)",
                ChunkReader(copy_chunks(rows), progress),
                size=1 << 20,
            )
            conn.commit()
        found["copy_s"] = time.perf_counter() - t0
        say(f"  COPY {rows:,} rows in {chunks} chunks: {found['copy_s']:.1f} s")

        t0 = time.perf_counter()
        with contextlib.closing(pg_connect(url)) as conn:
            conn.autocommit = True
            conn.cursor().execute(f"ANALYZE {TABLE}")
        found["analyze_s"] = time.perf_counter() - t0

        t0 = time.perf_counter()
        last = [t0]

        def rollup_progress(done: int) -> None:
            if time.perf_counter() - last[0] > 15:
                last[0] = time.perf_counter()
                say(f"  rollups: {done:>12,} rows read  {last[0] - t0:6.1f} s")

        found["rollup_rows_read"] = store.rebuild_rollups(TABLE, progress=rollup_progress)
        found["rollup_s"] = time.perf_counter() - t0
        say(
            f"  store.rebuild_rollups: {found['rollup_rows_read']:,} rows read in "
            f"{found['rollup_s']:.1f} s"
        )
        t0 = time.perf_counter()
        with contextlib.closing(pg_connect(url)) as conn:
            conn.autocommit = True
            cur = conn.cursor()
            cur.execute(f"VACUUM (ANALYZE) {TABLE}")
            cur.execute("VACUUM (ANALYZE) m4_rollups")
        found["vacuum_s"] = time.perf_counter() - t0
    finally:
        store.close()
    found.update(sizes(url))
    return found


def sizes(url: str) -> dict[str, Any]:
    with contextlib.closing(pg_connect(url)) as conn, conn.cursor() as cur:
        cur.execute(
            "SELECT count(*), pg_total_relation_size('machine_readings'), "
            "pg_total_relation_size('m4_rollups') FROM m4_rollups"
        )
        rollup_rows, table_bytes, rollup_bytes = cur.fetchone()
        cur.execute("SELECT level, count(*) FROM m4_rollups GROUP BY level ORDER BY level")
        levels = cur.fetchall()
    return {
        "rollup_rows": rollup_rows,
        "table_mb": table_bytes / 1e6,
        "rollup_mb": rollup_bytes / 1e6,
        "levels": levels,
    }


def drop_schema(base: str, schema: str) -> None:
    with contextlib.closing(pg_connect(base)) as conn:
        conn.autocommit = True
        conn.cursor().execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


# -- Vigil over HTTP ------------------------------------------------------------------------
def spans(start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    """Whole range, then a 1-day and a 1-hour zoom around the middle (not hour-aligned)."""
    mid = start + (end - start) / 2
    return [
        ("whole range", start, end),
        ("1-day zoom", mid - timedelta(hours=12), mid + timedelta(hours=12)),
        ("1-hour zoom", mid - timedelta(minutes=30), mid + timedelta(minutes=30)),
    ]


def draw_values(start: datetime, end: datetime) -> dict[str, Any]:
    return {
        "explore-table.value": TABLE,
        "explore-columns.value": COLUMNS,
        "explore-entity.value": ENTITY,
        "explore-start.value": start.strftime(TIME_FORMAT),
        "explore-end.value": end.strftime(TIME_FORMAT),
        "explore-scale.value": False,
    }


def mb(kb: int) -> float:
    return kb / 1024


def vigil_http(url: str, ranges: list, calls: int, warmup: int, whole_calls: int) -> dict:
    zoom_changed = ["explore-start.value", "explore-end.value"]
    out: dict[str, Any] = {"ranges": []}
    with workspace() as ws, serve(ws, name="vigil", backend=url, demo_data=False) as server:
        out["up_s"] = server.wait_until_up("/", timeout=180)
        out["listening_s"] = server.listening
        dash = Dash(server.client)
        out["rss_up"] = server.memory()
        t0 = time.perf_counter()
        _, page = dash.open_page("/explore")
        out["explore_page_s"] = time.perf_counter() - t0
        out["explore_router_s"] = page.seconds
        out["rss_before"] = server.memory()
        for i, (name, start, end) in enumerate(ranges):
            values = draw_values(start, end)
            seconds, first = [], None
            n_calls = whole_calls if i == 0 else calls
            for n in range((1 if i == 0 else warmup) + n_calls):
                resp = dash.call("explore-graph.figure", values, None if i == 0 else zoom_changed)
                if i == 0 and n == 0:
                    first = resp.seconds  # the first draw of the cold process
                    out["rss_after_first"] = server.memory()
                    continue
                if n >= (1 if i == 0 else warmup):
                    seconds.append(resp.seconds)
            answer = resp.json()["response"]
            if answer.get("explore-message", {}).get("children"):
                raise RuntimeError(f"{name}: the callback reported {answer['explore-message']}")
            out["ranges"].append(
                {
                    "name": name,
                    "first_ms": first * 1000 if first is not None else None,
                    "median_ms": statistics.median(seconds) * 1000,
                    "p90_ms": percentile(seconds, 0.9) * 1000,
                    "calls": len(seconds),
                    "raw_kb": len(resp.body) / 1000,
                    "gzip_kb": gzip_size(resp.body) / 1000,
                    "info": answer["explore-info"]["children"],
                }
            )
        # A zoom in the browser is two callbacks: on_zoom (relayoutData -> range), then draw.
        _, zs, ze = ranges[1]
        relayout = {"xaxis.range[0]": zs.isoformat(), "xaxis.range[1]": ze.isoformat()}
        zoom_seconds = []
        for n in range(warmup + calls):
            resp = dash.call(
                "explore-start.value@",
                {
                    "explore-graph.relayoutData": relayout,
                    "explore-table.value": TABLE,
                    "explore-entity.value": ENTITY,
                },
                ["explore-graph.relayoutData"],
            )
            if n >= warmup:
                zoom_seconds.append(resp.seconds)
        out["on_zoom_ms"] = statistics.median(zoom_seconds) * 1000
        out["rss_after"] = server.memory()
        # Not an issue-3 target, but the first page a user sees on the same store.
        overview = [dash.open_page("/")[1].seconds for _ in range(3)]
        out["overview_ms"] = [s * 1000 for s in overview]
        out["rss_overview"] = server.memory()
    return out


# -- Vigil in process: store.read and its SQL -----------------------------------------------
def vigil_in_process(url: str, ranges: list, calls: int) -> list[dict]:
    """The draw callback's steps without HTTP (as bench/explore.py), SQL replayed alone."""
    from dash._utils import to_json
    from explore import SQLLog

    from components.timeseries import series_figure
    from data.sql_store import SQLStore
    from data.views import choose

    store = SQLStore(url)
    log = SQLLog(store.engine)
    results = []
    try:
        for name, start, end in ranges:
            values = draw_values(start, end)
            steps: dict[str, list[float]] = {}
            for n in range(calls + 2):
                log.statements.clear()
                t0 = time.perf_counter()
                log.phase = "choose"
                choice = choose(
                    store,
                    TABLE,
                    COLUMNS,
                    ENTITY,
                    values["explore-start.value"],
                    values["explore-end.value"],
                    [],
                )
                t1 = time.perf_counter()
                log.phase = "read"
                read = store.read(
                    choice.table,
                    choice.columns,
                    choice.start,
                    choice.end,
                    2000,
                    {choice.entity_column: choice.entity},
                )
                t2 = time.perf_counter()
                log.phase = "other"
                figure = series_figure(read, scaled=False, scaler="standard")
                t3 = time.perf_counter()
                to_json({"multi": True, "response": {"explore-graph": {"figure": figure}}})
                t4 = time.perf_counter()
                if n < 2:
                    continue  # warm-up: reflection, catalog, plans
                for key, value in (
                    ("choose", t1 - t0),
                    ("read", t2 - t1),
                    ("figure", t3 - t2),
                    ("json", t4 - t3),
                    ("total", t4 - t0),
                ):
                    steps.setdefault(key, []).append(value)
            row: dict[str, Any] = {k: statistics.median(v) * 1000 for k, v in steps.items()}
            # The last call's statements, replayed one by one with every row fetched.
            row.update({k: v * 1000 for k, v in log.replay(max(3, calls // 4)).items()})
            params = [
                p
                for _label, s, p in log.statements
                if s.lstrip().lower().startswith(("select", "with"))
            ]
            row["statements"] = [
                (label, seconds, statement, p)
                for (label, seconds, statement), p in zip(log.replayed, params, strict=True)
            ]
            row.update(name=name, rows=read.rows_in_range, points=read.points)
            results.append(row)
    finally:
        store.close()
    return results


def count_alternatives(url: str, start: datetime, end: datetime, rows: int) -> dict[str, float]:
    """What the whole-range read costs without its count(*), and what the count costs otherwise.

    `_read_rollups` is the read's own rollup path, called with the count already known
    (a private method: this is a measurement, not a use of the Store).
    """
    from data.sql_store import SQLStore

    found: dict[str, float] = {}
    where = f"FROM {TABLE} WHERE machine_id = %s AND time >= %s AND time <= %s"
    with contextlib.closing(pg_connect(url)) as conn, conn.cursor() as cur:
        for key, sql, setting in (
            ("count_seq_ms", f"SELECT count(*) {where}", None),
            ("count_index_only_ms", f"SELECT count(*) {where}", "SET enable_seqscan = off"),
            ("count_no_jit_ms", f"SELECT count(*) {where}", "SET jit = off"),
            ("limit_probe_ms", f"SELECT count(*) FROM (SELECT 1 {where} LIMIT 2001) s", None),
        ):
            if setting:
                cur.execute(setting)
            t0 = time.perf_counter()
            cur.execute(sql, (ENTITY, start, end))
            cur.fetchall()
            found[key] = (time.perf_counter() - t0) * 1000
            cur.execute("RESET ALL")
    store = SQLStore(url)
    try:
        tbl = store._table(TABLE)
        # The read's rollup path (moved from SQLStore._read_rollups to store.rollups.read).
        rollup_read = getattr(getattr(store, "rollups", None), "read", None) or getattr(
            store, "_read_rollups", None
        )
        if rollup_read is None:
            return found
        width = (end - start).total_seconds() / (2000 // 4)
        seconds = []
        with store._connect() as conn:
            for n in range(8):
                t0 = time.perf_counter()
                answer = rollup_read(
                    conn, tbl, COLUMNS, {"machine_id": ENTITY}, start, end, width, rows
                )
                if n >= 3:
                    seconds.append(time.perf_counter() - t0)
        found["rollups_only_ms"] = statistics.median(seconds) * 1000
        found["rollups_answered"] = answer is not None
    finally:
        store.close()
    return found


def explain(url: str, statements: list[tuple[str, float, str, Any]]) -> list[tuple[str, str]]:
    """EXPLAIN (ANALYZE, BUFFERS) of each statement, run with its own parameters."""
    plans = []
    with contextlib.closing(pg_connect(url)) as conn, conn.cursor() as cur:
        for label, _seconds, statement, parameters in statements:
            cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
            plan = "\n".join(r[0] for r in cur.fetchall())
            plans.append((label, cur.mogrify(statement, parameters).decode(), plan))
    return plans


# -- plotly-resampler, in its own venv and process -------------------------------------------
def ensure_bench_venv() -> str | None:
    """Make .venv-bench when missing; None when ready, else the error."""
    if BENCH_PYTHON.exists():
        probe = subprocess.run(
            [str(BENCH_PYTHON), "-c", "import plotly_resampler, psycopg2, sqlalchemy"],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if probe.returncode == 0:
            return None
    say(f"  making {BENCH_VENV.name} (requirements-bench.txt, then {RESAMPLER_PIN} --no-deps)")
    steps = [
        [sys.executable, "-m", "venv", str(BENCH_VENV)],
        [
            str(BENCH_PYTHON),
            "-m",
            "pip",
            "install",
            "-q",
            "-r",
            str(PROJECT_DIR / "requirements-bench.txt"),
        ],
        [str(BENCH_PYTHON), "-m", "pip", "install", "-q", "--no-deps", RESAMPLER_PIN],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True, timeout=600)
        if done.returncode != 0:
            lines = [ln for ln in done.stderr.splitlines() if "is ignored" not in ln]
            return f"{' '.join(step[-3:])} failed:\n" + "\n".join(lines[-15:])
    (BENCH_VENV / ".gitignore").write_text("*\n", encoding="utf-8")  # as venv does on 3.13
    return None


def run_child(url: str, load: str, ranges: list, calls: int, timeout: float) -> dict:
    """Run this file as a plotly-resampler child under .venv-bench; its JSON result."""
    args = [
        str(BENCH_PYTHON),
        str(Path(__file__).resolve()),
        "--child",
        load,
        "--pg",
        url,
        "--calls",
        str(calls),
        "--ranges",
        json.dumps([[n, s.isoformat(), e.isoformat()] for n, s, e in ranges]),
    ]
    proc = subprocess.Popen(args, cwd=PROJECT_DIR, stdout=subprocess.PIPE, text=True)
    try:
        out, _ = proc.communicate(timeout=timeout)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)
    for line in out.splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT ") :])
    return {"error": f"child exited {proc.returncode} without a result:\n{out[-1500:]}"}


def proc_memory() -> dict[str, float]:
    found = {}
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    return found


def trim() -> None:
    """Give freed heap back to the kernel, so RSS shows what is still held."""
    import ctypes

    gc.collect()
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)


def child(load: str, url: str, ranges: list, calls: int) -> int:
    """plotly-resampler's side, alone in this process; prints one RESULT line of JSON."""
    result: dict[str, Any] = {"load": load}

    def log(text: str) -> None:
        print(f"  [resampler {load}] {text}", file=sys.stderr, flush=True)

    try:
        import pandas as pd
        import plotly
        import sqlalchemy

        from data.sql_store import driver_url

        result["mem_start"] = proc_memory()
        query = f"SELECT time, current FROM {TABLE} WHERE machine_id = '{ENTITY}' ORDER BY time"
        t0 = time.perf_counter()
        if load == "read_sql":
            engine = sqlalchemy.create_engine(driver_url(url))
            frame = pd.read_sql(sqlalchemy.text(query), engine)
            engine.dispose()
        else:  # the fastest way we know: COPY to CSV in memory, then pandas' C parser
            import io

            buf = io.BytesIO()
            with contextlib.closing(pg_connect(url)) as conn, conn.cursor() as cur:
                cur.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", buf)
            buf.seek(0)
            frame = pd.read_csv(buf, names=["time", "current"])
            del buf
            frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
        result["load_s"] = time.perf_counter() - t0
        result["rows"] = len(frame)
        result["dtypes"] = {k: str(v) for k, v in frame.dtypes.items()}
        result["mem_loaded"] = proc_memory()
        log(
            f"loaded {len(frame):,} rows in {result['load_s']:.1f} s, "
            f"peak RSS {result['mem_loaded']['VmHWM']:.0f} MB"
        )
        if load != "read_sql":
            print("RESULT " + json.dumps(result), flush=True)
            return 0

        import dash
        import plotly.graph_objects as go
        from dash._utils import to_json

        result["versions"] = {
            "plotly": plotly.__version__,
            "dash": dash.__version__,
            "pandas": pd.__version__,
        }
        try:
            import plotly_resampler
            from plotly_resampler import FigureResampler

            result["versions"]["plotly_resampler"] = plotly_resampler.__version__
        except Exception as exc:
            result["error"] = f"import plotly_resampler: {type(exc).__name__}: {exc}"
            print("RESULT " + json.dumps(result), flush=True)
            return 0

        t0 = time.perf_counter()
        fig = FigureResampler(go.Figure(), default_n_shown_samples=RESAMPLER_POINTS)
        fig.add_trace(
            go.Scattergl(name="current", mode="lines"), hf_x=frame["time"], hf_y=frame["current"]
        )
        t1 = time.perf_counter()
        first_json = to_json(fig.to_dict())  # what the layout / figure callback sends
        t2 = time.perf_counter()
        result["add_trace_ms"] = (t1 - t0) * 1000
        result["first_json_ms"] = (t2 - t1) * 1000
        result["first_points"] = len(fig.data[0].x)
        result["first_kb"] = len(first_json) / 1000
        result["mem_figure"] = proc_memory()
        parsed = [(n, pd.Timestamp(s), pd.Timestamp(e)) for n, s, e in ranges]

        def relayout(start: Any, end: Any) -> dict[str, str]:
            # plotly's relayoutData: the axis range as naive strings (the axis shows UTC)
            return {
                "xaxis.range[0]": start.tz_convert(None).isoformat(sep=" "),
                "xaxis.range[1]": end.tz_convert(None).isoformat(sep=" "),
            }

        def callback(payload: dict[str, Any]) -> tuple[float, int, int, tuple]:
            t = time.perf_counter()
            patch = fig.construct_update_data_patch(payload)
            body = to_json({"multi": True, "response": {"graph": {"figure": patch}}})
            seconds = time.perf_counter() - t
            trace = fig._construct_update_data(payload)  # for the check below only
            x = trace[1]["x"] if isinstance(trace, list) and len(trace) > 1 else []
            span = (str(x[0]), str(x[-1])) if len(x) else ()
            return seconds, len(x), len(body), span

        reset = {"xaxis.autorange": True, "xaxis.showspikes": True}
        rows_out = []
        for i, (name, start, end) in enumerate(parsed):
            payload = reset if i == 0 else relayout(start, end)
            seconds = []
            for n in range(3 + (10 if i == 0 else calls)):
                s, points, size, span = callback(payload)
                if n >= 3:
                    seconds.append(s)
            rows_out.append(
                {
                    "name": name,
                    "median_ms": statistics.median(seconds) * 1000,
                    "p90_ms": percentile(seconds, 0.9) * 1000,
                    "points": points,
                    "kb": size / 1000,
                    "span": span,
                }
            )
            log(f"{name}: median {rows_out[-1]['median_ms']:.1f} ms, {points} points {span}")
        result["ranges"] = rows_out
        result["mem_after"] = proc_memory()
        del frame
        trim()
        result["mem_figure_only"] = proc_memory()
        result["hf_bytes"] = sum(
            getattr(d.get("x"), "nbytes", 0) + getattr(d.get("y"), "nbytes", 0)
            for d in fig._hf_data.values()
        )
    except Exception as exc:
        import traceback

        result["error"] = f"{type(exc).__name__}: {exc}\n{traceback.format_exc()[-1500:]}"
    print("RESULT " + json.dumps(result, default=str), flush=True)
    return 0


# -- output ---------------------------------------------------------------------------------
def print_vigil(http: dict, local: list[dict]) -> None:
    say()
    say(
        f"Vigil server: port open {http['listening_s']:.2f} s, GET / answered "
        f"{http['up_s']:.2f} s after spawn (first request: every page's layout, Overview "
        f"included); /explore page + router callback {http['explore_page_s'] * 1000:.0f} ms"
    )
    say("Over HTTP, the Explore `draw` callback (current + voltage of M1):")
    say(
        f"{'range':<12} {'first':>7} {'median':>7} {'p90':>7} {'calls':>5} "
        f"{'raw KB':>7} {'gzip KB':>7}  info"
    )
    for r in http["ranges"]:
        first = f"{r['first_ms']:.0f}" if r["first_ms"] is not None else "-"
        say(
            f"{r['name']:<12} {first:>7} {r['median_ms']:>7.1f} {r['p90_ms']:>7.1f} "
            f"{r['calls']:>5} {r['raw_kb']:>7.1f} {r['gzip_kb']:>7.1f}  {r['info']}"
        )
    say(f"(ms; a browser zoom also runs `on_zoom` first: median {http['on_zoom_ms']:.1f} ms)")
    for key, label in (
        ("rss_up", "up"),
        ("rss_before", "before first draw"),
        ("rss_after_first", "after first draw"),
        ("rss_after", "after all calls"),
        ("rss_overview", "after 3 Overviews"),
    ):
        m = http[key]
        say(f"  server RSS {label:<18} VmRSS {mb(m['VmRSS']):6.1f} MB, VmHWM {mb(m['VmHWM']):6.1f}")
    say(
        "Overview page (`/`, its router callback) over HTTP after the draws: "
        + ", ".join(f"{x:.0f}" for x in http["overview_ms"])
        + " ms (not an issue-3 target; its SQL below)"
    )
    say()
    say("In process, medians in ms (SQL columns: each statement replayed alone, rows fetched)")
    sql = ["count SQL", "rollup SQL", "M4 SQL", "rows SQL"]
    keys = [
        "choose",
        *[k for k in sql if any(k in r for r in local)],
        "read",
        "figure",
        "json",
        "total",
    ]
    say(f"{'range':<12} " + " ".join(f"{k:>10}" for k in keys) + f" {'rows':>11} {'points':>6}")
    for r in local:
        cells = " ".join(f"{r.get(k, 0.0):>10.1f}" for k in keys)
        say(f"{r['name']:<12} {cells} {r['rows']:>11,} {r['points']:>6,}")
    for r in local:
        say(f"\nSQL of one store.read, {r['name']} (replayed alone, ms):")
        for label, seconds, statement, _params in r["statements"]:
            say(f"  {seconds * 1000:8.1f}  {label:<11} {' '.join(statement.split())[:110]}")


def overview_sql(url: str) -> None:
    """The Overview's machine query (store.latest) on the same table, with its plan."""
    from explore import SQLLog

    from data.sql_store import SQLStore

    store = SQLStore(url)
    log = SQLLog(store.engine)
    log.phase = "latest"
    try:
        seconds = []
        for _ in range(3):
            log.statements.clear()
            t0 = time.perf_counter()
            store.latest(TABLE, "machine_id", ["state", "current", "voltage"])
            seconds.append(time.perf_counter() - t0)
        label, statement, params = log.statements[-1]
        say(
            f"\nOverview's store.latest({TABLE}): median {statistics.median(seconds) * 1000:.0f} ms"
        )
        for _, sql_text, plan in explain(url, [(label, 0.0, statement, params)]):
            say(f"-- {' '.join(sql_text.split())[:300]}")
            say(plan)
    finally:
        store.close()


def code_version() -> str:
    """The commit measured, and the files of data/ changed since (the tree is shared)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True)
        return done.stdout.rstrip("\n")

    head = git("log", "-1", "--format=%h %s")[:90]
    dirty = [ln[3:] for ln in git("status", "--porcelain", "--", "data").splitlines() if ln]
    return head + (f" (+ uncommitted: {', '.join(dirty)})" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pg", default=PG_URL, help="PostgreSQL URL (a schema is made in it)")
    parser.add_argument("--rows", type=int, default=ROWS, help="rows of machine_readings")
    parser.add_argument("--calls", type=int, default=20, help="timed calls per zoom")
    parser.add_argument("--warmup", type=int, default=3, help="untimed calls per zoom first")
    parser.add_argument("--keep-schema", action="store_true", help="do not drop the schema")
    parser.add_argument(
        "--reuse-schema",
        help="measure this kept schema (setup skipped; dropped unless --keep-schema)",
    )
    parser.add_argument("--skip-resampler", action="store_true", help="Vigil only")
    parser.add_argument("--child", choices=["read_sql", "copy"], help=argparse.SUPPRESS)
    parser.add_argument("--ranges", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child(args.child, args.pg, json.loads(args.ranges), args.calls)

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    started = time.perf_counter()
    say(f"pg_scale benchmark (issue 3); machine: {machine_note()}; {datetime.now(UTC):%Y-%m-%d}")
    say(f"code: {code_version()}")
    schema = args.reuse_schema or f"bench_pg_{secrets.token_hex(4)}"
    if not schema.startswith("bench_pg_"):
        raise SystemExit("--reuse-schema takes a bench_pg_* schema made by this script")
    url = schema_url(args.pg, schema)
    failures: list[str] = []
    venv_problem = None
    if not args.skip_resampler:  # first, so a missing venv is not made while timing setup
        t0 = time.perf_counter()
        venv_problem = ensure_bench_venv()
        say(
            f"{BENCH_VENV.name}: {'ready' if not venv_problem else 'FAILED'} "
            f"({time.perf_counter() - t0:.1f} s)"
        )
    try:
        if not args.reuse_schema:
            with contextlib.closing(pg_connect(args.pg)) as conn:
                conn.autocommit = True
                conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
            say(f"schema {schema}: filling {TABLE} with {args.rows:,} rows of {ENTITY} at 1 s")
            made = setup(url, args.rows)
            say(
                f"setup: COPY {made['copy_s']:.1f} s, ANALYZE {made['analyze_s']:.1f} s, "
                f"store.rebuild_rollups {made['rollup_s']:.1f} s "
                f"({made['rollup_rows']:,} rollup rows: "
                + ", ".join(f"{lv} s {n:,}" for lv, n in made["levels"])
                + f"), VACUUM (ANALYZE) {made['vacuum_s']:.1f} s; "
                f"{TABLE} {made['table_mb']:.0f} MB with its index, "
                f"m4_rollups {made['rollup_mb']:.0f} MB"
            )
        else:
            made = sizes(url)
            say(f"schema {schema} reused: setup skipped")
        from data.sql_store import SQLStore

        store = SQLStore(url)
        try:
            first, last = store.time_range(TABLE, {"machine_id": ENTITY})
        finally:
            store.close()
        ranges = spans(first, last)
        say(
            f"{TABLE} {ENTITY}: {first:%Y-%m-%d %H:%M:%S} to {last:%Y-%m-%d %H:%M:%S} "
            f"({(last - first).total_seconds() / 86400:.1f} days); zooms: "
            + "; ".join(f"{n} {s:%m-%d %H:%M:%S}..{e:%m-%d %H:%M:%S}" for n, s, e in ranges[1:])
        )

        say("\n== Vigil: the real server, cold process ==")
        http = vigil_http(url, ranges, args.calls, args.warmup, whole_calls=10)
        local = vigil_in_process(url, ranges, max(5, args.calls // 2))
        print_vigil(http, local)
        slow = [s for r in local for s in r["statements"] if s[1] > 0.010]
        if slow:
            say("\nEXPLAIN (ANALYZE, BUFFERS) of every statement above that took > 10 ms:")
            for label, sql_text, plan in explain(url, slow):
                say(f"\n-- {label}: {' '.join(sql_text.split())[:400]}")
                say(plan)
        _, whole_start, whole_end = ranges[0]
        alt = count_alternatives(url, whole_start, whole_end, local[0]["rows"])
        say(
            f"\nThe whole range's count(*), run alone: {alt['count_seq_ms']:.0f} ms as planned, "
            f"{alt['count_index_only_ms']:.0f} ms forced to an index-only scan, "
            f"{alt['count_no_jit_ms']:.0f} ms without JIT; a LIMIT 2001 probe (enough to choose "
            f"raw rows or M4): {alt['limit_probe_ms']:.1f} ms."
        )
        if "rollups_only_ms" in alt:
            say(
                f"The read's rollup path alone (count given): {alt['rollups_only_ms']:.1f} ms "
                f"median ({'answered' if alt['rollups_answered'] else 'DID NOT answer'})."
            )
        overview_sql(url)

        resampler: dict[str, Any] = {}
        fast: dict[str, Any] = {}
        if not args.skip_resampler:
            say("\n== plotly-resampler: its own venv and process ==")
            if venv_problem:
                resampler = {"error": venv_problem}
            else:
                resampler = run_child(url, "read_sql", ranges, args.calls, timeout=300)
                fast = run_child(url, "copy", ranges, args.calls, timeout=180)
            print_resampler(resampler, fast)
            for part in (resampler, fast):
                if part.get("error"):
                    failures.append(part["error"])
        print_comparison(http, resampler, fast)
    finally:
        if args.keep_schema:
            say(f"\n(kept schema {schema}; drop it with DROP SCHEMA {schema} CASCADE)")
        else:
            drop_schema(args.pg, schema)
            say(f"\nschema {schema} dropped")
    say(f"whole run {time.perf_counter() - started:.0f} s; machine now: {machine_note()}")
    for f in failures:
        say(f"FAILED: {f}")
    return 1 if failures else 0


def print_resampler(r: dict, fast: dict) -> None:
    if r.get("versions"):
        say(
            "versions: "
            + ", ".join(f"{k} {v}" for k, v in r["versions"].items())
            + f"  ({RESAMPLER_PIN} installed with --no-deps: it declares plotly<7)"
        )
    if r.get("load_s") is not None:
        say(
            f"load with pd.read_sql (SQLAlchemy + psycopg2): {r['rows']:,} rows in "
            f"{r['load_s']:.1f} s, peak RSS {r['mem_loaded']['VmHWM']:.0f} MB "
            f"(process started at {r['mem_start']['VmRSS']:.0f} MB)"
        )
    if fast.get("load_s") is not None:
        say(
            f"load with COPY TO STDOUT + pd.read_csv: {fast['rows']:,} rows in "
            f"{fast['load_s']:.1f} s, peak RSS {fast['mem_loaded']['VmHWM']:.0f} MB"
        )
    if r.get("ranges"):
        say(
            f"FigureResampler, one trace of {r['rows']:,} points, {RESAMPLER_POINTS} shown: "
            f"add_trace {r['add_trace_ms']:.0f} ms + figure JSON {r['first_json_ms']:.0f} ms "
            f"({r['first_points']} points, {r['first_kb']:.0f} KB)"
        )
        say(
            f"{'range':<12} {'median':>7} {'p90':>7} {'points':>6} {'KB':>6}  (in process: "
            "construct_update_data_patch + Dash to_json; no HTTP)"
        )
        for x in r["ranges"]:
            say(
                f"{x['name']:<12} {x['median_ms']:>7.1f} {x['p90_ms']:>7.1f} {x['points']:>6} "
                f"{x['kb']:>6.0f}  {x['span'][0][:19] if x['span'] else ''} .. "
                f"{x['span'][1][:19] if x['span'] else ''}"
            )
        say(
            f"RSS: {r['mem_after']['VmRSS']:.0f} MB with the DataFrame and the figure, "
            f"{r['mem_figure_only']['VmRSS']:.0f} MB with the figure alone (DataFrame dropped, "
            f"heap trimmed), process start {r['mem_start']['VmRSS']:.0f} MB; the figure's "
            f"hf_data arrays: {r['hf_bytes'] / 1e6:.0f} MB"
        )
    for part in (r, fast):
        if part.get("error"):
            say(f"plotly-resampler ({part.get('load', '?')}) FAILED: {part['error']}")


def comparison_rows(http: dict, r: dict, fast: dict) -> list[tuple[str, str, str, str, str]]:
    """(measure, Vigil, plotly-resampler, target, verdict) for the final table."""
    v = {x["name"]: x for x in http["ranges"]}
    growth = mb(http["rss_after"]["VmRSS"] - http["rss_before"]["VmRSS"])
    cold = v["whole range"]["first_ms"]
    day, hour = v["1-day zoom"], v["1-hour zoom"]
    p = {x["name"]: x for x in r.get("ranges", [])}
    na = "n/a (failed, see above)" if r else "not run (--skip-resampler)"
    pr: dict[str, str] = dict.fromkeys(["cold", "warm", "day", "hour", "held", "rss", "peak"], na)
    if p:
        start = r["mem_start"]["VmRSS"]
        cold_pr = r["load_s"] + (r["add_trace_ms"] + r["first_json_ms"]) / 1000
        pr = {
            "cold": f"{cold_pr:.1f} s (read_sql {r['load_s']:.1f} s + add_trace "
            f"{r['add_trace_ms']:.0f} ms + JSON {r['first_json_ms']:.0f} ms)",
            "warm": f"{p['whole range']['median_ms']:.1f} ms (reset axes)",
            "day": f"{p['1-day zoom']['median_ms']:.1f} / {p['1-day zoom']['p90_ms']:.1f} ms",
            "hour": f"{p['1-hour zoom']['median_ms']:.1f} / {p['1-hour zoom']['p90_ms']:.1f} ms",
            "held": f"+{r['mem_after']['VmRSS'] - start:.0f} MB held (+"
            f"{r['mem_figure_only']['VmRSS'] - start:.0f} MB by the figure alone)",
            "rss": f"{r['mem_after']['VmRSS']:.0f} MB",
            "peak": f"{r['mem_loaded']['VmHWM']:.0f} MB (read_sql)",
        }
    elif r.get("mem_loaded"):
        pr["cold"] = f"> {r['load_s']:.1f} s (the load alone)"
        pr["peak"] = f"{r['mem_loaded']['VmHWM']:.0f} MB (read_sql)"
    if fast.get("mem_loaded"):
        pr["peak"] += f"; {fast['mem_loaded']['VmHWM']:.0f} MB (COPY + read_csv)"
    rows = [
        (
            "cold first view (whole range)",
            f"{cold:.0f} ms (first draw of a new process)",
            pr["cold"],
            f"< {TARGET_COLD_MS:.0f} ms",
            verdict(cold < TARGET_COLD_MS),
        ),
        (
            "whole range, warm (median)",
            f"{v['whole range']['median_ms']:.0f} ms",
            pr["warm"],
            "",
            "",
        ),
        (
            "1-day zoom (median / p90)",
            f"{day['median_ms']:.0f} / {day['p90_ms']:.0f} ms",
            pr["day"],
            f"< {TARGET_DAY_MS:.0f} ms",
            verdict(day["median_ms"] < TARGET_DAY_MS),
        ),
        (
            "1-hour zoom (median / p90)",
            f"{hour['median_ms']:.0f} / {hour['p90_ms']:.0f} ms",
            pr["hour"],
            f"< {TARGET_HOUR_MS:.0f} ms",
            verdict(hour["median_ms"] < TARGET_HOUR_MS),
        ),
        (
            "RSS growth over all calls",
            f"{growth:+.1f} MB",
            pr["held"],
            f"< {TARGET_RSS_MB:.0f} MB",
            verdict(growth < TARGET_RSS_MB),
        ),
        ("process RSS after", f"{mb(http['rss_after']['VmRSS']):.0f} MB", pr["rss"], "", ""),
        ("peak RSS (VmHWM)", f"{mb(http['rss_after']['VmHWM']):.0f} MB", pr["peak"], "", ""),
    ]
    if fast.get("load_s") is not None:
        rows.insert(
            1,
            (
                "  load, fastest way",
                "none (reads the store per view)",
                f"{fast['load_s']:.1f} s (COPY TO STDOUT + read_csv)",
                "",
                "",
            ),
        )
    return rows


def print_comparison(http: dict, r: dict, fast: dict) -> None:
    rows = comparison_rows(http, r, fast)
    head = ("measure", "Vigil (over HTTP)", "plotly-resampler (in process)", "target", "Vigil")
    width = [max(len(x[i]) for x in [head, *rows]) for i in range(5)]
    say("\n== Vigil vs plotly-resampler, the same rows in PostgreSQL ==")
    say(" | ".join(h.ljust(w) for h, w in zip(head, width, strict=True)))
    say("-+-".join("-" * w for w in width))
    for x in rows:
        say(" | ".join(c.ljust(w) for c, w in zip(x, width, strict=True)))


if __name__ == "__main__":
    sys.exit(main())
