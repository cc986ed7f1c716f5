"""Startup time: first start on an empty store (demo generated) and later starts.

Run from the project folder with the project's venv:

    .venv/bin/python bench/startup.py [--restarts 3] [--days 1] [--keep]

Each start is `python app.py --config CFG serve --port P` in a temp folder. Two
moments are timed from the spawn of the process:
  * "GET / answers": the server answers 200 for the page shell (the first
    request also builds Dash's validation layout, i.e. every page's layout);
  * "first page ready": additionally /_dash-layout, /_dash-dependencies and the
    pages router callback that renders the Overview, as the browser does.
Targets (issue 2): first start including demo < 30 s; later starts < 3 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _server import (
    PROJECT_DIR,
    PYTHON,
    Dash,
    Server,
    bench_env,
    machine_note,
    serve,
    verdict,
    workspace,
)

FIRST_TARGET = 30.0
LATER_TARGET = 3.0


def first_page(server: Server, up: float) -> tuple[float, float]:
    """Seconds from spawn until the Overview's content arrived; seconds for that part."""
    started = time.perf_counter()
    layout = server.client.get("/_dash-layout")
    if layout.status != 200:
        raise RuntimeError(f"GET /_dash-layout answered {layout.status}")
    Dash(server.client).call(
        "_pages_content.children",
        {"_pages_location.pathname": "/", "_pages_location.search": ""},
        ["_pages_location.pathname", "_pages_location.search"],
    )
    rest = time.perf_counter() - started
    return up + rest, rest


def import_seconds(runs: int = 3) -> float:
    """Median seconds of `python -c "import app"`: the interpreter and the imports alone."""
    spent = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [PYTHON, "-c", "import app"], cwd=PROJECT_DIR, env=bench_env(), check=True,
            stdout=subprocess.DEVNULL, timeout=60,
        )  # fmt: skip
        spent.append(time.perf_counter() - started)
    return statistics.median(spent)


def demo_seconds(log: str) -> str:
    found = re.search(r"Demo ready: ([\d,]+) rows in (\d+) tables, ([\d.]+) s", log)
    return f"{found[3]} s for {found[1]} rows in {found[2]} tables" if found else "not reported"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--restarts", type=int, default=3, help="later starts to time")
    parser.add_argument("--days", type=float, default=1.0, help="demo_days of the first start")
    parser.add_argument("--keep", action="store_true", help="keep the temp folder")
    args = parser.parse_args()

    print(f"startup benchmark; machine: {machine_note()}")
    with workspace(keep=args.keep) as ws:
        with serve(ws, "first-start", demo_days=args.days) as server:
            up = server.wait_until_up("/", timeout=120)
            ready, rest = first_page(server, up)
            listening = server.listening
            demo = demo_seconds(server.log_text())
        rows = []
        for i in range(args.restarts):
            with serve(ws, f"later-start-{i + 1}", demo_days=args.days) as later:
                later_up = later.wait_until_up("/", timeout=60)
                later_ready, _ = first_page(later, later_up)
                rows.append((later_up, later_ready, later.listening))
        size_mb = ws.db.stat().st_size / 1e6
    imports = import_seconds()

    print(f"store after the demo: {size_mb:.0f} MB; demo as logged by the server: {demo}")
    print(
        f"first start (demo included): port open after {listening:.1f} s, "
        f"GET / answers after {up:.1f} s, "
        f"first page ready after {ready:.1f} s (+{rest * 1000:.0f} ms) "
        f"(target < {FIRST_TARGET:.0f} s: {verdict(ready < FIRST_TARGET)})"
    )
    for i, (later_up, later_ready, later_listening) in enumerate(rows, 1):
        print(
            f"later start {i}: port open after {later_listening:.2f} s, "
            f"GET / answers after {later_up:.2f} s, "
            f"first page ready after {later_ready:.2f} s"
        )
    print(f"of which interpreter + imports alone (python -c 'import app'): {imports:.2f} s")
    if rows:
        worst = max(r[1] for r in rows)
        median = statistics.median(r[1] for r in rows)
        print(
            f"later starts, first page ready: median {median:.2f} s, worst {worst:.2f} s "
            f"(target < {LATER_TARGET:.0f} s: {verdict(worst < LATER_TARGET)})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
