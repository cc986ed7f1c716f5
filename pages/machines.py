"""Machines (seed 002): every machine's live state, current and voltage; the reference data.

The live list is judged against each machine's element type (data/plant.py,
analytics/machine_state.py) and read again by one callback: when readings
arrive on the live feed, on the fallback poll, and on the timer (so a machine
that falls silent shows 'no data'). The other tabs
edit element types, machine records and operator shifts (admins only). The
open tab lives in the URL (`?tab=shifts`).
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, dcc, html

from analytics.machine_state import NO_DATA, Thresholds
from components.alerts import error_alert
from components.formats import ago, measured
from components.live import live_feed
from components.record_editor import Form, FormField, editor, register
from components.refresh import refresh_timer
from components.tables import simple_table
from components.urlstate import query_string, url_sync
from context import runtime
from data import plant
from data.store import Store
from data.times import utc_now
from errors import VigilError
from settings import Config

dash.register_page(__name__, path="/machines", name="Machines", order=3)

QUERY = url_sync("machines")
LIVE = "machines-live"
STATE_COLORS = {
    "production": "success",
    "idle": "warning",
    "off": "secondary",
    NO_DATA: "light",
    "unknown": "info",
}


def _types(store: Store) -> list[str]:
    return [t["type"] for t in store.rows("element_types", order_by=["type"], limit=10_000)]


def _machines(store: Store) -> list[str]:
    return [m["machine_id"] for m in store.rows("machines", order_by=["machine_id"], limit=10_000)]


FORMS = {
    "types": register(
        Form(
            "element_types",
            "element type",
            (
                FormField("type", "Type", placeholder="press"),
                FormField("range", "Range", placeholder="0-63 A"),
                FormField("standard_current", "Standard current (A)", "number", True),
                FormField("standard_voltage", "Standard voltage (V)", "number", True),
                FormField("element_description", "Description"),
            ),
        )
    ),
    "records": register(
        Form(
            "machines",
            "machine",
            (
                FormField("machine_id", "Machine id", placeholder="M7"),
                FormField("name", "Name", required=True),
                FormField("model", "Model"),
                FormField("maker", "Maker"),
                FormField("capacity_in_amp", "Capacity (A)", "number"),
                FormField("element_type", "Element type", "choice", choices=_types),
                FormField("date_of_purchase", "Purchased", "date"),
            ),
        )
    ),
    "shifts": register(
        Form(
            "operator_shifts",
            "shift",
            (
                FormField("shift_id", "Shift id", placeholder="early"),
                FormField("name", "Name", required=True),
                FormField("operator", "Operator"),
                FormField(
                    "machine_id",
                    "Machine",
                    "choice",
                    placeholder="every machine",
                    choices=_machines,
                ),
                FormField("start_time", "Starts (HH:MM)", required=True, placeholder="06:00"),
                FormField("end_time", "Ends (HH:MM)", required=True, placeholder="14:00"),
            ),
            order_by=("start_time",),
        )
    ),
}
TABS = {"list": "Live", "types": "Element types", "records": "Machine records", "shifts": "Shifts"}


def state_badge(state: str, stale: bool = False) -> html.Span:
    """The state's badge; a stale reading shows 'no data' and the state it last had."""
    shown = NO_DATA if stale else state
    badge = dbc.Badge(
        shown,
        color=STATE_COLORS.get(shown, "info"),
        text_color="dark" if shown == NO_DATA else None,
        className="machines-state",
    )
    last = html.Span(f" (last: {state})", className="small text-muted") if stale else None
    return html.Span([badge, last])


def machine_list(store: Store, config: Config) -> html.Div:
    """The live list: one row per machine record, its latest reading and state."""
    now = utc_now()
    found = plant.statuses(store, Thresholds.from_config(config), now)
    rows = []
    for s in found:
        machine_id = s.machine["machine_id"]
        standard = s.standard
        rows.append(
            [
                dcc.Link(machine_id, href=f"/machines/{machine_id}"),
                s.machine["name"],
                s.machine.get("element_type") or "–",
                state_badge(s.state, s.stale),
                measured(s.current, "A"),
                measured(s.voltage, "V"),
                f"{standard['standard_current']:g} A / {standard['standard_voltage']:g} V"
                if standard
                else "–",
                ago(s.time, now),
            ]
        )
    counts: dict[str, int] = {}
    for s in found:
        shown = NO_DATA if s.stale else s.state
        counts[shown] = counts.get(shown, 0) + 1
    summary = [
        dbc.Badge(
            f"{state}: {n}",
            color=STATE_COLORS.get(state, "info"),
            className="me-1",
            text_color="dark" if state == NO_DATA else None,
        )
        for state, n in sorted(counts.items())
    ]
    strays = plant.unregistered(store, [s.machine["machine_id"] for s in found])
    note = (
        html.P(
            f"Readings arrive from machines without a record: {', '.join(strays)}. "
            "Add them under Machine records.",
            className="small text-muted",
            id="machines-unregistered",
        )
        if strays
        else None
    )
    table = simple_table(
        [
            "Machine",
            "Name",
            "Element type",
            "State",
            "Current",
            "Voltage",
            "Standard",
            "Last reading",
        ],
        rows,
        id="machines-table",
        empty="No machine records yet: add them under Machine records.",
        row_class="machines-row",
    )
    return html.Div([html.Div(summary, className="mb-2", id="machines-summary"), table, note])


def layout(tab: str | None = None, **_: Any) -> html.Div:
    rt = runtime()
    tab = tab if tab in TABS else "list"
    try:
        live = machine_list(rt.store, rt.config)
        editors = {name: editor(form, rt.store) for name, form in FORMS.items()}
    except VigilError as exc:
        return html.Div([html.H3("Machines"), error_alert(exc, id="machines-error")])
    panes = [
        dbc.Tab(
            html.Div(live, id="machines-list", className="pt-3"), label=TABS["list"], tab_id="list"
        )
    ]
    panes += [
        dbc.Tab(html.Div(editors[name], className="pt-3"), label=TABS[name], tab_id=name)
        for name in FORMS
    ]
    return html.Div(
        [
            html.Div(
                [html.H3("Machines", className="me-3 mb-0"), live_feed(LIVE, ["machine:*"], 1_000)],
                className="d-flex align-items-center mb-2",
            ),
            dbc.Tabs(panes, id="machines-tabs", active_tab=tab),
            refresh_timer("machines", rt.config.page_refresh_seconds),
            dcc.Store(id=QUERY),
        ]
    )


@callback(
    Output("machines-list", "children"),
    Input("machines-refresh", "n_intervals"),
    Input(LIVE, "data"),
    Input(f"{LIVE}-fallback", "n_intervals"),
    prevent_initial_call=True,
)
def refresh(_timer: int, _batch: Any, _polls: Any) -> Any:
    """The live list read again. The batch is only the signal: the latest values come
    from the store, so merged batches or updates missed while reconnecting change nothing."""
    rt = runtime()
    try:
        return machine_list(rt.store, rt.config)
    except VigilError as exc:
        return error_alert(exc, id="machines-error")


@callback(Output(QUERY, "data"), Input("machines-tabs", "active_tab"))
def remember_tab(tab: str | None) -> str:
    return query_string({"tab": tab if tab in TABS and tab != "list" else None})
