"""The websocket protocols' pure parts: parsing each request, rendering each frame."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import pytest
from wsproto import ConnectionType
from wsproto.connection import Connection as WSProtoConnection
from wsproto.events import TextMessage

from data.labels import KEEP
from errors import InvalidInput
from live import battery_feed, explore_requests, geom_requests, machine_feed
from live.channel_requests import parse_channels
from live.connection import text_frame, to_json
from live.hub import Message, encode
from live.routes import parse_message, update_frame


@pytest.mark.parametrize("size", [0, 1, 125, 126, 65_535, 65_536, 200_000])
def test_a_prepared_frame_is_what_wsproto_would_send(size: int) -> None:
    text = "é" * (size // 2) + "x" * (size % 2)
    server = WSProtoConnection(ConnectionType.SERVER)
    assert text_frame(text) == server.send(TextMessage(data=text))


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), ("true", True), ("False", False)]
)
def test_verify_anomaly_arrives_as_a_bool_or_seed_000s_strings(value: object, expected: bool):
    parsed = explore_requests.parse_save(
        {"request": "save", "anomaly_id": "a1", "verify_anomaly": value}
    )
    assert parsed.verified is expected and parsed.anomaly_type is KEEP


def test_a_save_of_a_type_keeps_the_verdict() -> None:
    parsed = explore_requests.parse_save({"anomaly_id": "a1", "anomaly_type": "sensor drift"})
    assert parsed.verified is KEEP and parsed.anomaly_type == "sensor drift"


@pytest.mark.parametrize(
    "message",
    [
        {"anomaly_id": "a1"},
        {"anomaly_id": "a1", "verify_anomaly": "yes"},
        {"anomaly_id": "a1", "verify_anomaly": 1},
        {"anomaly_id": "", "verify_anomaly": True},
        {"anomaly_id": 5, "verify_anomaly": True},
        {"anomaly_id": "a1", "anomaly_type": ""},
        {"anomaly_id": "a1", "anomaly_type": "x" * 201},
    ],
)
def test_bad_saves_are_refused(message: dict) -> None:
    with pytest.raises(InvalidInput):
        explore_requests.parse_save(message)


def test_data_requests_take_columns_as_a_list_or_text() -> None:
    as_text = explore_requests.parse_data({"table": "t", "columns": "a, b", "scale": "false"})
    assert as_text.columns == ["a", "b"] and as_text.scale is False
    assert explore_requests.parse_data({"table": "t", "columns": ["a"]}).columns == ["a"]
    for bad in ({"table": "t", "max_points": 3}, {"table": "t", "max_points": True}, {}):
        with pytest.raises(InvalidInput):
            explore_requests.parse_data(bad)


def test_geoms_and_coordinates_requests() -> None:
    assert geom_requests.parse_geoms({"environment_id": "E1", "date": "2026-01-05"}) == (
        "E1",
        date(2026, 1, 5),
    )
    request = geom_requests.parse_coordinates(
        {"sample_id": "S", "device_id": "D", "from": "2026-01-05T10:00:00"}
    )
    assert request.start == datetime(2026, 1, 5, 10, tzinfo=UTC)
    for bad in ({"environment_id": "E1", "date": "05/01/2026"}, {"date": "2026-01-05"}, []):
        with pytest.raises(InvalidInput):
            geom_requests.parse_geoms(bad)
    assert geom_requests.parse_auth({"Authorization": "Bearer t0k"}) == "t0k"
    assert geom_requests.parse_auth({}) is None


def test_channels_are_one_name_or_a_list() -> None:
    assert parse_channels("machine:M1") == ["machine:M1"]
    assert parse_channels(["battery:*", "battery:*"]) == ["battery:*"]
    for bad in ([], ["x"] * 101, 7, ["machine:"]):
        with pytest.raises(InvalidInput):
            parse_channels(bad)


@pytest.mark.parametrize("text", ["[]", "1", '"s"', "{", "null"])
def test_a_message_is_one_json_object(text: str) -> None:
    with pytest.raises(InvalidInput):
        parse_message(text)


def _message(channel: str, data: dict) -> Message:
    return Message(channel, json.loads(encode(data)), encode(data))


def test_feed_frames() -> None:
    reading = {"battery_id": "B1", "time": 1_700_000_000_000.0, "voltage": 760.5,
               "current": -3.0, "ingested": 1_700_000_000_005.0}  # fmt: skip
    update = json.loads(battery_feed.update(_message("battery:B1", reading), 1_700_000_000_012.0))
    assert update == {
        "battery:B1:data": {
            "timestamp": 1_700_000_000_000, "voltage": 760.5, "current": -3.0,
            "temperature": None, "state_of_charge": None, "state_of_health": None,
            "latency_ms": 7.0,
        }
    }  # fmt: skip
    machine = {"machine_id": "M1", "time": 1_700_000_000_000.0, "current": 3.5, "state": "idle"}
    (row,) = json.loads(machine_feed.update(_message("machine:M1", machine)))["live_recent"]
    assert row["created_at"] == "2023-11-14T22:13:20Z" and row["machine_state"] == "idle"
    frame = update_frame(_message("machine:M1", machine))
    assert json.loads(frame[2:]) == {"channel": "machine:M1", "data": machine}


def test_nan_goes_out_as_null() -> None:
    assert to_json({"v": float("nan"), "w": [1.0, float("inf")]}) == '{"v":null,"w":[1.0,null]}'
