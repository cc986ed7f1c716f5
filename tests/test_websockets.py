"""The websocket protocols over real sockets: /ws (seeds 000 and 001, subscriptions),
/ws/batteries (seed 003) and /live_recent_ws (seed 002), against an app serving
one hour of demo data on a threaded server of its own."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect
from werkzeug.serving import make_server

from app import create_app
from data import open_store
from data.demo.load import write_demo
from data.demo.simulator import MIN_DAYS, simulate
from live import connection, routes
from live.hub import InProcessHub
from tests.conftest import make_config

WAIT = 10.0


class Server:
    def __init__(self, tmp: Path) -> None:
        self.store = open_store(make_config(tmp))
        self.frames = simulate(days=MIN_DAYS, seed=3)
        write_demo(self.store, self.frames)
        self.hub = InProcessHub()
        self.app = create_app(make_config(tmp), self.store, self.hub)
        self.http = make_server("127.0.0.1", 0, self.app.server, threaded=True)
        self.url = f"ws://127.0.0.1:{self.http.server_port}"
        self.thread = threading.Thread(target=self.http.serve_forever, daemon=True)
        self.thread.start()

    def connect(self, path: str = "/ws", greeting: bool = True) -> Client:
        client = Client(connect(self.url + path, open_timeout=WAIT, max_size=None, legacy=True))
        if path == "/ws" and greeting:
            assert client.next() == {"status": "Websocket runs"}
            assert client.next() == {"status": "SQLite connected"}
        return client

    def ingest(self, readings: list[dict[str, Any]]) -> dict[str, Any]:
        response = self.app.server.test_client().post(
            "/api/v1/readings", json={"readings": readings}
        )
        assert response.status_code == 201, response.json
        return response.json

    def close(self) -> None:
        self.http.shutdown()
        self.store.close()


class Client:
    def __init__(self, ws: ClientConnection) -> None:
        self.ws = ws

    def next(self) -> Any:
        return json.loads(self.ws.recv(timeout=WAIT))

    def ask(self, message: Any) -> Any:
        self.ws.send(message if isinstance(message, str) else json.dumps(message))
        return self.next()

    def closed_with(self) -> int | None:
        """Read until the server closes; the close code it sent.

        The close frame is what counts: the threaded test server keeps the TCP
        connection open after it (keep-alive), which gunicorn does not.
        """
        deadline = time.monotonic() + WAIT
        while time.monotonic() < deadline:
            try:
                self.ws.recv(timeout=0.2)
            except ConnectionClosed as exc:
                return exc.rcvd.code if exc.rcvd else None  # None: closed without a frame
            except TimeoutError:
                if self.ws.protocol.close_rcvd is not None:
                    return self.ws.protocol.close_rcvd.code
        return None

    def close(self) -> None:
        self.ws.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    made = Server(tmp_path_factory.mktemp("ws"))
    yield made
    made.close()


@pytest.fixture
def client(server: Server) -> Iterator[Client]:
    made = server.connect()
    yield made
    made.close()


def now_iso(seconds_ago: float = 0) -> str:
    return (datetime.now(UTC) - timedelta(seconds=seconds_ago)).isoformat()


# -- seed 000 ------------------------------------------------------------------------
def test_connection_and_catalog(client: Client) -> None:
    assert client.ask({"request": "connection"}) == {"request": "connection", "data": "Connected"}
    tables = client.ask({"request": "tables"})["data"]
    assert {"machine_readings", "battery_readings", "anomalies"} <= set(tables)
    assert "anomaly_feedback" not in tables
    columns = client.ask({"request": "columns", "table": "machine_readings"})["data"]
    assert {"name": "current", "type": "FLOAT", "role": "metric"} in columns


def test_anomalies_carry_the_configured_columns(client: Client, server: Server) -> None:
    found = client.ask({"request": "anomalies"})["data"]
    assert len(found) == len(server.frames["anomalies"])
    assert set(found[0]) == set(server.app.server.extensions["vigil"].config.cols_from_anomaly_tab)
    only = client.ask({"request": "anomalies", "table": "battery_readings", "limit": 1})["data"]
    assert len(only) == 1 and only[0]["table_name"] == "battery_readings"


def test_data_defaults_to_the_initial_columns_and_scales_on_request(client: Client) -> None:
    plain = client.ask({"request": "data", "table": "machine_readings", "max_points": 400})
    data = plain["data"]
    assert data["columns"] == ["current", "voltage"] and data["entity"] == "M1"
    assert data["downsampled"] and data["rows_in_range"] == 3_600
    assert all(len(s["time"]) <= 800 for s in data["series"])
    scaled = client.ask(
        {"request": "data", "table": "machine_readings", "columns": "current", "scale": "true"}
    )["data"]
    values = [v for v in scaled["series"][0]["values"] if v is not None]
    assert scaled["scaled"] and abs(sum(values) / len(values)) < 0.5


@pytest.mark.parametrize(
    ("message", "field"),
    [
        ({"request": "data"}, "table"),
        ({"request": "data", "table": "machine_readings", "columns": [1]}, "columns"),
        ({"request": "data", "table": "machine_readings", "max_points": "many"}, "max_points"),
        ({"request": "save", "anomaly_id": "sim-3-1"}, "verify_anomaly"),
        ({"request": "save", "anomaly_id": "sim-3-1", "verify_anomaly": "yes"}, "verify_anomaly"),
        ({"request": "anomalies", "status": "maybe"}, "status"),
        ({"request": "teleport"}, "request"),
        ({"request": 7}, "request"),
    ],
)
def test_bad_requests_get_an_error_and_the_connection_stays(
    client: Client, message: dict, field: str
) -> None:
    error = client.ask(message)["error"]
    assert error["code"] == 400 and field in error["fields"]
    assert client.ask({"ping": 1}) == {"pong": 1}


def test_unknown_names_are_not_found(client: Client) -> None:
    assert client.ask({"request": "columns", "table": "nope"})["error"]["code"] == 404
    missing = client.ask({"request": "data", "table": "machine_readings", "columns": ["nope"]})
    assert "unknown column 'nope'" in missing["error"]["message"]
    label = client.ask({"request": "save", "anomaly_id": "none", "verify_anomaly": True})
    assert label["error"]["code"] == 404 and label["request"] == "save"


def test_save_goes_through_the_label_path(client: Client, server: Server) -> None:
    first = client.ask({"request": "save", "anomaly_id": "sim-3-2", "verify_anomaly": "true"})
    assert first["data"]["verified"] is True and first["data"]["author"] == "analyst"
    typed = client.ask(
        {"request": "save", "anomaly_id": "sim-3-2", "anomaly_type": "bearing wear"}
    )["data"]
    assert typed["verified"] is True and typed["anomaly_type"] == "bearing wear"  # kept
    history = server.store.anomaly("sim-3-2").history
    assert [(e.verified, e.anomaly_type) for e in history[-2:]] == [
        (True, None),
        (True, "bearing wear"),
    ]
    again = {"request": "save", "anomaly_id": "sim-3-3", "verify_anomaly": False}
    again["idempotency_key"] = "retry-1"
    assert client.ask(again)["data"]["event_id"] == client.ask(again)["data"]["event_id"]
    assert server.store.anomaly("sim-3-3").status == "rejected"


# -- seed 001 ------------------------------------------------------------------------
def test_ping_echoes_and_auth_is_granted_while_auth_is_off(client: Client) -> None:
    assert client.ask({"ping": {"test": "data"}}) == {"pong": {"test": "data"}}
    assert client.ask({"auth": {"Authorization": "Bearer abc"}}) == {"authorized": {}}
    assert client.ask({"auth": "token"})["error"]["code"] == 400


def test_geoms_and_coordinates(client: Client, server: Server) -> None:
    sample = server.frames["samples"].iloc[0]
    geoms = client.ask({"getGeoms": {"environment_id": "E1", "date": sample["date"].isoformat()}})[
        "geoms"
    ]
    assert geoms["sample"]["sample_id"] == sample["sample_id"]
    assert [g["geom_id"] for g in geoms["geoms"]] == ["G1", "G2", "G3"]
    start = server.frames["coordinates"]["time"].iloc[100]
    coordinates = client.ask(
        {
            "getCoordinates": {
                "sample_id": sample["sample_id"],
                "device_id": "tag-02",
                "from": start.strftime("%Y-%m-%dT%H:%M:%S"),
            }
        }
    )["coordinates"]
    assert list(coordinates) == ["G2"]
    assert len(coordinates["G2"]) == 25
    assert next(iter(coordinates["G2"])) == str(int(start.timestamp()))
    assert (
        client.ask({"getGeoms": {"environment_id": "E9", "date": "2020-01-01"}})["error"]["code"]
        == 404
    )
    bad = client.ask({"getCoordinates": {"sample_id": "x", "device_id": "y", "from": "noon"}})
    assert "from" in bad["error"]["fields"]


# -- subscriptions -------------------------------------------------------------------
def test_subscribed_readings_arrive_in_order(client: Client, server: Server) -> None:
    assert client.ask({"subscribe": ["machine:M2", "battery:*"]}) == {
        "subscribed": ["battery:*", "machine:M2"]
    }
    readings = [
        {"machine_id": "M2", "time": now_iso(5 - k), "current": float(k)} for k in range(5)
    ] + [{"machine_id": "M3", "time": now_iso(), "current": 1.0}]
    readings.append({"battery_id": "B2", "time": now_iso(), "state_of_charge": 40.0})
    server.ingest(readings)
    got = [client.next() for _ in range(6)]
    assert [m["channel"] for m in got] == ["machine:M2"] * 5 + ["battery:B2"]
    assert [m["data"]["current"] for m in got[:5]] == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert client.ask({"unsubscribe": "battery:*"}) == {"subscribed": ["machine:M2"]}


@pytest.mark.parametrize(
    ("channels", "says"),
    [
        (["machine:M99"], "there is no machine 'M99'"),
        (["pump:P1"], "not a channel"),
        ([], "1 to 100"),
        ({"machine": "M1"}, "1 to 100"),
    ],
)
def test_bad_subscriptions_are_refused(client: Client, channels: Any, says: str) -> None:
    assert says in client.ask({"subscribe": channels})["error"]["message"]
    assert client.ask({"ping": 2}) == {"pong": 2}


# -- bad frames ----------------------------------------------------------------------
@pytest.mark.parametrize("frame", ["{nope", "[1, 2]", '"text"', "null", '{"a": 1, "b": 2}', ""])
def test_malformed_frames_get_an_error(client: Client, frame: str) -> None:
    error = client.ask(frame)["error"]
    assert error["code"] == 400 and error["message"]
    assert client.ask({"request": "connection"})["data"] == "Connected"


def test_a_frame_over_a_megabyte_closes_with_1009(server: Server) -> None:
    client = server.connect()
    client.ws.send("x" * (connection.MAX_FRAME_BYTES + 1))
    assert client.closed_with() == 1009
    again = server.connect()  # the server is unaffected
    assert again.ask({"ping": "ok"}) == {"pong": "ok"}
    again.close()


def test_a_silent_client_is_closed_and_a_pinging_one_is_not(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(routes, "IDLE_SECONDS", 0.6)
    silent, talkative = server.connect(), server.connect()
    for _ in range(4):
        time.sleep(0.3)
        assert talkative.ask({"ping": None}) == {"pong": None}
    assert silent.closed_with() == connection.CLOSE_IDLE
    talkative.close()


def test_a_client_that_falls_too_far_behind_is_closed(
    server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never read: once the socket's buffers are full and the backlog passes its limit
    the server closes it (1013, or abruptly when the close frame cannot get past
    megabytes of unread updates) and serves everyone else as before."""
    monkeypatch.setattr(connection, "MAX_BACKLOG", 20)
    client = server.connect()
    client.ask({"subscribe": "sensor:*"})
    watcher = server.connect()
    watcher.ask({"subscribe": "machine:M1"})
    payload = {"blob": "x" * 30_000}
    for k in range(1_000):  # 30 MB: far more than the socket buffers hold
        server.hub.publish("sensor:S01", {**payload, "k": k})
    # The hub delivers in order: once the watcher has this, the slow client was offered
    # all 1,000 without reading (reading earlier could keep its backlog short)
    server.hub.publish("machine:M1", {"k": "done"})
    assert watcher.next()["data"] == {"k": "done"}
    watcher.close()
    assert client.closed_with() in (connection.CLOSE_BEHIND, None)
    assert client.ws.protocol.state.name in ("CLOSING", "CLOSED")
    other = server.connect()
    assert other.ask({"ping": "still here"}) == {"pong": "still here"}
    other.close()


# -- the feeds -----------------------------------------------------------------------
def test_battery_feed_sends_a_snapshot_then_updates_with_latency(server: Server) -> None:
    feed = server.connect("/ws/batteries")
    snapshot = feed.next()
    assert sorted(snapshot) == [f"battery:B{k}:data" for k in range(1, 5)]
    assert set(snapshot["battery:B1:data"]) == {
        "timestamp", "voltage", "current", "temperature", "state_of_charge", "state_of_health",
    }  # fmt: skip
    server.ingest([{"battery_id": "B3", "time": now_iso(), "voltage": 771.5}])
    update = feed.next()
    assert list(update) == ["battery:B3:data"]
    assert update["battery:B3:data"]["voltage"] == 771.5
    assert 0 <= update["battery:B3:data"]["latency_ms"] < 5_000
    assert "takes no requests" in feed.ask({"request": "tables"})["error"]["message"]
    feed.close()


def test_machine_feed_sends_live_recent_rows(server: Server) -> None:
    feed = server.connect("/live_recent_ws")
    rows = feed.next()["live_recent"]
    assert [r["machine_id"] for r in rows] == [f"M{k}" for k in range(1, 7)]
    assert set(rows[0]) == {
        "machine_id", "current", "voltage", "created_at", "state", "machine_state",
    }  # fmt: skip
    server.ingest([{"machine_id": "M4", "time": now_iso(), "current": 12.5, "state": "idle"}])
    (row,) = feed.next()["live_recent"]
    assert (row["machine_id"], row["current"], row["machine_state"]) == ("M4", 12.5, "idle")
    feed.close()


def test_compression_is_declined(client: Client) -> None:
    """Browsers offer permessage-deflate; updates fan out uncompressed (bench/live.py)."""
    assert "Sec-WebSocket-Extensions" not in client.ws.response.headers
    assert client.ask({"ping": 3}) == {"pong": 3}
