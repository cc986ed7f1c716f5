"""Fuzzing the live surfaces with hypothesis: random JSON to /ws and to the ingest API,
a bounded number of examples each, then the server must still answer correctly.

Every /ws frame gets exactly one JSON object back (a reply or an error) and the
socket stays open; every ingest request gets 201 or a 4xx in the one error
shape, never a 500; and afterwards real requests work as before.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.test_websockets import Client, Server

EXAMPLES = 150
NAMES = [
    *("request", "subscribe", "unsubscribe", "ping", "auth", "getGeoms", "getCoordinates"),
    *("table", "columns", "anomaly_id", "verify_anomaly", "anomaly_type", "readings"),
    *("heartbeats", "machine_id", "battery_id", "sensor_id", "time", "current", "voltage"),
    *("state", "payload", "environment_id", "date", "sample_id", "device_id", "from"),
]
VALUES = [
    *("connection", "tables", "columns", "anomalies", "data", "save", "machine_readings"),
    *("machine:M1", "battery:*", "sensor:S01", "M1", "B1", "S01", "E1", "2026-01-05"),
    *("2026-01-05T10:00:00Z", "true", "Bearer x", "sim-9-1"),
]

scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=30)
    | st.sampled_from(VALUES)
)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=5)
        | st.dictionaries(st.sampled_from(NAMES) | st.text(max_size=10), inner, max_size=5)
    ),
    max_leaves=20,
)
#: Messages shaped like the real ones, so the fuzz gets past the first checks.
requests = st.one_of(
    documents,
    st.fixed_dictionaries(
        {"request": st.sampled_from(VALUES) | scalars},
        optional={k: documents for k in NAMES if k != "request"},
    ),
    st.dictionaries(st.sampled_from(NAMES), documents, min_size=1, max_size=1),
)
bodies = st.one_of(
    documents,
    st.fixed_dictionaries({"readings": st.lists(st.dictionaries(st.sampled_from(NAMES),
                                                                documents), max_size=4)}),
    st.fixed_dictionaries({"heartbeats": st.lists(st.dictionaries(st.sampled_from(NAMES),
                                                                  documents), max_size=4)}),
)  # fmt: skip
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    made = Server(tmp_path_factory.mktemp("fuzz"))
    yield made
    made.close()


@pytest.fixture(scope="module")
def socket(server: Server) -> Iterator[Client]:
    made = server.connect()
    yield made
    made.close()


@FUZZ
@given(message=requests)
def test_every_frame_gets_one_json_object_back(socket: Client, message: Any) -> None:
    if isinstance(message, dict) and ("subscribe" in message or "unsubscribe" in message):
        message = {"ping": message}  # live updates would interleave with the replies
    reply = socket.ask(json.dumps(message))
    assert isinstance(reply, dict) and reply
    if "error" in reply:
        error = reply["error"]
        assert isinstance(error["message"], str) and error["message"]
        assert error["code"] in (400, 401, 403, 404, 413, 503, 4401), reply


@FUZZ
@given(channels=documents)
def test_subscriptions_never_break_the_socket(server: Server, channels: Any) -> None:
    client = server.connect()
    reply = client.ask({"subscribe": channels})
    assert "subscribed" in reply or reply["error"]["code"] in (400, 404)
    assert client.ask({"ping": 1}) == {"pong": 1}
    client.close()


def _post(server: Server, path: str, data: bytes) -> tuple[int, Any]:
    request = urllib.request.Request(
        server.url.replace("ws://", "http://") + path,
        data=data,
        headers={"Content-Type": "application/json"},
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


@FUZZ
@given(path=st.sampled_from(["/api/v1/readings", "/api/v1/heartbeats"]), body=bodies)
def test_the_ingest_api_answers_201_or_a_clear_4xx(server: Server, path: str, body: Any) -> None:
    status, answer = _post(server, path, json.dumps(body).encode())
    assert status == 201 or 400 <= status < 500, (status, answer)
    if status != 201:
        assert set(answer["error"]) == {"code", "message", "fields"}


@FUZZ
@given(data=st.binary(max_size=200))
def test_bytes_that_are_not_json_are_refused(server: Server, data: bytes) -> None:
    status, answer = _post(server, "/api/v1/readings", data)
    assert status in (400, 413) or status == 201, (status, answer)


def test_after_the_fuzz_everything_still_works(server: Server, socket: Client) -> None:
    assert socket.ask({"ping": "still"}) == {"pong": "still"}
    assert socket.ask({"request": "connection"})["data"] == "Connected"
    fresh = server.connect()
    fresh.ask({"subscribe": ["machine:M5"]})
    now = datetime.now(UTC).isoformat()
    assert server.ingest([{"machine_id": "M5", "time": now, "current": 5.5}])["published"] == 1
    update = fresh.next()
    assert update["channel"] == "machine:M5" and update["data"]["current"] == 5.5
    data = fresh.ask({"request": "data", "table": "battery_readings", "max_points": 100})
    assert data["data"]["series"]
    fresh.close()
