"""Batteries (seed 003): a card per battery with its live readings and alarms, and the
history of the battery chosen in the URL (`?battery=B2`).

Alarms come from the limits in config (analytics/battery_alarms.py); the
history plots draw each limit as a dashed line and shade where a reading
broke it. Live: readings arriving on the feed redraw the cards and extend the
chosen battery's plots in the browser; the store is read again for the plots
on the timer's poll-free fallback, after a reconnect or when polling.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from analytics.battery_alarms import Limits, alarms, spans
from components.alerts import error_alert, not_found_view
from components.formats import ago, measured
from components.live import (
    entity_channel,
    follow_graphs,
    following_figure,
    graph_base,
    live_feed,
    reconnected,
)
from components.refresh import refresh_timer
from components.timeseries import EMPTY_FIGURE, series_figure
from context import Runtime, runtime
from data.times import utc_now
from errors import NotFound, VigilError

dash.register_page(__name__, path="/batteries", name="Batteries", order=4)

READINGS = ["voltage", "current", "temperature", "state_of_charge", "state_of_health"]
HISTORY_SPAN = timedelta(hours=24)
#: The history plots: (graph id, title, column, unit).
PLOTS = (
    ("batteries-temperature", "Temperature", "temperature", "°C"),
    ("batteries-soc", "State of charge", "state_of_charge", "%"),
    ("batteries-soh", "State of health", "state_of_health", "%"),
    ("batteries-voltage", "Voltage", "voltage", "V"),
    ("batteries-current", "Current (charging above 0)", "current", "A"),
)
LIMIT_COLOR = "#e74c3c"
LIVE = "batteries-live"
BASE = "batteries-drawn"


def _battery_ids(rt: Runtime) -> tuple[dict[str, dict], Any]:
    """Batteries by id (records, and any battery that sends readings) and their latest rows."""
    records = {b["battery_id"]: b for b in rt.store.rows("batteries", order_by=["battery_id"])}
    latest = rt.store.latest("battery_readings", "battery_id", READINGS)
    for battery_id in latest["battery_id"]:
        records.setdefault(battery_id, {"battery_id": battery_id, "name": battery_id})
    return dict(sorted(records.items())), latest


def _card(record: dict, reading: dict | None, limits: Limits, chosen: bool, now: Any) -> dbc.Card:
    battery_id = record["battery_id"]
    raised = alarms(reading or {}, limits)
    flags = [
        dbc.Alert(a.message, color="danger", className="py-1 px-2 mb-1 small batteries-alarm")
        for a in raised
    ]
    if reading is None:
        body = [html.P("No readings yet.", className="text-muted small")]
    else:
        soc = reading.get("state_of_charge")
        current = reading.get("current")
        direction = "charging" if current and current > 0 else "discharging"
        body = [
            dbc.Progress(
                value=soc or 0,
                label=measured(soc, "%", 0),
                color="danger" if any(a.column == "state_of_charge" for a in raised) else "success",
                className="mb-2",
            ),
            html.Dl(
                [
                    html.Dt("Voltage"),
                    html.Dd(measured(reading.get("voltage"), "V")),
                    html.Dt("Current"),
                    html.Dd(f"{measured(current, 'A')} ({direction})"),
                    html.Dt("Temperature"),
                    html.Dd(measured(reading.get("temperature"), "°C")),
                    html.Dt("State of health"),
                    html.Dd(measured(reading.get("state_of_health"), "%")),
                ],
                className="row row-cols-2 small mb-1",
            ),
            html.Div(f"Last reading {ago(reading['time'], now)}", className="text-muted small"),
        ]
    return dbc.Card(
        [
            dbc.CardHeader(
                dcc.Link(
                    f"{record['name']} ({battery_id})", href=f"/batteries?battery={battery_id}"
                )
            ),
            dbc.CardBody([*flags, *body]),
        ],
        color="danger" if raised else None,
        outline=bool(raised),
        className="h-100 batteries-card" + (" border-primary border-2" if chosen else ""),
    )


def cards(rt: Runtime, chosen: str | None) -> dbc.Row:
    records, latest = _battery_ids(rt)
    limits = Limits.from_config(rt.config)
    now = utc_now()
    readings = {row["battery_id"]: row for row in latest.to_dict("records")}
    found = [
        dbc.Col(
            _card(record, readings.get(bid), limits, bid == chosen, now),
            md=6,
            xl=3,
            className="mb-3",
        )
        for bid, record in records.items()
    ]
    if not found:
        return dbc.Row(dbc.Col(html.P("No batteries yet.", className="text-muted")))
    return dbc.Row(found)


def history(rt: Runtime, battery_id: str) -> tuple[list[Any], dict[str, object]]:
    """One figure per plot, the limits drawn and the readings past them shaded; and
    what was drawn, for the live feed to extend the plots from."""
    span = rt.store.time_range("battery_readings", {"battery_id": battery_id})
    base = _base(rt, battery_id, span[1] if span else datetime.fromtimestamp(0, UTC))
    if span is None:
        return [following_figure(EMPTY_FIGURE)] * len(PLOTS), base
    first, last = max(span[0], span[1] - HISTORY_SPAN), span[1]
    read = rt.store.read(
        "battery_readings", READINGS, first, last, rt.config.max_points, {"battery_id": battery_id}
    )
    by_column = {s.column: s for s in read.series}
    rules = Limits.from_config(rt.config).rules()
    figures = []
    for _, _, column, _ in PLOTS:
        series = by_column[column]
        mine = [r for r in rules if r.column == column]
        shaded = [span for r in mine for span in spans(series.time, r.broken(series.values))]
        figure = series_figure(replace(read, series=[series]), regions=shaded, height=240)
        figure["layout"]["shapes"] += [
            {
                "type": "line",
                "xref": "paper",
                "x0": 0,
                "x1": 1,
                "y0": r.limit,
                "y1": r.limit,
                "line": {"color": LIMIT_COLOR, "dash": "dash", "width": 1},
            }
            for r in mine
        ]
        figure["layout"]["showlegend"] = False
        figure["layout"]["margin"] = {"l": 50, "r": 20, "t": 10, "b": 30}
        figure["layout"]["xaxis"]["title"] = None
        figures.append(following_figure(figure))
    return figures, base


def _base(rt: Runtime, battery_id: str | None, after: datetime | None) -> dict[str, object]:
    """What the plots show, for the feed: the battery's readings up to `after`
    (no battery: nothing to follow)."""
    channel = entity_channel("battery", battery_id)
    columns = [column for _, _, column, _ in PLOTS]
    return graph_base(
        BASE, channel, columns, after if battery_id else None, 2 * rt.config.max_points
    )


def _frame(
    chosen: str | None, row: Any, figures: list[Any], base: Any, refresh_seconds: float
) -> html.Div:
    plots = [
        dbc.Col(
            [html.H6(title), dcc.Graph(figure=fig, id=graph_id, config={"displaylogo": False})],
            lg=6,
        )
        for (graph_id, title, _, _), fig in zip(PLOTS, figures, strict=True)
    ]
    return html.Div(
        [
            html.Div(
                [
                    html.H3("Batteries", className="me-3 mb-0"),
                    live_feed(LIVE, ["battery:*"], 1_000),
                ],
                className="d-flex align-items-center mb-2",
            ),
            html.Div(row, id="batteries-cards"),
            html.H5(f"History of {chosen}" if chosen else "History", id="batteries-history-title"),
            dbc.Row(plots),
            dcc.Store(id="batteries-chosen", data=chosen),
            dcc.Store(id=BASE, data=base),
            dcc.Store(id=f"{BASE}-applied"),
            refresh_timer("batteries", refresh_seconds),
        ]
    )


def layout(battery: str | None = None, **_: Any) -> html.Div:
    rt = runtime()
    try:
        records, _ = _battery_ids(rt)
        if battery is not None and battery not in records:
            raise NotFound(f"unknown battery '{battery}'")
        chosen = battery or next(iter(records), None)
        figures, base = (
            history(rt, chosen) if chosen else ([EMPTY_FIGURE] * len(PLOTS), _base(rt, None, None))
        )
        row = cards(rt, chosen)
    except NotFound as exc:
        return not_found_view(
            "batteries", "Battery not found", exc, ("See all batteries", "/batteries")
        )
    except VigilError as exc:
        return html.Div([html.H3("Batteries"), error_alert(exc, id="batteries-error")])
    return _frame(chosen, row, figures, base, rt.config.page_refresh_seconds)


@callback(
    Output("batteries-cards", "children"),
    *[Output(graph_id, "figure") for graph_id, _, _, _ in PLOTS],
    Output(BASE, "data"),
    Input("batteries-refresh", "n_intervals"),
    Input(LIVE, "data"),
    Input(f"{LIVE}-fallback", "n_intervals"),
    State("batteries-chosen", "data"),
    prevent_initial_call=True,
)
def refresh(_timer: int, batch: Any, _polls: Any, chosen: str | None) -> tuple:
    """The cards read again on every trigger. The plots are read again only when the
    feed cannot extend them: while polling, or after a reconnect (updates may have
    been missed); otherwise the browser extends them (follow_graphs below)."""
    rt = runtime()
    keep = (no_update,) * (len(PLOTS) + 1)
    try:
        row = cards(rt, chosen)
        trigger = dash.ctx.triggered_id
        redraw = trigger == f"{LIVE}-fallback" or (trigger == LIVE and reconnected(batch))
        if redraw and chosen:
            figures, base = history(rt, chosen)
            return (row, *figures, base)
        return (row, *keep)
    except VigilError as exc:
        return (error_alert(exc, id="batteries-error"), *keep)


follow_graphs(LIVE, BASE, [graph_id for graph_id, _, _, _ in PLOTS])
