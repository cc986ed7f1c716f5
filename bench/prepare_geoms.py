"""prepare-geoms on a full day of raw positions: peak memory next to loading it all in pandas.

Run from the project folder with the project's venv:

    .venv/bin/python bench/prepare_geoms.py [--devices 20] [--hz 10] [--hours 24]
        [--postgres URL] [--keep]

Makes `devices` tags reporting at `hz` for `hours` (20 x 10 Hz x 24 h is 17.28
million readings, less the minute or two each tag is silent every half hour)
with the demo simulator's `position_readings`, streamed into a fresh SQLite
store (or a fresh schema of the PostgreSQL at URL). Then, each in its own child
process whose peak RSS is read from the kernel (`wait4`'s ru_maxrss):

  * "prepare-geoms": `python app.py prepare-geoms` over the whole range, as a
    user runs it (reads, splits into tracks, writes geoms and coordinates);
  * "naive pandas": seed 001's way, the whole range read into one DataFrame
    (pandas.read_sql), sorted, tracks found with groupby/diff/cumsum and the
    coordinates frame built: it does not write (writing could only add to its peak).

Target (issue 6): prepare-geoms under 500 MB for the full day (seed 001's tool
needed over 2 GB).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _server import PROJECT_DIR, PYTHON, bench_env, machine_note, verdict, workspace

sys.path.insert(0, str(PROJECT_DIR))

TARGET_MB = 500.0
ENVIRONMENT = "E1"
START = pd.Timestamp("2026-01-05 00:00:00", tz="UTC")


def fill(url: str, devices: int, hz: int, hours: float) -> tuple[int, float]:
    """Stream the simulated readings into the store; (rows, seconds)."""
    from data import open_store
    from data.demo.simulator import position_readings
    from settings import load_config

    started = time.perf_counter()
    store = open_store(load_config(None, env={}, overrides={"backend": url}))
    try:
        store.create_schema()
        store.write(
            "environments", pd.DataFrame({"environment_id": [ENVIRONMENT], "name": ["Hall"]})
        )
        rows = 0
        frames = position_readings(
            np.random.default_rng(1), ENVIRONMENT, devices, hz, START, int(hours * 3600)
        )
        for frame in frames:
            rows += store.write("position_readings", frame)
            print(f"\r  filled {rows:,} readings", end="", flush=True)
        print()
    finally:
        store.close()
    return rows, time.perf_counter() - started


def measured(command: list[str]) -> tuple[float, float, str]:
    """Run a child process; (peak RSS in MB, seconds, its last output line)."""
    started = time.perf_counter()
    proc = subprocess.Popen(
        command, cwd=PROJECT_DIR, env=bench_env(), stdout=subprocess.PIPE, text=True
    )
    out = proc.stdout.read() if proc.stdout else ""
    _, status, usage = os.wait4(proc.pid, 0)
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise SystemExit(f"{command[2:4]} failed ({proc.returncode}):\n{out}")
    last = [line for line in out.splitlines() if line.strip()][-1:] or [""]
    return usage.ru_maxrss / 1024, time.perf_counter() - started, last[0]


def naive(url: str, start: str, end: str, max_gap: float) -> None:
    """Seed 001's shape: everything in memory at once."""
    from sqlalchemy import create_engine, select

    from data.schema import position_readings as tbl
    from data.sql_store import driver_url

    engine = create_engine(driver_url(url))
    first, last = (pd.Timestamp(t).to_pydatetime() for t in (start, end))
    if engine.dialect.name == "sqlite":  # naive UTC text there
        first, last = first.replace(tzinfo=None), last.replace(tzinfo=None)
    query = select(tbl.c.device_id, tbl.c.time, tbl.c.x, tbl.c.y, tbl.c.z).where(
        tbl.c.environment_id == ENVIRONMENT, tbl.c.time >= first, tbl.c.time <= last
    )
    with engine.connect() as conn:
        frame = pd.read_sql(query, conn)
    frame["time"] = pd.to_datetime(frame["time"], utc=True, format="ISO8601")
    frame = frame.sort_values(["device_id", "time"])
    gap = frame.groupby("device_id")["time"].diff().dt.total_seconds()
    day = frame["time"].dt.floor("D")
    new = gap.isna() | (gap > max_gap) | (day != day.shift())
    frame["track"] = new.cumsum()
    starts = frame.groupby("track")["time"].transform("first")
    frame["geom_id"] = frame["device_id"] + "/" + starts.astype("int64").astype(str)
    coordinates = frame[["geom_id", "time", "x", "y", "z"]]
    geoms = frame.drop_duplicates("track")[["geom_id", "device_id"]]
    print(f"naive: {len(coordinates):,} coordinates in {len(geoms):,} geoms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--devices", type=int, default=20)
    parser.add_argument("--hz", type=int, default=10)
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--postgres", help="a PostgreSQL URL: the run uses a fresh schema")
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--naive", nargs=3, metavar=("URL", "START", "END"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.naive:
        naive(*args.naive, max_gap=5.0)
        return
    print(f"prepare-geoms bench: {args.devices} devices x {args.hz} Hz x {args.hours:g} h")
    print(f"machine: {machine_note()}")
    with workspace(args.keep) as ws:
        schema = None
        url = f"sqlite:///{ws.db}"
        if args.postgres:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            _pg(args.postgres, f'CREATE SCHEMA "{schema}"')
            url = f"{args.postgres}?options=-csearch_path%3D{schema}"
        try:
            rows, filled = fill(url, args.devices, args.hz, args.hours)
            print(f"  {rows:,} readings written in {filled:.0f} s ({rows / filled:,.0f}/s)")
            end = START + pd.Timedelta(hours=args.hours)
            first, last = START.isoformat(), end.isoformat()
            ws.config.write_text(json.dumps({"backend": url, "port_number": 8080}))
            ours = measured(
                [PYTHON, "app.py", "--config", str(ws.config), "prepare-geoms",
                 "--environment", ENVIRONMENT, "--start", first, "--end", last]
            )  # fmt: skip
            theirs = measured([PYTHON, __file__, "--naive", url, first, last])
        finally:
            if schema:
                _pg(args.postgres, f'DROP SCHEMA "{schema}" CASCADE')
    print(f"\n{'':16}{'peak RSS':>12}{'seconds':>10}{'readings/s':>14}")
    for name, (rss, seconds, _) in (("prepare-geoms", ours), ("naive pandas", theirs)):
        print(f"{name:16}{rss:>9,.0f} MB{seconds:>10,.0f}{rows / seconds:>14,.0f}")
    print(f"  prepare-geoms: {ours[2]}")
    print(f"  naive pandas:  {theirs[2]} (no writes)")
    print(
        f"target: prepare-geoms < {TARGET_MB:.0f} MB on {rows:,} readings: "
        f"{verdict(ours[0] < TARGET_MB)} ({ours[0]:,.0f} MB; naive {theirs[0]:,.0f} MB)"
    )


def _pg(url: str, statement: str) -> None:
    from sqlalchemy import create_engine, text

    from data.sql_store import driver_url

    engine = create_engine(driver_url(url), isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(statement))
    engine.dispose()


if __name__ == "__main__":
    main()
