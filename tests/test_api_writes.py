"""The API's writes on real stores: labels through the review form's path with the
Idempotency-Key, CRUD of the reference tables, and refusals that write nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from flask.testing import FlaskClient

from api import MAX_BODY_BYTES
from app import create_app
from data.store import Store
from live.hub import InProcessHub
from tests.api_helpers import API_BACKENDS, api_client, error  # noqa: F401 - the fixture
from tests.conftest import make_config
from tests.test_store_contract import add_anomaly

pytestmark = API_BACKENDS


def _label(api: FlaskClient, body: object, key: str | None = "k1", anomaly: str = "a1"):
    headers = {"Idempotency-Key": key} if key else {}
    return api.post(f"/api/v1/anomalies/{anomaly}/labels", json=body, headers=headers)


def test_label_save_is_idempotent_by_key(api: FlaskClient, store: Store) -> None:
    add_anomaly(store, "a1")
    saved = _label(api, {"verified": True, "anomaly_type": "spike"})
    assert saved.status_code == 201
    event = saved.get_json()
    assert (event["verified"], event["anomaly_type"], event["author"]) == (True, "spike", "analyst")
    retried = _label(api, {"verified": True, "anomaly_type": "spike"})
    assert retried.get_json()["event_id"] == event["event_id"]
    assert len(store.anomaly("a1").history) == 1
    clash = _label(api, {"verified": False})
    assert clash.status_code == 409 and "Idempotency-Key" in error(clash)["fields"]
    # A field left out keeps the current label's value, as the review form does.
    kept = _label(api, {"comment": "seen twice"}, key="k2").get_json()
    assert (kept["verified"], kept["anomaly_type"], kept["comment"]) == (
        True,
        "spike",
        "seen twice",
    )


def test_undo_restores_the_label_before(api: FlaskClient, store: Store) -> None:
    add_anomaly(store, "a1")
    _label(api, {"verified": True}, key="k1")
    _label(api, {"verified": False}, key="k2")
    undo = api.post("/api/v1/anomalies/a1/labels/undo", headers={"Idempotency-Key": "u1"})
    assert undo.status_code == 201 and undo.get_json()["verified"] is True
    assert undo.get_json()["reverts"] is not None
    again = api.post("/api/v1/anomalies/a1/labels/undo", headers={"Idempotency-Key": "u1"})
    assert again.get_json()["event_id"] == undo.get_json()["event_id"]
    assert store.anomaly("a1").status == "verified"
    reused = api.post("/api/v1/anomalies/a1/labels/undo", headers={"Idempotency-Key": "k1"})
    assert reused.status_code == 409


@pytest.mark.parametrize(
    ("body", "key", "field"),
    [
        ({"verified": True, "sure": 1}, "k", "sure"),  # unknown field refused, not ignored
        ({"verified": "true"}, "k", "verified"),  # no coercion of text to a boolean
        ({"anomaly_type": "x" * 201}, "k", "anomaly_type"),
        ({"comment": 5}, "k", "comment"),
        ({}, "k", "body"),
        ({"verified": True}, None, "Idempotency-Key"),
        ({"verified": True}, "k" * 201, "Idempotency-Key"),
    ],
)
def test_refused_labels_name_the_field_and_write_nothing(
    api: FlaskClient, store: Store, body: dict, key: str | None, field: str
) -> None:
    add_anomaly(store, "a1")
    refused = _label(api, body, key=key)
    assert refused.status_code == 422
    assert any(name.startswith(field) for name in error(refused)["fields"]), error(refused)
    assert store.anomaly("a1").history == []


def test_label_of_an_unknown_anomaly_is_404(api: FlaskClient, store: Store) -> None:
    assert _label(api, {"verified": True}, anomaly="none-such").status_code == 404


MACHINE = {"machine_id": "M1", "name": "Press 1", "capacity_in_amp": 50}


def test_machine_crud(api: FlaskClient, store: Store) -> None:
    created = api.post("/api/v1/machines", json=MACHINE)
    assert created.status_code == 201 and created.get_json()["capacity_in_amp"] == 50.0
    assert api.get("/api/v1/machines/M1").get_json()["name"] == "Press 1"
    changed = api.patch(
        "/api/v1/machines/M1", json={"maker": "Acme", "date_of_purchase": "2025-03-01"}
    )
    assert changed.status_code == 200
    assert store.rows("machines")[0]["maker"] == "Acme"
    assert changed.get_json()["date_of_purchase"] == "2025-03-01"
    assert api.delete("/api/v1/machines/M1").status_code == 204
    assert store.rows("machines") == []
    assert api.get("/api/v1/machines/M1").status_code == 404
    assert api.delete("/api/v1/machines/M1").status_code == 404
    assert api.patch("/api/v1/machines/M1", json={"maker": "x"}).status_code == 404


def test_lists_page_with_a_cursor(api: FlaskClient, store: Store) -> None:
    ids = [f"S{i:02d}" for i in range(7)]
    store.write("sensors", pd.DataFrame({"sensor_id": ids, "tags": "a"}))
    seen, cursor = [], None
    while True:
        found = api.get("/api/v1/sensors?limit=3" + (f"&cursor={cursor}" if cursor else ""))
        seen += [s["sensor_id"] for s in found.get_json()["items"]]
        cursor = found.get_json()["next_cursor"]
        if cursor is None:
            break
    assert seen == ids


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({**MACHINE, "colour": "red"}, "colour"),
        ({**MACHINE, "capacity_in_amp": "50"}, "capacity_in_amp"),
        ({**MACHINE, "capacity_in_amp": -1}, "capacity_in_amp"),
        ({**MACHINE, "name": "n" * 201}, "name"),
        ({**MACHINE, "date_of_purchase": "yesterday"}, "date_of_purchase"),
        ({"name": "no id"}, "machine_id"),
    ],
)
def test_refused_rows_name_the_field_and_write_nothing(
    api: FlaskClient, store: Store, body: dict, field: str
) -> None:
    refused = api.post("/api/v1/machines", json=body)
    assert refused.status_code == 422 and field in error(refused)["fields"], refused.get_json()
    assert store.rows("machines") == []


def test_conflicts_are_409(api: FlaskClient, store: Store) -> None:
    kind = {"type": "press", "standard_current": 40.0, "standard_voltage": 400.0}
    assert api.post("/api/v1/element-types", json=kind).status_code == 201
    assert api.post("/api/v1/element-types", json=kind).status_code == 409
    assert (
        api.post("/api/v1/machines", json={**MACHINE, "element_type": "press"}).status_code == 201
    )
    in_use = api.delete("/api/v1/element-types/press")
    assert in_use.status_code == 409 and "M1" in error(in_use)["message"]
    assert len(store.rows("element_types")) == 1
    zero = api.patch("/api/v1/element-types/press", json={"standard_current": 0})
    assert zero.status_code == 422 and store.rows("element_types")[0]["standard_current"] == 40.0


def test_shifts_remarks_sensors_batteries(api: FlaskClient, store: Store) -> None:
    api.post("/api/v1/machines", json=MACHINE)
    shift = {
        "shift_id": "n",
        "name": "Night",
        "machine_id": "M1",
        "start_time": "22:00",
        "end_time": "06:00",
    }
    assert api.post("/api/v1/shifts", json=shift).status_code == 201
    assert (
        api.post("/api/v1/shifts", json={**shift, "shift_id": "x", "end_time": "25:00"}).status_code
        == 422
    )
    remark = api.post("/api/v1/remarks", json={"machine_id": "M1", "text": "belt replaced"})
    assert remark.status_code == 201 and remark.get_json()["author"] == "analyst"
    assert api.post("/api/v1/remarks", json={"machine_id": "M9", "text": "x"}).status_code == 404
    rid = remark.get_json()["remark_id"]
    assert api.patch(f"/api/v1/remarks/{rid}", json={"text": "belt and pulley"}).status_code == 200
    assert store.rows("machine_remarks")[0]["text"] == "belt and pulley"
    sensor = {"sensor_id": "S1", "tags": "roof", "installed": "2026-01-05T10:00:00Z"}
    assert api.post("/api/v1/sensors", json=sensor).status_code == 201
    assert api.get("/api/v1/sensors/S1").get_json()["installed"].startswith("2026-01-05T10:00:00")
    assert (
        api.post(
            "/api/v1/batteries", json={"battery_id": "B1", "name": "Rack", "capacity_kwh": 5}
        ).status_code
        == 201
    )
    assert api.patch("/api/v1/batteries/B1", json={"name": None}).status_code == 422
    assert api.delete("/api/v1/batteries/B1").status_code == 204 and store.rows("batteries") == []


def test_bodies_that_are_too_large_or_not_json(api: FlaskClient, store: Store) -> None:
    huge = json.dumps({**MACHINE, "model": "x" * MAX_BODY_BYTES})
    too_large = api.post("/api/v1/machines", data=huge, content_type="application/json")
    assert too_large.status_code == 413 and error(too_large)["fields"] == {"body": "too large"}
    broken = api.post("/api/v1/machines", data="{nope", content_type="application/json")
    assert broken.status_code == 400 and error(broken)["fields"] == {"body": "malformed JSON"}
    text = api.post("/api/v1/machines", data=json.dumps(MACHINE), content_type="text/plain")
    assert text.status_code == 400
    assert store.rows("machines") == []


def test_every_route_asks_auth_for_its_role(store: Store, tmp_path: Path) -> None:
    app = create_app(make_config(tmp_path, auth=True), store, InProcessHub())
    accounts = app.server.extensions["vigil-auth"].accounts
    accounts.create("vera", "a long enough password", "viewer")
    api = app.server.test_client()
    bearer = {"Authorization": f"Bearer {accounts.issue_token('vera', days=1)[0]}"}
    assert api.get("/api/v1/machines", headers=bearer).status_code == 200
    forbidden = api.post("/api/v1/machines", json=MACHINE, headers=bearer)
    assert forbidden.status_code == 403 and "admin" in error(forbidden)["message"]
    add_anomaly(store, "a1")
    refused = api.post("/api/v1/anomalies/a1/labels", json={"verified": True}, headers=bearer)
    assert refused.status_code == 403
    # The role is checked before the body is read: no schema hints for the wrong caller.
    broken = api.post("/api/v1/machines", data="{", content_type="application/json", headers=bearer)
    assert broken.status_code == 403
    assert store.rows("machines") == []
    assert store.anomaly("a1").history == []

    assert api.get("/api/v1/tables").status_code == 401
    assert api.get("/api/v1/tables", headers={"Authorization": "Bearer forged"}).status_code == 401
    assert api.post("/api/v1/readings", json={"bogus": 1}).status_code == 401
    assert api.get("/api/v1/openapi.json").status_code == 200  # Swagger UI loads it without one
