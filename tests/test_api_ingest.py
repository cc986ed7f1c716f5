"""The ingest API: POST /api/v1/readings and /api/v1/heartbeats, on a real store and hub."""

from __future__ import annotations

import json
import queue
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
from flask.testing import FlaskClient

from api.validation import MAX_BATCH
from app import create_app
from data import open_store
from data.store import Store
from live.hub import InProcessHub
from tests.conftest import make_config

NOW = datetime.now(UTC).replace(microsecond=0)


def iso(t: datetime) -> str:
    return t.isoformat().replace("+00:00", "Z")


def add_entities(store: Store) -> None:
    store.write(
        "machines",
        pd.DataFrame({"machine_id": ["M1", "M2"], "name": ["Press 1", "Press 2"]}),
    )
    store.write("batteries", pd.DataFrame({"battery_id": ["B1"], "name": ["Rack 1"]}))
    store.write("sensors", pd.DataFrame({"sensor_id": ["S01", "S02"], "tags": ["a", "b"]}))


class Live:
    """A Flask test client of a Vigil app with its own store and an in-process hub."""

    def __init__(self, store: Store, folder: Path) -> None:
        self.store = store
        self.hub = InProcessHub()
        self.app = create_app(make_config(folder), store, self.hub)
        self.client: FlaskClient = self.app.server.test_client()
        self.inbox: queue.Queue = queue.Queue()
        self.hub.subscribe(
            ["machine:*", "battery:*", "sensor:*"], lambda m: self.inbox.put((m.channel, m.data))
        )

    def post(self, path: str, body: object, **kwargs: object):
        return self.client.post(f"/api/v1/{path}", json=body, **kwargs)

    def published(self, count: int = 0) -> list[tuple[str, dict]]:
        """The `count` messages the hub delivered (on its own thread), then any more
        arriving within a moment."""
        out = [self.inbox.get(timeout=5) for _ in range(count)]
        try:
            while True:
                out.append(self.inbox.get(timeout=0.2))
        except queue.Empty:
            return out


@pytest.fixture
def live(tmp_path: Path) -> Iterator[Live]:
    store = open_store(make_config(tmp_path))
    store.create_schema()
    add_entities(store)
    yield Live(store, tmp_path)
    store.close()


def machine(k: int = 0, **fields: object) -> dict:
    return {
        "machine_id": "M1",
        "time": iso(NOW - timedelta(seconds=100 - k)),
        "current": 40.0 + k,
        "voltage": 400.0,
        "state": "production",
        **fields,
    }


def battery(k: int = 0, **fields: object) -> dict:
    return {
        "battery_id": "B1",
        "time": iso(NOW - timedelta(seconds=100 - k)),
        "voltage": 760.0,
        "current": -12.5,
        "temperature": 24.0,
        "state_of_charge": 55.0,
        "state_of_health": 93.0,
        **fields,
    }


def count(store: Store, table: str) -> int:
    span = store.time_range(table)
    if span is None:
        return 0
    read = store.read(table, [_metric(table)], span[0], span[1] + timedelta(seconds=1), 100_000)
    return read.rows_in_range


def _metric(table: str) -> str:
    return {"machine_readings": "current", "battery_readings": "voltage"}[table]


def test_a_mixed_batch_is_written_and_published(live: Live) -> None:
    body = {"readings": [machine(k) for k in range(5)] + [battery(k) for k in range(3)]}
    response = live.post("readings", body)
    assert response.status_code == 201, response.json
    assert response.json == {
        "written": {"machine_readings": 5, "battery_readings": 3},
        "published": 8,
    }
    assert count(live.store, "machine_readings") == 5
    assert count(live.store, "battery_readings") == 3
    published = live.published(8)
    assert [c for c, _ in published] == ["machine:M1"] * 5 + ["battery:B1"] * 3
    first = published[0][1]
    assert first["current"] == 40.0 and first["state"] == "production"
    assert first["time"] == (NOW - timedelta(seconds=100)).timestamp() * 1000
    assert abs(first["ingested"] - datetime.now(UTC).timestamp() * 1000) < 10_000


def test_the_written_values_read_back(live: Live) -> None:
    live.post(
        "readings", {"readings": [machine(0, current=12.25, time="2026-01-05T10:00:00+01:00")]}
    )
    latest = live.store.latest("machine_readings", "machine_id", ["current", "state"])
    assert latest.loc[0, "current"] == 12.25
    assert latest.loc[0, "time"] == pd.Timestamp("2026-01-05 09:00:00", tz="UTC")


def test_heartbeats_are_written_with_their_payload(live: Live) -> None:
    body = {
        "heartbeats": [
            {"sensor_id": "S01", "time": iso(NOW), "payload": {"battery": 81}},
            {"sensor_id": "S02", "time": iso(NOW)},
        ]
    }
    response = live.post("heartbeats", body)
    assert response.status_code == 201, response.json
    assert response.json["written"] == {"heartbeats": 2}
    latest = live.store.latest("heartbeats", "sensor_id", ["payload"]).set_index("sensor_id")
    assert json.loads(latest.loc["S01", "payload"]) == {"battery": 81}
    assert pd.isna(latest.loc["S02", "payload"])
    assert [c for c, _ in live.published(2)] == ["sensor:S01", "sensor:S02"]


@pytest.mark.parametrize(
    ("item", "field", "says"),
    [
        (machine(current="40"), "readings[1].current", "number"),
        (machine(current=True), "readings[1].current", "number"),
        (machine(current=-1), "readings[1].current", "from 0"),
        (machine(voltage=1e9), "readings[1].voltage", "100000"),
        (machine(state="running"), "readings[1].state", "off, idle, production"),
        (machine(machine_id="M9"), "readings[1].machine_id", "unknown machine 'M9'"),
        (machine(machine_id=7), "readings[1].machine_id", "text"),
        (machine(machine_id="x" * 65), "readings[1].machine_id", "1 to 64"),
        (machine(time="yesterday"), "readings[1].time", "ISO 8601"),
        (machine(time="2026-01-05T10:00:00"), "readings[1].time", "UTC offset"),
        (machine(time=1731801715542), "readings[1].time", "ISO 8601"),
        (machine(time=iso(NOW + timedelta(hours=1))), "readings[1].time", "from now"),
        (machine(time="1999-12-31T23:00:00Z"), "readings[1].time", "2000-01-01"),
        (machine(colour="red"), "readings[1].colour", "unknown field"),
        ({"machine_id": "M1", "time": iso(NOW)}, "readings[1]", "no value"),
        ({"time": iso(NOW), "current": 1}, "readings[1]", "exactly one of"),
        ({**machine(), "battery_id": "B1"}, "readings[1]", "exactly one of"),
        (battery(state_of_charge=101), "readings[1].state_of_charge", "0 to 100"),
        (battery(temperature=-80), "readings[1].temperature", "-60 to 150"),
        (battery(battery_id="M1"), "readings[1].battery_id", "unknown battery"),
        ("M1,40", "readings[1]", "JSON object"),
        (None, "readings[1]", "JSON object"),
    ],
)
def test_a_bad_reading_fails_the_whole_batch_and_names_its_field(
    live: Live, item: object, field: str, says: str
) -> None:
    response = live.post("readings", {"readings": [machine(0), item, machine(2)]})
    assert response.status_code == 400
    error = response.json["error"]
    assert error["code"] == 400
    assert "nothing was written" in error["message"]
    assert field in error["fields"], error
    assert says in error["fields"][field]
    assert count(live.store, "machine_readings") == 0
    assert live.published() == []


def test_every_bad_field_is_named(live: Live) -> None:
    items = [machine(k, current=-k - 1) for k in range(3)] + [machine(3, state="on")]
    error = live.post("readings", {"readings": items}).json["error"]
    assert set(error["fields"]) == {
        "readings[0].current",
        "readings[1].current",
        "readings[2].current",
        "readings[3].state",
    }
    assert error["message"].startswith("4 of 4 readings are invalid")


def test_a_batch_with_thousands_of_errors_lists_the_first_hundred(live: Live) -> None:
    items = [machine(k, current=-1, time=iso(NOW - timedelta(seconds=k))) for k in range(500)]
    error = live.post("readings", {"readings": items}).json["error"]
    assert len(error["fields"]) == 100
    assert "500 of 500 readings are invalid" in error["message"]
    assert "100 listed" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ([machine()], "body"),
        ({"readings": machine()}, "readings"),
        ({"readings": []}, "readings"),
        ({}, "readings"),
        ({"readings": [machine()], "extra": 1}, "extra"),
    ],
)
def test_a_malformed_body_is_refused(live: Live, body: object, field: str) -> None:
    response = live.post("readings", body)
    assert response.status_code == 400
    assert field in response.json["error"]["fields"]


def test_not_json_is_refused_with_a_json_error(live: Live) -> None:
    for data, kind in (("{not json", "application/json"), ('{"readings": []}', "text/plain")):
        response = live.client.post("/api/v1/readings", data=data, content_type=kind)
        assert response.status_code == 400
        assert set(response.json["error"]) == {"code", "message", "fields"}


def test_nan_is_not_a_number_here(live: Live) -> None:
    data = json.dumps({"readings": [machine(current=0.5)]}).replace(": 0.5", ": NaN")
    response = live.client.post("/api/v1/readings", data=data, content_type="application/json")
    assert response.status_code == 400
    assert "readings[0].current" in response.json["error"]["fields"]


def test_more_than_ten_thousand_readings_is_too_large(live: Live) -> None:
    items = [machine(0)] * (MAX_BATCH + 1)
    response = live.post("readings", {"readings": items})
    assert response.status_code == 413
    assert "at most 10,000" in response.json["error"]["message"]
    assert count(live.store, "machine_readings") == 0


def test_a_huge_body_is_refused_before_it_is_parsed(live: Live) -> None:
    data = '{"readings": ["' + "x" * (9 * 1024 * 1024) + '"]}'
    response = live.client.post("/api/v1/readings", data=data, content_type="application/json")
    assert response.status_code == 413
    assert response.json["error"]["code"] == 413


def test_ten_thousand_readings_are_one_batch(live: Live) -> None:
    items = [
        {**machine(0), "machine_id": "M1M2"[2 * (k % 2) : 2 * (k % 2) + 2],
         "time": iso(NOW - timedelta(seconds=MAX_BATCH - k))}
        for k in range(MAX_BATCH)
    ]  # fmt: skip
    response = live.post("readings", {"readings": items})
    assert response.status_code == 201, response.json
    assert response.json["written"] == {"machine_readings": MAX_BATCH}
    assert count(live.store, "machine_readings") == MAX_BATCH


def test_a_new_machine_is_accepted_at_once(live: Live) -> None:
    assert live.post("readings", {"readings": [machine()]}).status_code == 201
    live.store.write("machines", pd.DataFrame({"machine_id": ["M7"], "name": ["New press"]}))
    response = live.post("readings", {"readings": [machine(1, machine_id="M7")]})
    assert response.status_code == 201, response.json


def test_bad_heartbeats_write_nothing(live: Live) -> None:
    body = {
        "heartbeats": [
            {"sensor_id": "S01", "time": iso(NOW)},
            {"sensor_id": "S99", "time": iso(NOW), "payload": {"x": "y" * 5000}},
        ]
    }
    response = live.post("heartbeats", body)
    assert response.status_code == 400
    fields = response.json["error"]["fields"]
    assert "unknown sensor 'S99'" in fields["heartbeats[1].sensor_id"]
    assert "4,096" in fields["heartbeats[1].payload"]
    assert live.store.time_range("heartbeats") is None


def test_unknown_routes_and_methods_answer_in_the_error_shape(live: Live) -> None:
    assert live.client.get("/api/v1/readings").status_code == 405
    missing = live.client.get("/api/v1/nothing")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == 404


def test_a_bearer_token_is_accepted_while_auth_is_off(live: Live) -> None:
    response = live.post(
        "readings", {"readings": [machine()]}, headers={"Authorization": "Bearer anything"}
    )
    assert response.status_code == 201


def test_ingest_reads_back_on_every_backend(store: Store, tmp_path: Path) -> None:
    add_entities(store)
    app = create_app(make_config(tmp_path), store, InProcessHub())
    client = app.server.test_client()
    items = [machine(k) for k in range(20)] + [battery(k) for k in range(4)]
    response = client.post("/api/v1/readings", json={"readings": items})
    assert response.status_code == 201, response.json
    assert count(store, "machine_readings") == 20
    assert count(store, "battery_readings") == 4
    bad = client.post("/api/v1/readings", json={"readings": [machine(30, current="x")]})
    assert bad.status_code == 400
    assert count(store, "machine_readings") == 20
