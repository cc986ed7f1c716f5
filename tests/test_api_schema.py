"""Schemathesis against the live app's own OpenAPI document: every operation, bounded
examples, positive and negative. Fails on any 500, any response that does not match its
documented schema or status, and any request the schema forbids that the server accepts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import schemathesis
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from app import create_app
from data import open_store
from live.hub import InProcessHub
from tests.conftest import machine_frame, make_config
from tests.test_store_contract import add_anomaly, label

#: Examples per operation and mode: ~40 operations finish well inside CI's 3 minutes.
MAX_EXAMPLES = 12
REFUSALS = [400, 401, 403, 404, 405, 409, 413, 415, 422]
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def api_schema(tmp_path: Path) -> Iterator[schemathesis.schemas.BaseSchema]:
    store = open_store(make_config(tmp_path))
    store.create_schema()
    store.write("machines", pd.DataFrame({"machine_id": ["M1"], "name": ["Press 1"]}))
    store.write("machine_readings", machine_frame("M1", 600))
    add_anomaly(store, "a1")
    store.add_feedback(label("a1", True, "k1"))
    app = create_app(make_config(tmp_path, auth=True), store, InProcessHub())
    accounts = app.server.extensions["vigil-auth"].accounts
    accounts.create("ada", "a long enough password", "admin")
    token = accounts.issue_token("ada", days=1)[0]
    config = SchemathesisConfig.from_dict(
        {
            # Every call as an admin with a real bearer token (auth on, as in production).
            "headers": {"Authorization": f"Bearer {token}"},
            "generation": {"mode": "all", "max-examples": MAX_EXAMPLES, "deterministic": True},
            # A batch over its maxItems is refused as too large (413), as the document says.
            "checks": {"negative_data_rejection": {"expected-statuses": REFUSALS}},
        }
    )
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app.server, config=config)
    store.close()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
def test_every_operation_keeps_its_contract(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=CHECKS)
