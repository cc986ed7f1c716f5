"""Fixtures: a real, temporary store per backend, filled with small known data."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from data import open_store
from data.sql_store import driver_url
from data.store import Store
from settings import load_config
from tests.bigquery_emulator import bigquery_emulator  # noqa: F401 - the session fixture

#: Backends the contract runs on; BigQuery joins with its emulator.
BACKENDS = ["sqlite", "postgresql", "bigquery"]
#: The test database of scripts/test (trust auth, see DEVELOPERS notes in README).
POSTGRES = "postgresql://postgres@127.0.0.1:5432/test"
START = pd.Timestamp("2026-01-05 00:00:00", tz="UTC")


def make_config(tmp_path: Path, **overrides: object):
    """A config in `tmp_path`; accounts are off (`auth: false`) unless `auth=True`: the
    tests about something else act as the one local user, tests/test_security.py not."""
    path = tmp_path / "config.json"
    path.write_text('{"backend": "sqlite:///vigil.db", "port_number": 8080, "auth": false}')
    return load_config(path, env={}, overrides=overrides)


@contextmanager
def postgres_schema() -> Iterator[str]:
    """A fresh PostgreSQL schema, dropped afterwards; yields a backend URL using it."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(driver_url(POSTGRES), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE SCHEMA "{name}"'))
    try:
        yield f"{POSTGRES}?options=-csearch_path%3D{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP SCHEMA "{name}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=BACKENDS)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Store]:
    """An empty store with Vigil's schema, on each backend in turn."""
    with ExitStack() as stack:
        overrides = {}
        if request.param == "postgresql":
            overrides["backend"] = stack.enter_context(postgres_schema())
        if request.param == "bigquery":  # a dataset per test: the emulator has no reset
            emulator = request.getfixturevalue("bigquery_emulator")
            overrides["backend"] = stack.enter_context(emulator.dataset())
        opened = open_store(make_config(tmp_path, **overrides))
        stack.callback(opened.close)
        opened.create_schema()
        yield opened


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
