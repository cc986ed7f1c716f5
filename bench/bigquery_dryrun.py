"""What each page costs on BigQuery: a dry run of every query one view sends.

Run from the project folder with the project's venv (the emulator must be set
up: scripts/bq-emulator-setup):

    .venv/bin/python bench/bigquery_dryrun.py [--days 1] [--seed 7]

The emulator (bqemulator from .venv-bq) is started on free ports, the demo
(`demo_frames` + `write_demo`) is loaded into a fresh dataset, and the real
pages run on a BigQueryStore whose journal records every job: Overview, Explore
(a whole day of one machine, then a 1-hour zoom), the Anomalies list and one
anomaly's detail, each as the browser asks for it (page layout plus the
callbacks that fire on load). Every recorded query is then dry-run
(`QueryJobConfig(dry_run=True)`) and its bytes printed per query and per page.

bqemulator 1.4.0 answers every dry run with totalBytesProcessed 0 and no
referenced tables, so the script also prints an estimate made the way
BigQuery bills on-demand queries: for each table a job reads, the logical size
of the columns it references (8 bytes per INT64/FLOAT64/TIMESTAMP/DATE value,
1 per BOOL, 2 + UTF-8 length per STRING, NULLs free), over the day partitions
its time filter keeps (every partition when it has none; m4_rollups is
partitioned by level); COUNT(*) alone reads metadata (0 bytes). Clustering can
only lower these figures (dry runs ignore it too). "billed" adds on-demand's
minimum of 10 MB per table read. A page fails the target when two of its jobs
read the same partition of a table; the script then exits 1.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
# the project, not this folder: bench/pages.py would hide the pages/ of the app
sys.path[0] = str(PROJECT_DIR)

from google.cloud import bigquery  # noqa: E402

MIN_BILLED = 10 * 1024 * 1024
SIZES = {"INT64": 8, "INTEGER": 8, "FLOAT64": 8, "FLOAT": 8, "TIMESTAMP": 8, "DATE": 8}
SIZES |= {"DATETIME": 8, "BOOL": 1, "BOOLEAN": 1, "NUMERIC": 16}


def column_bytes(store: Any, table: str) -> tuple[str | None, dict[str, dict[Any, int]]]:
    """(partitioning, per column the bytes per partition): partitions are days of the
    time column, levels for m4_rollups (which the store partitions by level; the
    emulator does not report range partitioning), one whole table otherwise."""
    meta = store._client.get_table(store._table_ref(table))
    sizes = []
    for f in meta.schema:
        col = f"`{f.name}`"
        if f.field_type == "STRING":
            sizes.append(f"SUM(IF({col} IS NULL, 0, 2 + BYTE_LENGTH({col}))) AS `{f.name}`")
        else:
            size = SIZES.get(f.field_type, 8)
            sizes.append(f"SUM(IF({col} IS NULL, 0, {size})) AS `{f.name}`")
    if meta.time_partitioning:
        kind, key = "day", f"DATE(`{meta.time_partitioning.field}`)"
    elif table == "m4_rollups":
        kind, key = "level", "`level`"
    else:
        kind, key = None, "0"
    sql = f"SELECT {key} AS part, {', '.join(sizes)} FROM {store._ref(table)} GROUP BY part"
    out: dict[str, dict[Any, int]] = defaultdict(dict)
    for row in store._client.query_and_wait(sql):
        for f in meta.schema:
            out[f.name][row["part"]] = int(row[f.name] or 0)
    return kind, out


def partitions(scan: Any, tables: dict[str, Any]) -> set[Any]:
    """The partitions of its table a scan reads (its filter prunes the others)."""
    kind, sizes = tables[scan.table]
    keys = {key for per in sizes.values() for key in per}
    if kind == "day":
        keys = {
            d
            for d in keys
            if (scan.start is None or d >= scan.start.date())
            and (scan.end is None or d <= scan.end.date())
        }
    elif kind == "level" and scan.levels is not None:
        keys &= set(scan.levels)
    return keys


def estimate(scan: Any, tables: dict[str, Any]) -> int:
    _, sizes = tables[scan.table]
    kept = partitions(scan, tables)
    return sum(size for c in scan.columns for key, size in sizes.get(c, {}).items() if key in kept)


def human(n: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:,.0f} {unit}" if unit == "B" else f"{n:,.1f} {unit}"
        n /= 1024
    return str(n)


def dry_run(store: Any, job: Any) -> tuple[Any, Any]:
    config = bigquery.QueryJobConfig(
        dry_run=True,
        use_query_cache=False,
        query_parameters=list(job.params),
        labels={"app": "vigil", "purpose": job.purpose},
        maximum_bytes_billed=store._max_bytes,
    )
    done = store._client.query(job.sql, job_config=config, location=store._location)
    return done.total_bytes_processed, [t.table_id for t in (done.referenced_tables or [])]


def views(app: Any, store: Any) -> list[tuple[str, bool, Any]]:
    """(name, cold, callable) per page view, each doing what the browser's load asks for.

    A cold view finds no short-lived result cached (it comes more than a few
    seconds after the last); the zoom follows the whole day within seconds.
    """
    explore = sys.modules["pages.explore"]
    anomalies = sys.modules["pages.anomalies"]
    review = sys.modules["pages._anomaly_review"]
    overview = sys.modules["pages.overview"]
    machine = store.distinct("machine_readings", "machine_id")[0]
    first, last = store.time_range("machine_readings", {"machine_id": machine})
    day_start = datetime.combine(first.date(), datetime.min.time(), first.tzinfo)
    day_end = min(last, day_start + timedelta(days=1) - timedelta(seconds=1))
    mid = day_start + (day_end - day_start) / 2
    fmt = "%Y-%m-%d %H:%M:%S"
    one = store.anomalies()[0].id

    def explore_view(start: datetime, end: datetime, with_layout: bool) -> None:
        if with_layout:  # opening the URL: the layout, then the draw callback
            explore.layout(
                table="machine_readings",
                columns="current,voltage",
                entity=machine,
                start=start.strftime(fmt),
                end=end.strftime(fmt),
            )
        explore.draw(
            "machine_readings",
            ["current", "voltage"],
            machine,
            start.strftime(fmt),
            end.strftime(fmt),
            False,
        )

    def anomalies_view(selected: str | None) -> None:
        """The layout, the queue's callback (no filter set), and with an anomaly chosen
        in the URL, its detail's."""
        anomalies.layout(id=selected)
        _, _, _, order = anomalies.show_list(*[None] * len(anomalies.FILTERS), None, None, {})
        if selected:
            review.detail_outputs(selected, {}, order)

    return [
        ("Overview", True, lambda: overview.layout()),
        (
            f"Explore: whole day of {machine}",
            True,
            lambda: explore_view(day_start, day_end, with_layout=True),
        ),
        (
            "Explore: 1-hour zoom, seconds later",
            False,
            lambda: explore_view(
                mid - timedelta(minutes=30), mid + timedelta(minutes=30), with_layout=False
            ),
        ),
        ("Anomalies list", True, lambda: anomalies_view(None)),
        (f"Anomaly detail ({one})", True, lambda: anomalies_view(one)),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--days", type=float, default=1.0, help="days of demo data (default 1)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    from tests.bigquery_emulator import Emulator

    folder = Path(tempfile.mkdtemp(prefix="vigil-bq-bench-"))
    emulator = Emulator(folder / "bqemulator.log")
    os.environ["BIGQUERY_EMULATOR_HOST"] = emulator.endpoint
    try:
        return run(args, emulator)
    finally:
        emulator.stop()


def run(args: argparse.Namespace, emulator: Any) -> int:
    from app import create_app
    from data.bigquery_store import BigQueryStore
    from data.demo.load import demo_frames, write_demo
    from settings import load_config

    dataset = "vigil_demo"
    store = BigQueryStore("test-proj", dataset)
    started = time.perf_counter()
    store.create_schema()
    frames = demo_frames(args.days, args.seed)
    written = write_demo(store, frames)
    elapsed = time.perf_counter() - started
    print(
        f"Demo: {sum(written.values()):,} rows in {len(written)} tables loaded into the "
        f"emulator in {elapsed:.0f} s ({args.days:g} day(s), seed {args.seed})"
    )
    config_path = Path(tempfile.mkdtemp()) / "config.json"
    config_path.write_text(
        f'{{"backend": "bigquery://test-proj/{dataset}", "port_number": 8080, "demo_data": false}}'
    )
    app = create_app(load_config(config_path, env={}), store=store)
    tables = {
        name: column_bytes(store, name)
        for name in [*store.tables(), "m4_rollups", "m4_sources", "anomaly_feedback"]
    }
    reported = None
    failed = False
    with app.server.app_context():
        for name, cold, view in views(app, store):
            view()  # once to warm the catalog, as a running server has it
            if cold:
                store.rollups.expire_results()
            store.journal = []
            view()
            jobs = list(store.journal)
            print(f"\n## {name}: {len(jobs)} job(s)")
            print(f"{'purpose':<16} {'dry run':>9} {'estimate':>10} {'billed':>9}  tables read")
            reads: dict[str, list[set[Any]]] = defaultdict(list)
            page_est = page_billed = page_dry = 0
            for job in jobs:
                processed, referenced = dry_run(store, job)
                reported = reported or (processed, referenced)
                est = sum(estimate(s, tables) for s in job.scans)
                read = [s.table for s in job.scans if s.columns]
                shown = [
                    s.table + (f" (levels {','.join(map(str, s.levels))})" if s.levels else "")
                    for s in job.scans
                    if s.columns
                ]
                billed = max(MIN_BILLED * len(set(read)), est) if read else 0
                for scan in job.scans:
                    if scan.columns:
                        reads[scan.table].append(partitions(scan, tables))
                page_est, page_billed = page_est + est, page_billed + billed
                page_dry += processed or 0
                meta = [f"{s.table} (COUNT(*))" for s in job.scans if not s.columns]
                print(
                    f"{job.purpose:<16} {human(processed or 0):>9} {human(est):>10} "
                    f"{human(billed):>9}  {', '.join(shown + meta)}"
                )
            twice = sorted(  # two jobs reading a partition of the same table
                t
                for t, sets in reads.items()
                if any(a & b for i, a in enumerate(sets) for b in sets[i + 1 :])
            )
            failed = failed or bool(twice)
            print(
                f"{'page total':<16} {human(page_dry):>9} {human(page_est):>10} "
                f"{human(page_billed):>9}  a partition read twice: "
                f"{', '.join(twice) if twice else 'none'}"
            )
    print(
        f"\nThe emulator's dry runs report totalBytesProcessed={reported[0]!r} and "
        f"referencedTables={reported[1]!r} for every query: it does not estimate bytes; "
        "the 'estimate' column is computed from the data as BigQuery bills it (see --help)."
    )
    store.close()
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
