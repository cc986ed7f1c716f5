"""Sensor health at scale (issue 6): the Sensors page's queries on PostgreSQL, next to
the naive query over the raw heartbeats.

Run from the project folder with the project's venv (about 15 minutes on 2 cores
at the default size, most of it loading 86 M rows and summarising them once):

    .venv/bin/python bench/sensor_health.py [--sensors 10000] [--days 30] [--every 300]

1. Setup, in a schema of its own (bench_health_<random>) of the local PostgreSQL
   (`--pg`): Vigil's tables through the Store (`create_schema`), the sensors
   through `store.write`, then their heartbeats, made by the simulator
   (`data.demo.simulator.fleet`: 10 % die, 8 % fall silent shortly before the
   end, 6 % are installed during the range, 1 % of beats lost, jitter) and
   streamed by binary COPY, as a bulk import from another program would
   arrive. The product's own `store.rebuild_rollups("heartbeats")` then builds
   the heartbeat summary (the same recount every `Store.write` of heartbeats
   runs for the sensors and days it touches), then VACUUM (ANALYZE).
2. The page's queries: `store.sensor_health(now, 10)` (what /sensors shows:
   totals, silent sensors, the sensors with the longest intervals, the
   histogram) and `store.sensor_health(now, 10, sensor=...)` (/sensors?sensor=),
   a first (cold) call and `--calls` warm calls each.
3. The naive way, the seed's: the same figures computed from the raw
   heartbeats (per-sensor aggregates, then LAG over every row for the mean
   interval and the histogram), once, with the same answers checked.
4. A live write into the big store: one heartbeat each for 1 and 100 sensors
   through `store.write` (insert plus the summary's recount), timed.

Mind the disk: 86 M rows take about 9 GB with their index and summary; the
script checks the free space first and drops the schema at the end (also on
Ctrl-C) unless `--keep-schema`; `--reuse-schema NAME` measures a kept one.
"""

from __future__ import annotations

import argparse
import contextlib
import math
import secrets
import shutil
import signal
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import PROJECT_DIR, machine_note, verdict
from pg_scale import ChunkReader, drop_schema, pg_connect, say, schema_url

sys.path.insert(0, str(PROJECT_DIR))

PG_URL = "postgresql://postgres@127.0.0.1:5432/test"
END = datetime(2026, 11, 20, 12, tzinfo=UTC)  # the simulated fleet's last moment
NOW = END + timedelta(minutes=2)  # when the page is opened
SILENCE_MINUTES = 10.0
TARGET_S = 2.0
#: Bytes per heartbeat on disk, measured: heap, index and summary.
BYTES_PER_BEAT = 105
PG_EPOCH_US = int(datetime(2000, 1, 1, tzinfo=UTC).timestamp()) * 1_000_000
SUMMARY = ("heartbeat_days", "heartbeat_gaps", "heartbeat_sensors", "heartbeat_bins")


def copy_chunks(chunks: Any, counted: list[int]) -> Any:
    """Binary COPY data for heartbeats (sensor_id, time, payload NULL), a chunk at a time.

    Sensor ids of one fleet have one length, so a chunk is one numpy record
    array: no Python loop per row.
    """
    yield b"PGCOPY\n\xff\r\n\x00" + (0).to_bytes(4, "big") + (0).to_bytes(4, "big")
    for frame in chunks:
        ids = frame["sensor_id"].to_numpy().astype("S")
        size = ids.dtype.itemsize
        rec = np.empty(
            len(frame),
            np.dtype(
                [
                    ("nf", ">i2"),
                    ("l_s", ">i4"),
                    ("s", f"S{size}"),
                    ("l_t", ">i4"),
                    ("t", ">i8"),
                    ("l_p", ">i4"),
                ]
            ),
        )
        rec["nf"], rec["l_s"], rec["s"], rec["l_t"], rec["l_p"] = 3, size, ids, 8, -1
        rec["t"] = pd.DatetimeIndex(frame["time"]).as_unit("us").asi8 - PG_EPOCH_US
        counted[0] += len(frame)
        yield rec.tobytes()
    yield (-1).to_bytes(2, "big", signed=True)


def every_20_s(label: str, t0: float, done: Any) -> Any:
    """A progress callback that prints `done(argument)` heartbeats at most every 20 s."""
    last = [t0]

    def progress(argument: int) -> None:
        if time.perf_counter() - last[0] > 20:
            last[0] = time.perf_counter()
            say(f"  {label} {done(argument):>12,} heartbeats  {last[0] - t0:6.1f} s")

    return progress


def setup(url: str, sensors: int, days: float, every: float) -> dict[str, Any]:
    from data.demo.simulator import fleet
    from data.sql_store import SQLStore

    found: dict[str, Any] = {}
    store = SQLStore(url)
    try:
        store.create_schema()
        fleet_sensors, chunks = fleet(sensors, days, every, seed=11, end=pd.Timestamp(END))
        store.write("sensors", fleet_sensors)
        counted = [0]
        t0 = time.perf_counter()
        progress = every_20_s("COPY", t0, lambda _: counted[0])
        with contextlib.closing(pg_connect(url)) as conn, conn.cursor() as cur:
            cur.copy_expert(
                "COPY heartbeats (sensor_id, time, payload) FROM STDIN WITH (FORMAT binary)",
                ChunkReader(copy_chunks(chunks, counted), progress),
                size=1 << 20,
            )
            conn.commit()
        found["beats"], found["copy_s"] = counted[0], time.perf_counter() - t0
        say(f"  COPY {counted[0]:,} heartbeats: {found['copy_s']:.1f} s")

        t0 = time.perf_counter()
        summary_progress = every_20_s("summary:", t0, lambda done: done)
        found["summarised"] = store.rebuild_rollups("heartbeats", progress=summary_progress)
        found["summary_s"] = time.perf_counter() - t0
        say(f"  store.rebuild_rollups('heartbeats'): {found['summary_s']:.1f} s")
        t0 = time.perf_counter()
        with contextlib.closing(pg_connect(url)) as conn:
            conn.autocommit = True
            for table in ("heartbeats", *SUMMARY, "sensors"):
                conn.cursor().execute(f"VACUUM (ANALYZE) {table}")
        found["vacuum_s"] = time.perf_counter() - t0
    finally:
        store.close()
    return found


def sizes(url: str) -> dict[str, Any]:
    with contextlib.closing(pg_connect(url)) as conn, conn.cursor() as cur:
        found = {}
        for table in ("heartbeats", *SUMMARY):
            cur.execute(f"SELECT count(*), pg_total_relation_size('{table}') FROM {table}")
            found[table] = cur.fetchone()
    return found


def timed(call: Any, calls: int) -> tuple[float, list[float], Any]:
    """(first call's seconds, warm calls' seconds, the last answer)."""
    t0 = time.perf_counter()
    answer = call()
    first = time.perf_counter() - t0
    warm = []
    for _ in range(calls):
        t0 = time.perf_counter()
        answer = call()
        warm.append(time.perf_counter() - t0)
    return first, warm, answer


NAIVE_SENSORS = """
SELECT count(*) AS sensors,
       count(*) FILTER (WHERE last < %(cutoff)s) AS silent,
       avg(EXTRACT(EPOCH FROM last - first)) FILTER (WHERE last < %(cutoff)s) AS lifespan,
       sum(EXTRACT(EPOCH FROM last - first)) FILTER (WHERE n > 1)
         / sum(n - 1) FILTER (WHERE n > 1) AS interval
FROM (SELECT sensor_id, min(time) AS first, max(time) AS last, count(*) AS n
      FROM heartbeats GROUP BY sensor_id) AS per_sensor
"""
NAIVE_HISTOGRAM = """
SELECT bin, count(*) FROM (
  SELECT width_bucket(EXTRACT(EPOCH FROM time - lag(time) OVER (PARTITION BY sensor_id
         ORDER BY time))::float8, %(edges)s::float8[]) AS bin FROM heartbeats) AS steps
WHERE bin IS NOT NULL GROUP BY bin
"""


def naive(url: str) -> dict[str, Any]:
    """The figures straight from the raw heartbeats, as the seed's queries compute them."""
    from data.health import GAP_EDGES

    params = {
        "cutoff": NOW - timedelta(minutes=SILENCE_MINUTES),
        "edges": [float(e) for e in GAP_EDGES],
    }
    found: dict[str, Any] = {}
    with contextlib.closing(pg_connect(url)) as conn, conn.cursor() as cur:
        t0 = time.perf_counter()
        cur.execute(NAIVE_SENSORS, params)
        found["totals"] = cur.fetchone()
        found["sensors_s"] = time.perf_counter() - t0
        say(f"  naive per-sensor aggregates: {found['sensors_s']:.1f} s")
        t0 = time.perf_counter()
        cur.execute(NAIVE_HISTOGRAM, params)
        found["bins"] = dict(cur.fetchall())
        found["histogram_s"] = time.perf_counter() - t0
        say(f"  naive LAG over every heartbeat: {found['histogram_s']:.1f} s")
    return found


def live_writes(url: str, sensors: list[str]) -> dict[str, float]:
    from data.sql_store import SQLStore

    store = SQLStore(url)
    found = {}
    try:
        store.tables()  # connected and the catalog read, as in a running server
        for count in (1, 100):
            times = []
            for k in range(3):
                at = pd.Timestamp(END + timedelta(seconds=60 + 20 * k))
                beats = pd.DataFrame({"sensor_id": sensors[:count], "time": at, "payload": None})
                t0 = time.perf_counter()
                store.write("heartbeats", beats)
                times.append(time.perf_counter() - t0)
            found[count] = statistics.median(times)
    finally:
        store.close()
    return found


def report(url: str, calls: int, made: dict[str, Any] | None) -> int:
    from data.sql_store import SQLStore

    store = SQLStore(url)
    try:
        fleet_first, fleet_warm, fleet = timed(
            lambda: store.sensor_health(NOW, SILENCE_MINUTES), calls
        )
        chosen = fleet.slowest[0].sensor_id
        one_first, one_warm, _ = timed(
            lambda: store.sensor_health(NOW, SILENCE_MINUTES, sensor=chosen), calls
        )
    finally:
        store.close()
    say("\nnaive queries over the raw heartbeats (once each):")
    slow = naive(url)
    say("\nlive writes into the big store (insert + summary recount):")
    writes = live_writes(url, [s.sensor_id for s in fleet.slowest])
    found = sizes(url)

    beats, beat_bytes = found["heartbeats"]
    say(f"\n# Sensor health on PostgreSQL, {machine_note()}")
    if made:
        say(
            f"setup: COPY {made['beats']:,} heartbeats {made['copy_s']:.0f} s, summary "
            f"(store.rebuild_rollups) {made['summary_s']:.0f} s, VACUUM ANALYZE "
            f"{made['vacuum_s']:.0f} s"
        )
    say(f"heartbeats: {beats:,} rows, {beat_bytes / 1e9:.2f} GB with index")
    for table in SUMMARY:
        rows, size = found[table]
        say(f"{table}: {rows:,} rows, {size / 1e6:.0f} MB")
    say(
        f"fleet: {fleet.sensors:,} sensors, {fleet.silent:,} silent "
        f"({100 * fleet.share_silent:.1f} %), mean interval {fleet.mean_interval:.1f} s, "
        f"mean lifespan {fleet.mean_lifespan / 86400:.2f} d over {fleet.stopped:,} stopped"
    )
    naive_total = slow["sensors_s"] + slow["histogram_s"]
    rows = [
        ("/sensors: store.sensor_health (fleet)", fleet_first, fleet_warm),
        (f"/sensors?sensor={chosen}", one_first, one_warm),
    ]
    say("\n| query | first call | warm median | warm max | target | |")
    say("|---|---|---|---|---|---|")
    for name, first, warm in rows:
        ok = max(first, *warm) < TARGET_S
        say(
            f"| {name} | {first * 1e3:.0f} ms | {statistics.median(warm) * 1e3:.0f} ms | "
            f"{max(warm) * 1e3:.0f} ms | < {TARGET_S:g} s | {verdict(ok)} |"
        )
    say(
        f"| naive: aggregates + LAG over every heartbeat | {naive_total:.1f} s "
        f"({slow['sensors_s']:.1f} + {slow['histogram_s']:.1f}) | | | | |"
    )
    say("\n| live write through store.write | median of 3 |\n|---|---|")
    for count, seconds in writes.items():
        say(f"| {count} heartbeat(s) of {count} sensor(s) | {seconds * 1e3:.0f} ms |")

    # the summary's answers are the raw heartbeats' answers
    sensors, silent, lifespan, interval = slow["totals"]
    same = (
        sensors == fleet.sensors
        and silent == fleet.silent
        and math.isclose(float(lifespan), fleet.mean_lifespan, rel_tol=1e-9)
        and math.isclose(float(interval), fleet.mean_interval, rel_tol=1e-9)
        and dict(slow["bins"]) == {i: n for i, n in enumerate_bins(fleet) if n}
    )
    say(f"\nsummary and raw heartbeats agree: {'yes' if same else 'NO'}")
    return 0 if same else 1


def enumerate_bins(health: Any) -> list[tuple[int, int]]:
    from data.health import bin_of

    return [(bin_of(b.lo), b.count) for b in health.histogram]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pg", default=PG_URL)
    parser.add_argument("--sensors", type=int, default=10_000)
    parser.add_argument("--days", type=float, default=30.0)
    parser.add_argument("--every", type=float, default=300.0, help="seconds between beats")
    parser.add_argument("--calls", type=int, default=5)
    parser.add_argument("--keep-schema", action="store_true")
    parser.add_argument("--reuse-schema")
    args = parser.parse_args()

    beats = args.sensors * args.days * 86_400 / args.every
    need = beats * BYTES_PER_BEAT
    data_dir = Path("/var/lib/postgresql")
    free = shutil.disk_usage(data_dir if data_dir.exists() else "/").free
    say(f"about {beats / 1e6:.0f} M heartbeats, ~{need / 1e9:.1f} GB; {free / 1e9:.0f} GB free")
    if not args.reuse_schema and need > 0.8 * free:
        say("not enough disk: choose fewer --sensors or --days")
        return 2

    schema = args.reuse_schema or f"bench_health_{secrets.token_hex(4)}"
    url = schema_url(args.pg, schema)

    def stop(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    made = None
    try:
        if not args.reuse_schema:
            with contextlib.closing(pg_connect(args.pg)) as conn:
                conn.autocommit = True
                conn.cursor().execute(f'CREATE SCHEMA "{schema}"')
            say(f"setup in schema {schema}:")
            made = setup(url, args.sensors, args.days, args.every)
        return report(url, args.calls, made)
    finally:
        if args.keep_schema:
            say(f"kept schema {schema} (--reuse-schema {schema})")
        else:
            drop_schema(args.pg, schema)
            say(f"dropped schema {schema}")


if __name__ == "__main__":
    sys.exit(main())
