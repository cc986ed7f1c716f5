"""Server memory after every page has been loaded: VmRSS and VmHWM from /proc.

Run from the project folder with the project's venv:

    .venv/bin/python bench/memory.py [--draws 5] [--db FILLED.db] [--keep]

Two server processes are measured, each `python app.py --config CFG serve`:
  * "first start": an empty store, so this process generated the demo itself
    (its peak, VmHWM, includes the demo generation);
  * "later start": a restart on the filled store, the usual steady state.
With --db, the first start is skipped and only a server on a copy of that
store is measured.
Each loads the pages as a browser does (GET the page, then the pages router
callback and the page's own callbacks): /, /explore (plus --draws Explore draws
of the whole day, 1-hour and 10-minute ranges), /anomalies and one anomaly's
detail /anomalies?id=ID (the first id the list links to).
Target (issue 2): server RSS < 300 MB after every page has been loaded.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (
    PROJECT_DIR,
    Dash,
    Server,
    machine_note,
    serve,
    use_store,
    verdict,
    workspace,
)
from explore import COLUMNS, TABLE, draw_values, ranges

sys.path.insert(0, str(PROJECT_DIR))

RSS_TARGET_MB = 300.0


def mb(kb: int) -> float:
    return kb / 1024


def first_anomaly_id(response_text: str) -> str | None:
    found = re.search(r"/anomalies\?[^\"]*?\bid=([^\"&\\]+)", response_text)
    return found[1] if found else None


def anomaly_id_from_store(config_path: Path) -> str | None:
    from data import open_store
    from data.store import AnomalyFilter
    from settings import load_config

    store = open_store(load_config(config_path))
    try:
        found = store.anomalies(AnomalyFilter(limit=1))
    finally:
        store.close()
    return found[0].id if found else None


def load_every_page(server: Server, config_path: Path, draws: int) -> list[tuple[str, dict]]:
    """Visit every page; returns the server's memory after each step."""
    steps = [("server up (first GET / answered)", server.memory())]
    client = server.client
    client.get("/_dash-layout")
    dash = Dash(client)

    dash.open_page("/")
    steps.append(("/", server.memory()))

    dash.open_page("/explore")
    entity, start, end = explore_defaults(config_path)
    for _ in range(draws):
        for _name, first, last in ranges(start, end):
            dash.call("explore-graph.figure", draw_values(entity, first, last))
    steps.append((f"/explore + {draws * 3} draws", server.memory()))

    anomalies_values: dict[str, Any] = {
        "anomalies-table.value": None,
        "anomalies-status.value": None,
        "anomalies-entity.value": "",
        "_pages_location.search": "",
    }
    dash.open_page("/anomalies")
    listing = dash.call("anomalies-list.children", anomalies_values)
    steps.append(("/anomalies", server.memory()))

    anomaly_id = first_anomaly_id(listing.body.decode()) or anomaly_id_from_store(config_path)
    if anomaly_id is None:
        raise RuntimeError("no anomaly to open: the store holds none")
    search = f"?id={anomaly_id}"
    dash.open_page(f"/anomalies{search}")
    dash.call("anomalies-list.children", {**anomalies_values, "_pages_location.search": search})
    steps.append((f"/anomalies?id={anomaly_id}", server.memory()))
    return steps


def explore_defaults(config_path: Path) -> tuple[str, Any, Any]:
    from data import open_store
    from settings import load_config

    store = open_store(load_config(config_path))
    try:
        entity = store.distinct(TABLE, "machine_id")[0]
        start, end = store.time_range(TABLE, {"machine_id": entity})
    finally:
        store.close()
    return entity, start, end


def report(title: str, steps: list[tuple[str, dict]]) -> tuple[float, float]:
    print(f"\n{title}")
    print(f"  {'after':<34} {'VmRSS MB':>9} {'VmHWM MB':>9} {'threads':>8}")
    for name, mem in steps:
        print(
            f"  {name:<34} {mb(mem['VmRSS']):>9.0f} {mb(mem['VmHWM']):>9.0f} "
            f"{mem.get('Threads', 0):>8}"
        )
    last = steps[-1][1]
    return mb(last["VmRSS"]), mb(last["VmHWM"])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=5, help="rounds of 3 Explore draws")
    parser.add_argument("--db", help="measure only a server on a copy of this filled store")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()

    print(f"memory benchmark; machine: {machine_note()}; columns drawn: {'+'.join(COLUMNS)}")
    results = []
    with workspace(keep=args.keep) as ws:
        if args.db:
            print(f"store: {use_store(ws, args.db)}")
        else:
            with serve(ws, "first-start") as server:
                server.wait_until_up("/", timeout=120)
                steps = load_every_page(server, ws.config, args.draws)
            results.append(("first start (demo generated in this process)", steps))
        with serve(ws, "later-start") as server:
            server.wait_until_up("/", timeout=60)
            steps = load_every_page(server, ws.config, args.draws)
        results.append(("later start (filled store)", steps))

    summary = [(title, *report(title, steps)) for title, steps in results]
    print()
    for title, rss, hwm in summary:
        print(
            f"{title}: RSS {rss:.0f} MB after every page, peak {hwm:.0f} MB "
            f"(target < {RSS_TARGET_MB:.0f} MB: RSS {verdict(rss < RSS_TARGET_MB)}, "
            f"peak {verdict(hwm < RSS_TARGET_MB)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
