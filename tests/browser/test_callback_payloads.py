"""Crafted callback payloads sent straight to the running server, as an attacker would.

An identifier the catalog does not know must come back as a readable message
in the page, never as a server error, and must change nothing in the store.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest


def post_json(url: str, body: Any) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return response.status, json.loads(response.read() or b"null")


def draw_body(server_url: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body the browser sends for Explore's `draw` callback, with chosen input values."""
    with urllib.request.urlopen(server_url + "/_dash-dependencies", timeout=30) as response:
        deps = json.loads(response.read())
    (dep,) = [d for d in deps if "explore-graph.figure" in d["output"]]
    outputs = [
        dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
        for part in dep["output"].strip(".").split("...")
    ]
    inputs = [{**spec, "value": values.get(spec["id"])} for spec in dep["inputs"]]
    changed = [f"{spec['id']}.{spec['property']}" for spec in dep["inputs"]]
    return {
        "output": dep["output"],
        "outputs": outputs,
        "inputs": inputs,
        "changedPropIds": changed,
        "parsedChangedPropsIds": changed,
    }


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
        server_url + "/_dash-update-component", draw_body(server_url, values)
    )
    assert status == 200
    alert = json.dumps(answer["response"]["explore-message"]["children"])
    assert message in alert
    assert answer["response"]["explore-graph"]["figure"]["data"] == []
    # the store is untouched: a proper request still draws real data
    good = {**values, "explore-table": "machine_readings", "explore-columns": ["current"]}
    status, answer = post_json(server_url + "/_dash-update-component", draw_body(server_url, good))
    assert status == 200 and len(answer["response"]["explore-graph"]["figure"]["data"]) == 1
