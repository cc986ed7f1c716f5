"""First render of every page (issue 6): the pages router callback on the demo data.

Run from the project folder with the project's venv (about 1.5 minutes):

    .venv/bin/python bench/pages.py [--db FILLED.db] [--calls 10]

Fills a store with `load-demo --days 1` (or copies `--db`), starts the real
server and, as a browser opening each page, GETs the shell and POSTs the pages
router callback (`_pages_content.children`) that builds the page's layout:
that request is the page's first render, server side. The first request of
each page after the server started is timed alone ("first"), then `--calls`
more. The live pages' refresh callbacks (the timer's tick) are timed the same
way. Times are wall time on localhost, so Flask, the layout, the store's
queries and Dash's JSON encoding are all in them.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import Dash, machine_note, percentile, serve, use_store, verdict, workspace

TARGET_MS = 1000.0
PAGES = [
    "/",
    "/explore",
    "/anomalies",
    "/machines",
    "/machines?tab=shifts",
    "/machines/M1",
    "/machines/M3",
    "/batteries",
    "/batteries?battery=B3",
    "/sensors",
    "/sensors?sensor=S07",
]
#: The live pages' refresh callbacks: (name, an output, input values).
REFRESHES = [
    ("/machines refresh", "machines-list.children", {"machines-refresh.n_intervals": 1}),
    (
        "/machines/M1 refresh",
        "machine-current.figure",
        {"machine-refresh.n_intervals": 1, "machine-id.data": "M1"},
    ),
    (
        "/batteries refresh",
        "batteries-cards.children",
        {"batteries-refresh.n_intervals": 1, "batteries-chosen.data": "B1"},
    ),
    ("/sensors refresh", "sensors-kpis.children", {"sensors-refresh.n_intervals": 1}),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="copy this filled SQLite store instead of a fresh demo")
    parser.add_argument("--calls", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    rows = []
    with workspace(args.keep) as ws:
        made = use_store(ws, args.db)
        with serve(ws, demo_data=False) as server:
            server.wait_until_up("/_dash-layout")
            dash = Dash(server.client)
            for path in PAGES:
                times, size = [], 0
                for _ in range(args.calls + 1):
                    _, content = dash.open_page(path)
                    times.append(content.seconds * 1e3)
                    size = len(content.body)
                    if b"vigil-error" in content.body:
                        raise RuntimeError(f"{path} shows an error: {content.body[:400]!r}")
                rows.append((path, times[0], times[1:], size))
            for name, output, values in REFRESHES:
                times = []
                for _ in range(args.calls + 1):
                    resp = dash.call(output, values, [next(iter(values))])
                    times.append(resp.seconds * 1e3)
                    size = len(resp.body)
                rows.append((name, times[0], times[1:], size))

    print(f"# First render of every page, {machine_note()}")
    print(f"store: {made}\n")
    print("| page | first | median | p90 | response | target | |")
    print("|---|---|---|---|---|---|---|")
    worst = 0.0
    for name, first, warm, size in rows:
        slowest = max(first, percentile(warm, 0.9))
        worst = max(worst, slowest)
        print(
            f"| {name} | {first:.0f} ms | {statistics.median(warm):.0f} ms | "
            f"{percentile(warm, 0.9):.0f} ms | {size / 1024:.1f} KB | < {TARGET_MS:.0f} ms | "
            f"{verdict(slowest < TARGET_MS)} |"
        )
    return 0 if worst < TARGET_MS else 1


if __name__ == "__main__":
    sys.exit(main())
