"""Crafted callback payloads sent straight to the running server, as an attacker would.

An identifier the catalog does not know must come back as a readable message
in the page, never as a server error, and must change nothing in the store.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.browser.helpers import callback_body, post_json


@pytest.mark.parametrize(
    ("table", "columns", "message"),
    [
        ("machine_readings; DROP TABLE anomalies; --", ["current"], "unknown table"),
        ('machine_readings" --', ["current"], "unknown table"),
        ("machine_readings", ["current) FROM anomalies --"], "unknown column"),
        ("machine_readings", [{"not": "a name"}], "unknown column"),
        ("anomalies", ["score"], "holds no time series"),
    ],
)
def test_crafted_names_get_a_message_not_an_error(
    server_url: str, table: str, columns: list[Any], message: str
) -> None:
    values = {
        "explore-table": table,
        "explore-columns": columns,
        "explore-entity": "M1",
        "explore-start": "",
        "explore-end": "",
        "explore-scale": False,
    }
    status, answer = post_json(
        server_url + "/_dash-update-component",
        callback_body(server_url, "explore-graph.figure", values),
    )
    assert status == 200
    alert = json.dumps(answer["response"]["explore-message"]["children"])
    assert message in alert
    assert answer["response"]["explore-graph"]["figure"]["data"] == []
    # the store is untouched: a proper request still draws real data
    good = {**values, "explore-table": "machine_readings", "explore-columns": ["current"]}
    status, answer = post_json(
        server_url + "/_dash-update-component",
        callback_body(server_url, "explore-graph.figure", good),
    )
    assert status == 200 and len(answer["response"]["explore-graph"]["figure"]["data"]) == 1
