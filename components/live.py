"""A live feed on a page: Hub channels in, batches of updates out, polling as a fallback.

    live_feed("machines-live", ["machine:*"], flush_ms=250)

renders three things the browser client (assets/vigil_live.js) drives:

- `dcc.Store(id)`: its `data` is `{"seq": N, "messages": [...], "reconnected": bool}`,
  set by the client at most every `flush_ms`. Each message is
  `{"seq": n, "channel": "machine:M1", "data": {...the reading...}}` (the data
  as ingested: the entity id, `time` and `ingested` in epoch ms, the values);
  the latest 500 are kept, so a callback that remembers the last `seq` it
  applied never misses one, even when Dash merges several flushes into one
  call. `reconnected` says updates may have been missed while the socket was
  down: re-read from the store.
- `dcc.Interval(f"{id}-fallback")`: disabled while the websocket is open,
  enabled (every `poll_ms`) while it cannot be opened (a proxy that blocks
  websockets, a server restarting): then re-read from the store on
  `n_intervals`.
- `f"{id}-status"`: a small badge saying live, reconnecting or polling.

A page plugs in with a few lines:

    layout: [..., live_feed("batteries-live", ["battery:*"])]

    @callback(Output("batteries-cards", "children"),
              Input("batteries-live", "data"),
              Input("batteries-live-fallback", "n_intervals"),
              prevent_initial_call=True)
    def refresh(batch, _n): ...  # re-read latest values, or extend from batch["messages"]

To extend graphs without a server round trip, `follow_graphs` registers a
clientside callback (assets/vigil_live.js `extend`) that sends `extendData`
for the readings of one channel newer than what the server last drew; the
layout carries `graph_base(...)` saying what that was.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import dash_bootstrap_components as dbc
from dash import ClientsideFunction, Input, Output, State, clientside_callback, dcc, html

from live.hub import CHANNEL, check_channel


def live_feed(
    id: str, channels: Sequence[str], flush_ms: int = 250, poll_ms: int = 5_000
) -> html.Div:
    """The feed's Store, fallback Interval and status badge, for `channels`."""
    for name in channels:
        check_channel(name)
    return html.Div(
        [
            dcc.Store(id=id),
            dcc.Interval(id=f"{id}-fallback", interval=poll_ms, disabled=True),
            dbc.Badge("connecting", id=f"{id}-status", color="light", text_color="secondary"),
        ],
        className="vigil-live d-inline-block",
        **{
            "data-vigil-live": id,
            "data-channels": json.dumps(list(channels)),
            "data-flush-ms": str(flush_ms),
        },
    )


def entity_channel(kind: str, entity_id: str | None) -> str:
    """The channel of one machine, battery or sensor; the kind's wildcard for none, or
    for an id no channel can name (the hub's channels allow letters, digits, `_.-`):
    a page then follows every entity of the kind and filters."""
    name = f"{kind}:{entity_id}"
    return name if entity_id and CHANNEL.match(name) else f"{kind}:*"


def reconnected(batch: Any) -> bool:
    """Whether a feed's batch says updates may have been missed (re-read the store);
    anything but a batch (a crafted request) says no."""
    return isinstance(batch, dict) and batch.get("reconnected") is True


def readings(batch: Any, channel: str) -> list[dict[str, Any]]:
    """The readings a batch brought on `channel`, oldest first; anything malformed
    (a crafted request) is left out."""
    messages = batch.get("messages") if isinstance(batch, dict) else None
    found = [
        m["data"]
        for m in (messages if isinstance(messages, list) else [])
        if isinstance(m, dict) and m.get("channel") == channel and isinstance(m.get("data"), dict)
    ]
    return [d for d in found if isinstance(d.get("time"), int | float)]


def graph_base(
    id: str, channel: str, columns: Sequence[str], after: datetime | None, keep: int
) -> dict[str, object]:
    """What the server drew, for `follow_graphs`: the `channel`'s readings of `columns`
    up to `after` (None: the graphs show a fixed range and do not follow). Each call
    is a new drawing (its stamp), so the client applies the kept messages again.
    `keep` bounds the points of a trace (older ones are dropped as new ones come)."""
    check_channel(channel)
    return {
        "stamp": f"{id}:{uuid.uuid4().hex}",
        "channel": channel,
        "columns": list(columns),
        "after": after.timestamp() * 1000.0 if after is not None else None,
        "keep": keep,
    }


def following_figure(figure: dict[str, Any]) -> dict[str, Any]:
    """The figure with a time axis that grows with the points the feed adds (the
    user's zoom still kept by `uirevision`), and a trace to add them to when there
    was nothing to draw yet."""
    axis = {k: v for k, v in figure["layout"].get("xaxis", {}).items() if k != "range"}
    layout = {**figure["layout"], "xaxis": {**axis, "type": "date", "autorange": True}}
    data = figure["data"] or [{"type": "scatter", "mode": "lines", "x": [], "y": []}]
    return {**figure, "data": data, "layout": layout}


def follow_graphs(feed: str, base: str, graphs: Sequence[str]) -> None:
    """Extend `graphs` (the first trace of each, one per column of the base, in order)
    with the feed's readings, in the browser. The layout needs `dcc.Store(base)`
    holding a `graph_base(...)` and `dcc.Store(f"{base}-applied")`."""
    clientside_callback(
        ClientsideFunction("vigil_live", "extend"),
        *[Output(graph, "extendData") for graph in graphs],
        Output(f"{base}-applied", "data"),
        Input(feed, "data"),
        Input(base, "data"),
        State(f"{base}-applied", "data"),
        prevent_initial_call=True,
    )
