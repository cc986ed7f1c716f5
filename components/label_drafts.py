"""Labels the store has not confirmed yet, kept in the browser until it has.

An analyst's unsaved edits and the saves that failed (store down) live in the
browser's local storage (`DRAFTS`, in the outer layout, so they survive a
reload and a change of page). Every few seconds the server is asked to store
the pending ones again, each with the idempotency key of its first try, so a
save that did land but whose answer was lost is not stored twice.

Only the browser changes the drafts (assets/labels.js), one callback at a
time: server callbacks answer with results, which the browser applies to the
drafts as they stand then, so an edit made while a retry runs is never lost.
"""

from __future__ import annotations

from typing import Any

import dash_bootstrap_components as dbc
from dash import (
    ClientsideFunction,
    Input,
    Output,
    State,
    callback,
    clientside_callback,
    dcc,
    html,
    no_update,
)

from auth import require
from context import runtime
from data.labels import save_label
from errors import Unavailable, VigilError

DRAFTS = "label-drafts"
RETRY = "label-drafts-retry"
RETRIED = "label-drafts-retried"
PENDING_BADGE = "label-drafts-pending"
RETRY_SECONDS = 5


def drafts_frame() -> html.Div:
    """The app-wide pieces: the drafts, the retry timer, what the last retry did."""
    return html.Div(
        [
            dcc.Store(id=DRAFTS, storage_type="local", data={}),
            dcc.Store(id=RETRIED),
            dcc.Interval(id=RETRY, interval=RETRY_SECONDS * 1000, disabled=True),
        ]
    )


def pending_badge() -> dbc.Badge:
    """Shown in the navbar while labels wait for the store."""
    return dbc.Badge(
        "", id=PENDING_BADGE, color="warning", className="ms-2 d-none", title="", pill=True
    )


def retry_pending(drafts: dict[str, Any] | None) -> dict[str, Any]:
    """Store every pending draft again; {"saved": [[id, key]], "refused": [[id, key,
    message]], "waiting": n, "message": ...}. Stops at the first Unavailable: the
    store is still down, the rest wait for the next round."""
    pending = {k: d for k, d in (drafts or {}).items() if isinstance(d, dict) and d.get("pending")}
    saved: list[list[str]] = []
    refused: list[list[str]] = []
    message = ""
    for anomaly_id, draft in pending.items():
        try:
            user = require("labeller")
            save_label(
                runtime().store,
                anomaly_id,
                author=user.name,
                idempotency_key=str(draft.get("key")),
                verified=draft.get("verified"),
                anomaly_type=draft.get("anomaly_type"),
                comment=draft.get("comment"),
            )
            saved.append([anomaly_id, draft.get("key")])
        except Unavailable as exc:
            message = exc.message
            break
        except VigilError as exc:  # refused for good: retrying cannot help, say why
            refused.append([anomaly_id, draft.get("key"), exc.message])
    waiting = len(pending) - len(saved) - len(refused)
    return {"saved": saved, "refused": refused, "waiting": waiting, "message": message}


@callback(
    Output(RETRIED, "data"),
    Input(RETRY, "n_intervals"),
    State(DRAFTS, "data"),
    prevent_initial_call=True,
)
def on_retry(_: int, drafts: dict[str, Any] | None) -> Any:
    result = retry_pending(drafts)
    if not (result["saved"] or result["refused"] or result["waiting"]):
        return no_update
    return result


clientside_callback(
    ClientsideFunction("vigilLabels", "applyRetry"),
    Output(DRAFTS, "data", allow_duplicate=True),
    Input(RETRIED, "data"),
    State(DRAFTS, "data"),
    prevent_initial_call=True,
)

clientside_callback(
    ClientsideFunction("vigilLabels", "pendingState"),
    Output(RETRY, "disabled"),
    Output(PENDING_BADGE, "children"),
    Output(PENDING_BADGE, "className"),
    Output(PENDING_BADGE, "title"),
    Input(DRAFTS, "data"),
)
