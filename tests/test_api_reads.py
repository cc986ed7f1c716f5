"""The API's reads on real stores: catalog, series (M4 read path), anomalies with the queue's
filters and cursor pages, one anomaly with its history, the labels export, ETags."""

from __future__ import annotations

import io
from datetime import timedelta

import pandas as pd
from flask.testing import FlaskClient

from data.store import Store
from tests.api_helpers import API_BACKENDS, api_client, error  # noqa: F401 - the fixture
from tests.conftest import START, machine_frame
from tests.test_store_contract import add_anomaly, label

pytestmark = API_BACKENDS


def iso(t: pd.Timestamp) -> str:
    return t.isoformat().replace("+00:00", "Z")


def test_tables_and_columns(api: FlaskClient, store: Store) -> None:
    tables = api.get("/api/v1/tables").get_json()["tables"]
    assert "machine_readings" in tables and "anomaly_feedback" not in tables
    columns = api.get("/api/v1/tables/machine_readings/columns").get_json()["columns"]
    roles = {c["name"]: c["role"] for c in columns}
    assert roles["time"] == "time" and roles["current"] == "metric"
    assert roles["machine_id"] == "id"
    missing = api.get("/api/v1/tables/nope/columns")
    assert missing.status_code == 404 and "nope" in error(missing)["message"]


def test_series_downsamples_to_max_points(api: FlaskClient, store: Store) -> None:
    store.write("machine_readings", machine_frame("M1", 3600))
    end = START + timedelta(seconds=3599)
    query = f"columns=current,voltage&entity=M1&start={iso(START)}&end={iso(end)}"
    found = api.get(f"/api/v1/tables/machine_readings/series?{query}&max_points=100").get_json()
    assert found["downsampled"] and found["rows_in_range"] == 3600
    assert [s["column"] for s in found["series"]] == ["current", "voltage"]
    for line in found["series"]:
        assert 0 < len(line["time"]) <= 200 and len(line["time"]) == len(line["values"])
        assert line["time"] == sorted(line["time"])
    assert found["buckets"]["width"] > 0
    raw = api.get(f"/api/v1/tables/machine_readings/series?{query}&max_points=20000").get_json()
    assert not raw["downsampled"] and len(raw["series"][0]["time"]) == 3600
    assert raw["series"][0]["time"][0] == START.timestamp() * 1000


def test_series_refuses_bad_requests_naming_the_field(api: FlaskClient, store: Store) -> None:
    store.write("machine_readings", machine_frame("M1", 60))
    base = "/api/v1/tables/machine_readings/series"
    few = api.get(f"{base}?max_points=5")
    assert few.status_code == 422 and "max_points" in error(few)["fields"]
    naive = api.get(f"{base}?start=2026-01-05T00:00:00")
    assert naive.status_code == 422 and "start" in error(naive)["fields"]
    unknown = api.get(f"{base}?bogus=1")
    assert unknown.status_code == 422 and "bogus" in error(unknown)["fields"]
    assert api.get(f"{base}?columns=nope").status_code == 404
    assert api.get(f"{base}?entity=M9").status_code == 404


def test_reads_carry_an_etag_and_answer_304(api: FlaskClient, store: Store) -> None:
    first = api.get("/api/v1/tables")
    tag = first.headers["ETag"]
    again = api.get("/api/v1/tables", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.data == b""
    before = api.get("/api/v1/machines").headers["ETag"]
    store.write("machines", pd.DataFrame({"machine_id": ["M1"], "name": ["Press"]}))
    changed = api.get("/api/v1/machines", headers={"If-None-Match": before})
    assert changed.status_code == 200 and changed.headers["ETag"] != before


def _queue(store: Store) -> None:
    for i, (entity, score) in enumerate([("M1", 0.9), ("M2", 0.2), ("M1", None), ("M2", 0.5)]):
        add_anomaly(store, f"a{i + 1}", entity, score)
    store.add_feedback(label("a1", True, "k1", anomaly_type="spike"))
    store.add_feedback(label("a2", False, "k2"))


def test_anomalies_filter_sort_and_page(api: FlaskClient, store: Store) -> None:
    _queue(store)

    def ids(query: str) -> list[str]:
        return [a["id"] for a in api.get(f"/api/v1/anomalies?{query}").get_json()["items"]]

    assert ids("status=verified") == ["a1"]
    assert ids("anomaly_type=spike") == ["a1"]
    assert ids("entity=M2&sort=highest") == ["a4", "a2"]
    assert ids("min_score=0.3&max_score=0.6") == ["a4"]
    assert ids(f"start={iso(START + timedelta(minutes=3))}") == []
    seen, cursor, pages = [], None, 0
    while True:
        query = "sort=highest&limit=3" + (f"&cursor={cursor}" if cursor else "")
        found = api.get(f"/api/v1/anomalies?{query}").get_json()
        seen += [a["id"] for a in found["items"]]
        pages, cursor = pages + 1, found["next_cursor"]
        if cursor is None:
            break
    assert (seen, pages) == (["a1", "a4", "a2", "a3"], 2)
    first = api.get("/api/v1/anomalies?limit=1").get_json()["next_cursor"]
    other = api.get(f"/api/v1/anomalies?limit=1&status=verified&cursor={first}")
    assert other.status_code == 400 and "cursor" in error(other)["fields"]
    assert api.get("/api/v1/anomalies?cursor=garbage").status_code == 400
    assert api.get("/api/v1/anomalies?status=maybe").status_code == 422
    assert api.get("/api/v1/anomalies?limit=0").status_code == 422


def test_one_anomaly_with_its_history(api: FlaskClient, store: Store) -> None:
    _queue(store)
    found = api.get("/api/v1/anomalies/a1").get_json()
    assert (found["status"], found["anomaly_type"]) == ("verified", "spike")
    assert [e["idempotency_key"] for e in found["history"]] == ["k1"]
    assert found["columns"] == ["current", "voltage"]
    assert api.get("/api/v1/anomalies/none-such").status_code == 404


def test_labels_export_as_csv_and_parquet(api: FlaskClient, store: Store) -> None:
    _queue(store)
    csv = api.get("/api/v1/labels")
    assert csv.mimetype == "text/csv" and "attachment" in csv.headers["Content-Disposition"]
    frame = pd.read_csv(io.BytesIO(csv.data))
    assert sorted(frame["anomaly_id"]) == ["a1", "a2"]
    parquet = api.get("/api/v1/labels?format=parquet&view=history")
    assert len(pd.read_parquet(io.BytesIO(parquet.data))) == 2
    assert api.get("/api/v1/labels?format=xlsx").status_code == 422
