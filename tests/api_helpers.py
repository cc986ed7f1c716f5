"""A Flask test client of a whole Vigil app on a real store, for the API's contract tests."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask.testing import FlaskClient

from app import create_app
from data.store import Store
from live.hub import InProcessHub
from tests.conftest import BACKENDS, make_config

#: The API's contract runs on every backend (BigQuery on its emulator, a dataset a test).
API_BACKENDS = pytest.mark.parametrize("store", BACKENDS, indirect=True)


@pytest.fixture(name="api")
def api_client(store: Store, tmp_path: Path) -> FlaskClient:
    return create_app(make_config(tmp_path), store, InProcessHub()).server.test_client()


def error(response) -> dict:
    """The error of a refused request, checked to be errors.py's one shape."""
    body = response.get_json()
    assert set(body) == {"error"}, body
    assert set(body["error"]) == {"code", "message", "fields"}, body
    assert body["error"]["code"] == response.status_code
    return body["error"]
