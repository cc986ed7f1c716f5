"""`python app.py prepare-geoms` as a user runs it, on the demo's raw position readings."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.test_cli import count_rows, run


def test_prepare_geoms_turns_the_demo_readings_into_geoms_once(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"backend": "sqlite:///demo.db", "port_number": 8080}')
    assert run("--config", str(config), "load-demo", "--days", "0.2").returncode == 0
    db = tmp_path / "demo.db"
    with sqlite3.connect(db) as conn:
        query = "SELECT min(time), max(time) FROM position_readings"
        first, last = conn.execute(query).fetchone()
    readings = count_rows(db, "position_readings")
    before = (count_rows(db, "geoms"), count_rows(db, "coordinates"))
    args = ("--config", str(config), "prepare-geoms", "--environment", "E1")
    result = run(*args, "--start", first, "--end", last)
    assert result.returncode == 0, result.stderr
    assert "Preparing geoms of E1" in result.stdout + result.stderr  # the progress bar
    assert f"{readings:,} readings of 4 devices" in result.stdout
    geoms = count_rows(db, "geoms") - before[0]
    assert geoms >= 8  # 4 tags, each silent a minute or two at least once in two hours
    assert count_rows(db, "coordinates") - before[1] == readings

    again = run(*args, "--start", first, "--end", last)
    assert again.returncode == 0, again.stderr
    assert "0 new geoms, 0 coordinates written" in again.stdout
    assert count_rows(db, "coordinates") - before[1] == readings

    unknown = run("--config", str(config), "prepare-geoms", "--environment", "E9",
                  "--start", first, "--end", last)  # fmt: skip
    assert unknown.returncode != 0 and "unknown environment 'E9'" in unknown.stderr
    assert "Traceback" not in unknown.stderr
