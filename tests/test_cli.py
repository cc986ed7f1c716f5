"""The command line, run as a user runs it: `python app.py ...` in a subprocess."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

from settings import PROJECT_DIR


def run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "app.py", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=120,
        env={"PATH": "/usr/bin:/bin", **(env or {})},
    )


def test_help_lists_the_commands() -> None:
    result = run("--help")
    assert result.returncode == 0
    assert "serve" in result.stdout and "load-demo" in result.stdout


def test_broken_config_stops_with_the_key_and_no_traceback(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"backend": "sqlite:///x.db", "port_number": "eighty"}')
    result = run("--config", str(config), "serve")
    assert result.returncode != 0
    assert "key 'port_number' must be an integer" in result.stderr
    assert "Traceback" not in result.stderr


def test_unwritable_store_path_says_how_to_fix(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    config = tmp_path / "config.json"
    config.write_text('{"backend": "sqlite:///file/sub/vigil.db", "port_number": 8080}')
    result = run("--config", str(config), "serve")
    assert result.returncode != 0
    assert "cannot create the folder for the SQLite store" in result.stderr
    assert "VIGIL_BACKEND" in result.stderr and "Traceback" not in result.stderr


def count_rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_load_demo_fills_and_then_replaces(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"backend": "sqlite:///demo.db", "port_number": 8080}')
    result = run("--config", str(config), "load-demo", "--days", "0.05", "--seed", "3")
    assert result.returncode == 0, result.stderr
    assert "Demo ready" in result.stdout
    first = {t: count_rows(tmp_path / "demo.db", t) for t in ("machine_readings", "anomalies")}
    assert first["machine_readings"] == 6 * round(0.05 * 86_400)
    again = run("--config", str(config), "load-demo", "--days", "0.05", "--seed", "3")
    assert again.returncode == 0, again.stderr
    second = {t: count_rows(tmp_path / "demo.db", t) for t in ("machine_readings", "anomalies")}
    assert second == first, "regenerating must replace the demo rows, not add to them"


def test_export_labels_writes_csv_and_parquet(tmp_path: Path) -> None:
    config = tmp_path / "config.json"
    config.write_text('{"backend": "sqlite:///demo.db", "port_number": 8080}')
    assert run("--config", str(config), "load-demo", "--days", "0.05").returncode == 0
    with sqlite3.connect(tmp_path / "demo.db") as conn:
        conn.execute(
            "INSERT INTO anomaly_feedback (event_id, anomaly_id, verified, author, created, "
            "idempotency_key) SELECT 'e1', id, 1, 'ana', '2026-01-05 00:00:00', 'k1' "
            "FROM anomalies ORDER BY id LIMIT 1"
        )
    for fmt in ("csv", "parquet"):
        out = tmp_path / f"labels.{fmt}"
        result = run("--config", str(config), "export-labels", "--format", fmt, "--out", str(out))
        assert result.returncode == 0, result.stderr
        assert "1 labelled anomaly written" in result.stdout
        assert out.stat().st_size > 0 and not (tmp_path / f"labels.{fmt}.partial").exists()
    assert "ana" in (tmp_path / "labels.csv").read_text()
    bad = run("--config", str(config), "export-labels", "--out", str(tmp_path / "no" / "x.csv"))
    assert bad.returncode != 0 and "cannot write" in bad.stderr
    assert "Traceback" not in bad.stderr
