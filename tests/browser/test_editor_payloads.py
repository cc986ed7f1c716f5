"""Crafted requests to the record editor's callback, sent straight to the running server.

Whatever a request names (a table no page edits, a column the table lacks, a
value of the wrong type, a huge one) it gets a readable message in the form,
never a server error, and nothing is written.
"""

from __future__ import annotations

import json
import urllib.request
from typing import Any

import pytest

from tests.browser.test_callback_payloads import post_json

FIELDS = ["type", "range", "standard_current", "standard_voltage", "element_description"]


def pid(kind: str, table: str, **more: Any) -> dict[str, Any]:
    return {"type": f"editor-{kind}", "table": table, **more}


def dom_id(kind: str, table: str, **more: Any) -> str:
    return json.dumps(pid(kind, table, **more), sort_keys=True, separators=(",", ":"))


def body(
    table: str, button: str, values: dict[str, Any], editing: str | None = None, key: str = ""
) -> dict:
    """The request the browser sends when `button` of `table`'s form is pressed (for
    "edit", the Edit button of the row `key`)."""
    outputs = [
        [{"id": pid("field", table, field=f), "property": "value"} for f in values],
        [{"id": pid("field", table, field=f), "property": "disabled"} for f in values],
        [],
        {"id": pid("key", table), "property": "data"},
        {"id": pid("message", table), "property": "children"},
        {"id": pid("rows", table), "property": "children"},
    ]
    edits = [{"id": pid("edit", table, key=key), "property": "n_clicks", "value": 1}] if key else []
    inputs = [edits] + [
        {"id": pid(kind, table), "property": "n_clicks", "value": 1 if kind == button else None}
        for kind in ("new", "save", "delete")
    ]
    state = [
        [
            {
                "id": pid("field", table, field=f),
                "property": "id",
                "value": pid("field", table, field=f),
            }
            for f in values
        ],
        [
            {"id": pid("field", table, field=f), "property": "value", "value": v}
            for f, v in values.items()
        ],
        [],
        [],
        {"id": pid("key", table), "property": "data", "value": editing},
    ]
    pressed = dom_id("edit", table, key=key) if key else dom_id(button, table)
    return {
        "output": EDITOR_OUTPUT,
        "outputs": outputs,
        "inputs": inputs,
        "state": state,
        "changedPropIds": [f"{pressed}.n_clicks"],
    }


#: The editor callback's output string, as /_dash-dependencies names it.
EDITOR_OUTPUT = (
    '..{"field":["ALL"],"table":["MATCH"],"type":"editor-field"}.value...'
    '{"field":["ALL"],"table":["MATCH"],"type":"editor-field"}.disabled...'
    '{"field":["ALL"],"table":["MATCH"],"type":"editor-choice"}.value...'
    '{"table":["MATCH"],"type":"editor-key"}.data...'
    '{"table":["MATCH"],"type":"editor-message"}.children...'
    '{"table":["MATCH"],"type":"editor-rows"}.children..'
)


def send(server_url: str, request: dict) -> str:
    """The form's message after the request, as text."""
    status, answer = post_json(server_url + "/_dash-update-component", request)
    assert status == 200
    (message,) = [
        v for k, v in answer["response"].items() if json.loads(k)["type"] == "editor-message"
    ]
    return json.dumps(message["children"])


def missing(server_url: str, key: str) -> bool:
    """Pressing Edit on the row `key` says it is not there."""
    answer = send(server_url, body("element_types", "edit", {}, key=key))
    return f"element type '{key}' is gone" in answer


GOOD = {
    "type": "crafted",
    "range": None,
    "standard_current": 10.0,
    "standard_voltage": 400.0,
    "element_description": None,
}


@pytest.mark.parametrize(
    ("values", "said"),
    [
        ({**GOOD, "colour": "red"}, "unknown column 'colour' in table 'element_types'"),
        ({**GOOD, "standard_current": ["10"]}, "takes a number"),
        ({**GOOD, "standard_current": "ten"}, "takes a number, got 'ten'"),
        ({**GOOD, "standard_voltage": {"$gt": 0}}, "takes a number"),
        ({**GOOD, "type": "x" * 65}, "holds at most 64 characters, got 65"),
        ({**GOOD, "element_description": "x" * 200_000}, "holds at most 100,000 characters"),
        ({**GOOD, "type": "crafted'; DROP TABLE machines; --"}, ""),
    ],
)
def test_crafted_rows_are_refused_with_a_message(
    server_url: str, values: dict[str, Any], said: str
) -> None:
    message = send(server_url, body("element_types", "save", values))
    if said:
        assert said in message and "vigil-error" in message
        assert missing(server_url, values["type"][:64])
    else:  # a strange key is only a value: stored as it is, found by it, removed
        assert "Saved element type" in message
        assert "Deleted" in send(server_url, body("element_types", "delete", {}, values["type"]))
        assert missing(server_url, values["type"])


def test_the_dependencies_name_the_editor_as_here(server_url: str) -> None:
    with urllib.request.urlopen(server_url + "/_dash-dependencies", timeout=30) as response:
        deps = json.loads(response.read())
    assert EDITOR_OUTPUT in [d["output"] for d in deps]


def test_a_table_no_page_edits_is_refused(server_url: str) -> None:
    message = send(server_url, body("anomalies", "save", {"id": "x", "table_name": "y"}))
    assert "table 'anomalies' is not edited here" in message
    message = send(server_url, body("anomaly_feedback", "delete", {}, "x"))
    assert "not edited here" in message
