"""Which Dash callbacks write, and the role each needs: checked in one Flask hook.

Every callback arrives as a POST to /_dash-update-component naming its inputs
(and outputs). A request whose inputs include one of `WRITES`' components, or
that touches a component whose id starts with one of `PREFIXES`, needs that
rule's role; every other callback only reads and any logged-in user may run
it. A page that adds a write button adds one line here (and its callback
still calls `require(role)` itself, so a forgotten line is caught there too).
Pattern-matching ids are named by their "type".
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from auth import ROLES, Role


@dataclass(frozen=True)
class Rule:
    role: Role
    #: The audit log's name for the action.
    action: str


WRITES: dict[str, Rule] = {
    "anomalies-save": Rule("labeller", "label-save"),
    "anomalies-save-next": Rule("labeller", "label-save"),
    "anomalies-undo": Rule("labeller", "label-undo"),
    "label-drafts-retry": Rule("labeller", "label-save"),
    "mark-create": Rule("labeller", "anomaly-mark"),
    "machine-remark-add": Rule("labeller", "remark-add"),
    "editor-save": Rule("admin", "record-save"),
    "editor-delete": Rule("admin", "record-delete"),
    "detect-run": Rule("admin", "detection-run"),
}
#: Whole pages for one role: any input or output id with this prefix.
PREFIXES: dict[str, Rule] = {"admin-": Rule("admin", "admin")}


def _ids(items: Any) -> Iterator[str]:
    """Component ids of a request's inputs or outputs (lists nest for ALL patterns)."""
    if isinstance(items, list):
        for item in items:
            yield from _ids(item)
    elif isinstance(items, dict):
        found = _name(items.get("id"))
        if found:
            yield found


def _name(value: Any) -> str | None:
    """An id, a pattern id's "type" (sent as an object, or as its JSON text)."""
    if isinstance(value, str) and value.startswith("{"):
        try:
            value = json.loads(value)
        except ValueError:
            return value
    if isinstance(value, dict):
        value = value.get("type")
    return value if isinstance(value, str) else None


def _output_ids(body: dict[str, Any]) -> Iterator[str]:
    yield from _ids(body.get("outputs"))
    output = body.get("output")
    if isinstance(output, str):
        for part in output.strip(".").split("..."):
            if name := _name(part.rsplit(".", 1)[0]):
                yield name


def rule_for(body: Any) -> Rule | None:
    """The strictest rule a callback request falls under; None for a read."""
    if not isinstance(body, dict):
        return None
    found: list[Rule] = []
    inputs = list(_ids(body.get("inputs")))
    found += [WRITES[i] for i in inputs if i in WRITES]
    for name in [*inputs, *_ids(body.get("state")), *_output_ids(body)]:
        found += [rule for prefix, rule in PREFIXES.items() if name.startswith(prefix)]
    return max(found, key=lambda r: ROLES.index(r.role), default=None)
