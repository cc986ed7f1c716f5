"""CSV import into every backend: real SKAB data, and bad files that change nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from data import csv_import
from data.csv_import import import_csv
from data.store import Store
from errors import InvalidInput
from settings import PROJECT_DIR

SKAB = PROJECT_DIR.parent / "shared" / "data" / "skab"


def test_a_skab_file_becomes_a_plottable_table(store: Store) -> None:
    path = SKAB / "valve1" / "0.csv"
    if not path.exists():
        pytest.skip(f"SKAB data not found at {SKAB} (it is read from ../shared, never copied)")
    assert import_csv(store, path, "skab_valve1_0", "datetime", sep=";") == 1147
    roles = {c.name: c.role for c in store.columns("skab_valve1_0")}
    assert roles["datetime"] == "time" and roles["Volume Flow RateRMS"] == "metric"
    first, last = store.time_range("skab_valve1_0")
    read = store.read("skab_valve1_0", ["Current", "Pressure"], first, last, 400)
    assert read.rows_in_range == 1147 and read.downsampled


def write_csv(path: Path, rows: int, bad_line: int | None = None, bad: str = "x") -> Path:
    lines = ["time,value,note"]
    for i in range(rows):
        value = bad if bad_line == i + 2 else str(i * 0.5)
        lines.append(f"2026-01-05 00:{i // 60 % 60:02d}:{i % 60:02d},{value},n{i}")
    path.write_text("\n".join(lines) + "\n")
    return path


def test_a_bad_cell_late_in_the_file_changes_nothing(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(csv_import, "CHUNK_ROWS", 100)  # several chunks from a small file
    path = write_csv(tmp_path / "bad.csv", 1000, bad_line=950)
    with pytest.raises(InvalidInput, match="line 950: 'x' in column 'value' is not a number"):
        import_csv(store, path, "imported", "time")
    assert "imported" not in store.tables()


@pytest.mark.parametrize(
    ("content", "time_column", "message"),
    [
        ("time,value\nyesterday,1\n", "time", "line 2: 'yesterday' in column 'time' is not a time"),
        ("time,value\n2026-01-05 00:00:00,1\n", "when", "no column 'when'"),
        ("time,value\n", "time", "holds no rows"),
    ],
)
def test_bad_files_are_refused(
    store: Store, tmp_path: Path, content: str, time_column: str, message: str
) -> None:
    path = tmp_path / "f.csv"
    path.write_text(content)
    with pytest.raises(InvalidInput, match=message):
        import_csv(store, path, "imported", time_column)
    assert "imported" not in store.tables()


def test_existing_table_needs_append(store: Store, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "ok.csv", 30)
    assert import_csv(store, path, "imported", "time") == 30
    with pytest.raises(InvalidInput, match="exists already; add --append"):
        import_csv(store, path, "imported", "time")
    later = tmp_path / "later.csv"
    later.write_text(path.read_text().replace("2026-01-05", "2026-01-06"))
    assert import_csv(store, later, "imported", "time", append=True) == 30
    first, last = store.time_range("imported")
    assert (last - first).days == 1
