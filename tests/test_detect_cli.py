"""`python app.py detect` as a user runs it, on a SQLite store."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from data import open_store
from tests.conftest import make_config
from tests.test_cli import run
from tests.test_detection_run import readings

ARGS = [
    "detect",
    "--table",
    "machine_readings",
    "--columns",
    "current,voltage",
    "--train",
    "2026-01-05T00:00:00..2026-01-05T00:06:39",
    "--range",
    "2026-01-05T00:06:40..2026-01-05T00:23:19",
]


def filled(tmp_path: Path) -> Path:
    store = open_store(make_config(tmp_path))
    store.create_schema()
    store.write("machine_readings", pd.concat([readings("M1", 1, True), readings("M2", 2)]))
    store.close()
    return tmp_path / "config.json"


def test_detect_writes_the_anomaly_once(tmp_path: Path) -> None:
    config = str(filled(tmp_path))
    first = run("--config", config, *ARGS)
    assert first.returncode == 0, first.stderr
    assert "Detecting with window-ensemble" in first.stdout
    assert "1 anomaly found in 2,000 rows of 2 entities: 1 written, 0 already there." in (
        first.stdout
    )
    again = run("--config", config, *ARGS, "--entity", "M1")
    assert again.returncode == 0, again.stderr
    assert "1 anomaly found in 1,000 rows of 1 entity: 0 written, 1 already there." in (
        again.stdout
    )


def test_bad_input_is_one_line_without_a_traceback(tmp_path: Path) -> None:
    config = str(filled(tmp_path))
    for args, message in (
        (["--table", "nope"], "unknown table 'nope'"),
        (["--range", "2026-01-05"], "the range must be written START..END"),
        (["--columns", "state"], "'state' of table 'machine_readings' is a label column"),
        (["--detector", "magic"], "'magic' is not one of 'window-ensemble'"),
    ):
        result = run("--config", config, *ARGS, *args)
        assert result.returncode != 0 and message in result.stderr, (args, result.stderr)
        assert "Traceback" not in result.stderr
