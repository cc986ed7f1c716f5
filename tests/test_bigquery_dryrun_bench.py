"""bench/bigquery_dryrun.py on a small demo: it runs (it once broke unnoticed, its
folder's pages.py hiding the app's pages/) and no page reads a partition twice,
the BigQuery cost target its exit status checks."""

from __future__ import annotations

import re
import subprocess
import sys

from settings import PROJECT_DIR

PAGES = ("Overview", "Explore: whole day of", "Explore: 1-hour zoom", "Anomalies list")


def test_every_page_reads_each_partition_once() -> None:
    done = subprocess.run(
        [sys.executable, "bench/bigquery_dryrun.py", "--days", "0.05"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    for page in (*PAGES, "Anomaly detail ("):
        assert f"## {page}" in done.stdout, f"no {page!r} in:\n{done.stdout[-3000:]}"
    totals = re.findall(r"^page total .*a partition read twice: (.+)$", done.stdout, re.M)
    assert totals == ["none"] * 5, totals
