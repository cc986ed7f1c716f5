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

To extend a graph without a server round trip, a clientside callback keeps
the last applied `seq` (in a dcc.Store) and sends `extendData` for the
messages after it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

import dash_bootstrap_components as dbc
from dash import dcc, html

from live.hub import check_channel


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
