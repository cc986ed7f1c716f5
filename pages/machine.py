"""One machine (`/machines/<id>`, seed 002): current and voltage, the state timeline,
time in each state per day and per operator shift, and the remarks log.

The range lives in the URL (`?start=...&end=...`); without an end the page
shows the last 24 hours of the machine's readings and follows new ones as they
arrive: the live feed extends the current and voltage plots in the browser and
shows the latest reading; the timer draws the states again; the plots are read
again only while polling or after a reconnect. States come from every reading of
the range (analytics/machine_state.py); the plots are downsampled in the store
like Explore's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
import pandas as pd
from dash import Input, Output, State, callback, dcc, html, no_update

from analytics import machine_state as ms
from auth import require
from components.alerts import error_alert, not_found_view
from components.formats import TIME_FORMAT, clock, measured, when
from components.live import (
    entity_channel,
    follow_graphs,
    following_figure,
    graph_base,
    live_feed,
    readings,
    reconnected,
)
from components.refresh import refresh_timer
from components.tables import simple_table
from components.timeseries import EMPTY_FIGURE, epoch_ms, series_figure
from components.urlstate import query_string, url_sync
from context import Runtime, runtime
from data import plant
from data.times import as_utc
from errors import InvalidInput, NotFound, VigilError

dash.register_page(
    __name__, path_template="/machines/<machine_id>", name="Machine", nav=False, order=90
)

QUERY = url_sync("machine")
DEFAULT_SPAN = timedelta(hours=24)
STATE_COLORS = {
    ms.PRODUCTION: "#18bc9c",
    ms.IDLE: "#f39c12",
    ms.OFF: "#95a5a6",
    ms.NO_DATA: "#ecf0f1",
}
DURATION_HEAD = ["production", "idle", "off", "no data"]
LIVE = "machine-live"
BASE = "machine-drawn"
PLOTTED = ("current", "voltage")


class View:
    """Everything the refresh callback draws; a part left out is drawn empty.

    (A plain class: Dash loads page modules outside sys.modules, where
    dataclasses cannot resolve their annotations.)
    """

    def __init__(self, **parts: Any) -> None:
        self.current = parts.get("current")
        self.voltage = parts.get("voltage")
        self.timeline = parts.get("timeline")
        self.days = parts.get("days")
        self.shifts = parts.get("shifts")
        self.message = parts.get("message")
        #: What the plots show, for the live feed (graph_base); None: nothing drawn.
        self.base = parts.get("base")

    def outputs(self) -> tuple:
        return (
            self.current or EMPTY_FIGURE,
            self.voltage or EMPTY_FIGURE,
            self.timeline or _empty_timeline(),
            self.days,
            self.shifts,
            self.message,
        )


def _empty_timeline() -> dict[str, Any]:
    return {"data": [], "layout": {"height": 170, "plot_bgcolor": "white"}}


def _range(
    rt: Runtime, machine_id: str, start: str | None, end: str | None
) -> tuple[datetime, datetime] | None:
    """The range asked for, or the last day of the machine's readings."""
    if start and end:
        first, last = as_utc(start), as_utc(end)
        if last <= first:
            raise InvalidInput("the end of the range must come after its start")
        return first, last
    span = rt.store.time_range("machine_readings", {"machine_id": machine_id})
    if span is None:
        return None
    last = as_utc(end) if end else span[1]
    first = as_utc(start) if start else max(span[0], last - DEFAULT_SPAN)
    return first, last


def _timeline(runs: pd.DataFrame, first: datetime, last: datetime) -> dict[str, Any]:
    """One horizontal bar per run, a colour per state, on a time axis."""
    traces = []
    for state in (*ms.STATES, ms.NO_DATA):
        part = runs[runs["state"] == state]
        if part.empty:
            continue
        begin = epoch_ms(pd.DatetimeIndex(part["start"]))
        length = epoch_ms(pd.DatetimeIndex(part["end"])) - begin
        lasted = [clock(ms_ / 1000) for ms_ in length]
        traces.append(
            {
                "type": "bar",
                "orientation": "h",
                "name": state,
                "y": ["state"] * len(part),
                "base": begin,
                "x": length,
                "marker": {"color": STATE_COLORS[state]},
                "customdata": lasted,
                "hovertemplate": f"{state} from %{{base|%H:%M:%S}} for %{{customdata}}"
                "<extra></extra>",
            }
        )
    return {
        "data": traces,
        "layout": {
            "height": 170,
            "barmode": "overlay",
            "bargap": 0,
            "margin": {"l": 50, "r": 20, "t": 30, "b": 40},
            "legend": {"orientation": "h", "x": 0, "y": 1.02, "yanchor": "bottom"},
            "plot_bgcolor": "white",
            "xaxis": {
                "type": "date",
                "range": [first.timestamp() * 1e3, last.timestamp() * 1e3],
                "title": {"text": "time (UTC)"},
            },
            "yaxis": {"visible": False},
        },
    }


def _durations(table: pd.DataFrame, label: str, id: str, empty: str) -> Any:
    rows = []
    for name, row in table.iterrows():
        known = sum(row.get(s, 0.0) for s in ms.STATES)
        share = f"{100 * row.get(ms.PRODUCTION, 0.0) / known:.0f} %" if known else "–"
        rows.append([name, *(clock(row.get(s, 0.0)) for s in DURATION_HEAD), share])
    return simple_table([label, *DURATION_HEAD, "in production"], rows, id=id, empty=empty)


def view(rt: Runtime, machine_id: str, start: str | None, end: str | None) -> View:
    """Plots, timeline and durations of the machine over the range."""
    record = plant.machine(rt.store, machine_id)
    span = _range(rt, machine_id, start, end)
    if span is None:
        return View(
            message=dbc.Alert(
                "This machine has sent no readings yet.", color="light", id="machine-info"
            )
        )
    first, last = span
    read = rt.store.read(
        "machine_readings",
        list(PLOTTED),
        first,
        last,
        rt.config.max_points,
        {"machine_id": machine_id},
    )
    following = not end
    figures = [series_figure(replace(read, series=[s]), height=260) for s in read.series]
    if following:
        figures = [following_figure(f) for f in figures]
    result = View(
        current=figures[0],
        voltage=figures[1],
        base=_base(rt, machine_id, last if following else None),
    )
    standard = plant.standard_of(rt.store, record)
    if standard is None:
        result.message = dbc.Alert(
            f"Machine {machine_id} has no known element type, so its states cannot be "
            "derived: set one under Machines › Machine records.",
            color="warning",
            id="machine-info",
        )
        return result
    thresholds = ms.Thresholds.from_config(rt.config)
    readings = plant.readings_for_states(rt.store, machine_id, first, last)
    states = ms.classify(
        readings["current"],
        readings["voltage"],
        standard["standard_current"],
        standard["standard_voltage"],
        thresholds,
    )
    runs = ms.runs(readings["time"], states, thresholds, end=last)
    tz = rt.config.plant_timezone
    result.timeline = _timeline(runs, first, last)
    result.days = _durations(
        ms.time_in_states(runs, ms.day_windows(runs, tz)),
        f"day ({tz})",
        "machine-days-table",
        "No readings in the range.",
    )
    shifts = plant.shifts_for(rt.store, machine_id)
    result.shifts = _durations(
        ms.time_in_states(runs, ms.shift_windows(runs, shifts, tz)),
        "shift",
        "machine-shifts-table",
        "No operator shifts: add them under Machines › Shifts.",
    )
    result.message = html.Div(
        f"{len(readings):,} readings from {first:{TIME_FORMAT}} to {last:{TIME_FORMAT}} UTC, "
        f"judged against {standard['type']} ({standard['standard_current']:g} A, "
        f"{standard['standard_voltage']:g} V).",
        className="text-muted small",
        id="machine-info",
    )
    return result


def _base(rt: Runtime, machine_id: str, after: datetime | None) -> dict[str, object]:
    channel = entity_channel("machine", machine_id)
    return graph_base(BASE, channel, PLOTTED, after, 2 * rt.config.max_points)


def latest_line(reading: dict[str, Any] | None) -> Any:
    """The machine's latest reading, as the store or the feed gave it (time in epoch ms
    from the feed)."""
    if not reading:
        return ""
    at = reading["time"]
    at = pd.Timestamp(at, unit="ms", tz="UTC") if isinstance(at, int | float) else at
    current, voltage = (_number(reading.get(c)) for c in PLOTTED)
    return f"Latest reading: {measured(current, 'A')}, {measured(voltage, 'V')} at {when(at)}"


def _number(value: Any) -> float | None:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and not pd.isna(value)
    return float(value) if ok else None


def _stored_latest(rt: Runtime, machine_id: str) -> dict[str, Any] | None:
    latest = rt.store.latest("machine_readings", "machine_id", list(PLOTTED))
    rows = latest[latest["machine_id"] == machine_id].to_dict("records")
    return rows[0] if rows else None


def remarks_list(rt: Runtime, machine_id: str) -> Any:
    rows = [[when(r["time"]), r["author"], r["text"]] for r in plant.remarks(rt.store, machine_id)]
    return simple_table(
        ["time", "by", "remark"],
        rows,
        id="machine-remarks-table",
        empty="No remarks yet.",
        row_class="machine-remark",
    )


def _range_box(id: str, label: str, value: str, placeholder: str) -> dbc.Col:
    return dbc.Col(
        [
            dbc.Label(label, html_for=id),
            dbc.Input(id=id, value=value, debounce=True, placeholder=placeholder),
        ],
        md=3,
    )


def _frame(
    machine_id: str | None,
    record: dict[str, Any] | None,
    drawn: View,
    remarks: Any,
    start: str,
    end: str,
    refresh_seconds: float,
    latest: Any = "",
) -> html.Div:
    """The page; with no machine (Dash's validation layout) every part is empty."""
    title = f"{record['name']} ({machine_id})" if record else "Machine"
    facts = ""
    if record:
        facts = " · ".join(
            str(v)
            for v in (record.get("element_type"), record.get("maker"), record.get("model"))
            if v
        )
    current, voltage, timeline, days, shifts, message = drawn.outputs()
    channel = entity_channel("machine", machine_id)
    return html.Div(
        [
            dcc.Link("‹ All machines", href="/machines", className="small"),
            html.Div(
                [
                    html.H3(title, id="machine-title", className="me-3 mb-0"),
                    live_feed(LIVE, [channel]),
                ],
                className="d-flex align-items-center",
            ),
            html.P(facts, className="text-muted mb-1"),
            html.P(latest, id="machine-latest", className="small"),
            dbc.Row(
                [
                    _range_box(
                        "machine-start", "From (UTC)", start, "24 hours before the latest reading"
                    ),
                    _range_box("machine-end", "To (UTC)", end, "the latest reading"),
                ],
                className="g-2 mb-2",
            ),
            html.Div(message, id="machine-message"),
            html.H5("State", className="mt-2"),
            dcc.Graph(figure=timeline, id="machine-timeline", config={"displaylogo": False}),
            dbc.Row(
                [
                    dbc.Col([html.H6("Time per day"), html.Div(days, id="machine-days")], lg=6),
                    dbc.Col(
                        [html.H6("Time per shift"), html.Div(shifts, id="machine-shifts")], lg=6
                    ),
                ]
            ),
            html.H5("Current", className="mt-2"),
            dcc.Graph(figure=current, id="machine-current", config={"displaylogo": False}),
            html.H5("Voltage"),
            dcc.Graph(figure=voltage, id="machine-voltage", config={"displaylogo": False}),
            html.H5("Remarks", className="mt-2"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Textarea(
                            id="machine-remark-text",
                            placeholder="What happened?",
                            maxLength=plant.MAX_REMARK,
                        ),
                        md=6,
                    ),
                    dbc.Col(
                        dbc.Input(id="machine-remark-time", placeholder="when (UTC), default now"),
                        md=3,
                    ),
                    dbc.Col(
                        dbc.Button("Add remark", id="machine-remark-add", color="primary"), md=3
                    ),
                ],
                className="g-2 mb-2",
            ),
            html.Div(id="machine-remark-message"),
            html.Div(remarks, id="machine-remarks"),
            dcc.Store(id="machine-id", data=machine_id),
            dcc.Store(id=BASE, data=drawn.base or graph_base(BASE, channel, PLOTTED, None, 0)),
            dcc.Store(id=f"{BASE}-applied"),
            refresh_timer("machine", refresh_seconds),
            dcc.Store(id=QUERY),
        ]
    )


def layout(
    machine_id: str | None = None, start: str | None = None, end: str | None = None, **_: Any
) -> html.Div:
    rt = runtime()
    if machine_id is None:
        return _frame(None, None, View(), None, "", "", rt.config.page_refresh_seconds)
    try:
        record = plant.machine(rt.store, machine_id)
        remarks = remarks_list(rt, machine_id)
        latest = latest_line(_stored_latest(rt, machine_id))
    except NotFound as exc:
        return not_found_view(
            "machine", "Machine not found", exc, ("See all machines", "/machines")
        )
    except VigilError as exc:
        return html.Div([html.H3("Machine"), error_alert(exc, id="machine-error")])
    try:
        drawn = view(rt, machine_id, start, end)
    except VigilError as exc:
        drawn = View(message=error_alert(exc, id="machine-error"))
    return _frame(
        machine_id,
        record,
        drawn,
        remarks,
        start or "",
        end or "",
        rt.config.page_refresh_seconds,
        latest,
    )


@callback(
    Output("machine-current", "figure"),
    Output("machine-voltage", "figure"),
    Output("machine-timeline", "figure"),
    Output("machine-days", "children"),
    Output("machine-shifts", "children"),
    Output("machine-message", "children"),
    Output(QUERY, "data"),
    Output(BASE, "data"),
    Input("machine-refresh", "n_intervals"),
    Input(f"{LIVE}-fallback", "n_intervals"),
    Input(LIVE, "data"),
    Input("machine-start", "value"),
    Input("machine-end", "value"),
    State("machine-id", "data"),
    prevent_initial_call=True,
)
def refresh(
    _timer: int, _polls: Any, batch: Any, start: str | None, end: str | None, machine_id: str | None
) -> tuple:
    """Draw the range again: a range the user typed, the states on the timer, and
    everything while polling or after a reconnect (the feed may have missed updates).
    Otherwise the feed extends the plots in the browser (follow_graphs below). A range
    with an end stays as it is."""
    query = query_string({"start": start or None, "end": end or None})
    skip = (no_update,) * 8
    trigger = dash.ctx.triggered_id
    if machine_id is None or (trigger == LIVE and not reconnected(batch)):
        return skip
    if trigger in ("machine-refresh", f"{LIVE}-fallback", LIVE) and end:
        return skip
    rt = runtime()
    try:
        drawn = view(rt, machine_id, start or None, end or None)
    except VigilError as exc:
        drawn = View(message=error_alert(exc, id="machine-error"))
    outputs = (*drawn.outputs(), query, drawn.base or no_update)
    if trigger == "machine-refresh":  # the states only: the feed keeps the plots current
        return (no_update, no_update, *outputs[2:7], no_update)
    return outputs


@callback(
    Output("machine-latest", "children"),
    Input(LIVE, "data"),
    State("machine-id", "data"),
    prevent_initial_call=True,
)
def show_latest(batch: Any, machine_id: str | None) -> Any:
    """The newest reading the feed brought (no store read)."""
    mine = readings(batch, f"machine:{machine_id}")  # none when the id is not a channel's
    if not mine:
        return no_update
    return latest_line(max(mine, key=lambda d: d["time"]))


follow_graphs(LIVE, BASE, ["machine-current", "machine-voltage"])


@callback(
    Output("machine-remarks", "children"),
    Output("machine-remark-message", "children"),
    Output("machine-remark-text", "value"),
    Input("machine-remark-add", "n_clicks"),
    State("machine-remark-text", "value"),
    State("machine-remark-time", "value"),
    State("machine-id", "data"),
    prevent_initial_call=True,
)
def add_remark(clicks: int | None, text: str | None, at: str | None, machine_id: str) -> tuple:
    """Labellers and admins write remarks; the log is read again after."""
    if not clicks:
        return no_update, no_update, no_update
    rt = runtime()
    try:
        user = require("labeller")
        plant.add_remark(rt.store, machine_id, text or "", user.name, at or None)
    except VigilError as exc:
        return no_update, error_alert(exc, id="machine-remark-error"), no_update
    done = dbc.Alert("Remark added.", color="success", className="py-1", id="machine-remark-done")
    return remarks_list(rt, machine_id), done, ""
