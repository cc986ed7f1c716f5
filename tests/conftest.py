"""Fixtures: a real, temporary store per backend, filled with small known data."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from data import open_store
from data.store import Store
from settings import load_config

#: Backends the contract runs on; later issues add "postgresql" and "bigquery".
BACKENDS = ["sqlite"]
START = pd.Timestamp("2026-01-05 00:00:00", tz="UTC")


def make_config(tmp_path: Path, **overrides: object):
    path = tmp_path / "config.json"
    path.write_text('{"backend": "sqlite:///vigil.db", "port_number": 8080}')
    return load_config(path, env={}, overrides=overrides)


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store with Vigil's schema, on each backend in turn."""
    config = make_config(tmp_path)
    opened = open_store(config)
    opened.create_schema()
    yield opened
    opened.close()


def machine_frame(machine: str, seconds: int, seed: int = 0) -> pd.DataFrame:
    """`seconds` rows of 1 s readings with known random values."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "machine_id": machine,
            "time": pd.date_range(START, periods=seconds, freq="s"),
            "current": rng.normal(40, 5, seconds),
            "voltage": rng.normal(400, 2, seconds),
            "state": "production",
        }
    )
