"""components/live.py's helpers for pages that follow a feed: channels, batches, bases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from components.live import entity_channel, graph_base, readings, reconnected
from errors import InvalidInput


def test_an_entity_channel_or_the_kinds_wildcard() -> None:
    assert entity_channel("machine", "M1") == "machine:M1"
    assert entity_channel("battery", None) == "battery:*"
    assert entity_channel("machine", "press 7; drop") == "machine:*"  # no channel names it


def test_readings_of_one_channel_and_nothing_malformed() -> None:
    batch = {
        "seq": 4,
        "reconnected": False,
        "messages": [
            {"seq": 1, "channel": "machine:M1", "data": {"time": 1.0, "current": 3.0}},
            {"seq": 2, "channel": "machine:M2", "data": {"time": 2.0}},
            {"seq": 3, "channel": "machine:M1", "data": "not a reading"},
            {"seq": 4, "channel": "machine:M1", "data": {"time": "noon"}},
            "junk",
        ],
    }
    assert readings(batch, "machine:M1") == [{"time": 1.0, "current": 3.0}]
    for crafted in (None, [], "x", {"messages": "x"}):
        assert readings(crafted, "machine:M1") == []
    assert not reconnected(batch) and reconnected({**batch, "reconnected": True})
    assert not reconnected(["reconnected"]) and not reconnected({"reconnected": "yes"})


def test_a_graph_base_names_what_was_drawn_and_each_drawing_is_new() -> None:
    at = datetime(2026, 1, 5, tzinfo=UTC)
    first = graph_base("b", "battery:B1", ["voltage"], at, 100)
    second = graph_base("b", "battery:B1", ["voltage"], at, 100)
    assert first["after"] == at.timestamp() * 1000 and first["columns"] == ["voltage"]
    assert first["stamp"] != second["stamp"]
    assert graph_base("b", "battery:B1", ["voltage"], None, 100)["after"] is None
    with pytest.raises(InvalidInput):
        graph_base("b", "pump:P1", ["voltage"], at, 100)
