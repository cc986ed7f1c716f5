"""Page state in the address bar: a link a colleague opens shows the same view."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from dash import Input, Output, clientside_callback


def query_string(state: Mapping[str, object]) -> str:
    """Query string of the non-empty values; lists become comma-separated."""
    pairs = {}
    for key, value in state.items():
        if value is None or value == "" or value == []:
            continue
        pairs[key] = ",".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
    return urlencode(pairs)


def split_list(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


def url_sync(prefix: str) -> str:
    """Id of a dcc.Store whose string value the browser copies into the address bar.

    Call once per page module; put `dcc.Store(id=...)` with that id in the layout.
    """
    store_id = f"{prefix}-query"
    clientside_callback(
        "function (q) { return window.dash_clientside.vigil.replaceQuery(q); }",
        Output(store_id, "clear_data"),
        Input(store_id, "data"),
        prevent_initial_call=True,
    )
    return store_id
