"""Sensor health (seed 004): silent sensors, intervals between heartbeats, lifespans.

Every figure is computed in the store from its heartbeat summary
(`Store.sensor_health`, data/health.py), so the page costs the same few
queries for 50 sensors or 10,000. `?sensor=S07` shows one sensor.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from components.alerts import error_alert, not_found_view
from components.formats import ago, when
from components.kpi import kpi_card
from components.refresh import refresh_timer
from components.tables import simple_table
from context import Runtime, runtime
from data.health import SensorHealth, SensorStat, duration_text
from data.times import utc_now
from errors import NotFound, VigilError

dash.register_page(__name__, path="/sensors", name="Sensors", order=5)

#: Silent sensors listed; the sensors with the longest intervals shown.
LISTED, SLOWEST = 100, 20


def _duration(seconds: float | None) -> str:
    return "–" if seconds is None else duration_text(seconds)


def _link(stat: SensorStat) -> dcc.Link:
    return dcc.Link(stat.sensor_id, href=f"/sensors?sensor={stat.sensor_id}")


def kpis(health: SensorHealth, one: bool) -> dbc.Row:
    share = health.share_silent
    minutes = f"{health.silence_minutes:g}"
    if one:
        (stat,) = health.slowest or health.silent_sensors or [None]
        status = "silent" if health.silent else "sending"
        cards = [
            kpi_card(
                "Status",
                status,
                f"no heartbeat for more than {minutes} minutes"
                if health.silent
                else f"heard within {minutes} minutes",
                id="sensors-status",
            ),
            kpi_card(
                "Last heartbeat",
                ago(stat.last if stat else None, health.now),
                when(stat.last if stat else None),
                id="sensors-last",
            ),
            kpi_card(
                "Mean interval",
                _duration(health.mean_interval),
                f"over {stat.beats - 1 if stat and stat.beats else 0:,} intervals",
                id="sensors-interval",
            ),
            kpi_card(
                "Lifespan",
                _duration(
                    (stat.last - stat.first).total_seconds() if stat and stat.first else None
                ),
                f"since {when(stat.first if stat else None)}",
                id="sensors-lifespan",
            ),
        ]
    else:
        cards = [
            kpi_card(
                "Silent sensors",
                "–" if share is None else f"{100 * share:.1f} %",
                f"{health.silent:,} of {health.sensors:,} sent no heartbeat for more "
                f"than {minutes} minutes",
                id="sensors-silent",
            ),
            kpi_card(
                "Mean interval",
                _duration(health.mean_interval),
                "between consecutive heartbeats, all sensors",
                id="sensors-interval",
            ),
            kpi_card(
                "Mean lifespan",
                _duration(health.mean_lifespan),
                f"first to last heartbeat of the {health.stopped:,} sensors that stopped",
                id="sensors-lifespan",
            ),
            kpi_card(
                "Sensors", f"{health.sensors:,}", "registered or heard from", id="sensors-count"
            ),
        ]
    return dbc.Row([dbc.Col(card, md=6, xl=3, className="mb-3") for card in cards])


def histogram(health: SensorHealth) -> dict[str, Any]:
    bins = health.histogram
    return {
        "data": [
            {
                "type": "bar",
                "x": [b.label for b in bins],
                "y": [b.count for b in bins],
                "marker": {"color": "#2c3e50"},
                "hovertemplate": "%{x}: %{y:,} intervals<extra></extra>",
            }
        ],
        "layout": {
            "height": 300,
            "margin": {"l": 60, "r": 20, "t": 10, "b": 80},
            "plot_bgcolor": "white",
            "xaxis": {"type": "category", "title": {"text": "interval between heartbeats"}},
            # a log scale: the few long gaps are what a health check looks for
            "yaxis": {"title": {"text": "intervals"}, "gridcolor": "#eee", "type": "log"},
        },
    }


def tables(health: SensorHealth) -> html.Div:
    silent = simple_table(
        ["sensor", "last heartbeat", "silent for", "heartbeats"],
        [
            [_link(s), when(s.last), ago(s.last, health.now), f"{s.beats:,}"]
            for s in health.silent_sensors
        ],
        id="sensors-silent-table",
        empty="No sensor is silent.",
        row_class="sensors-silent-row",
    )
    slowest = simple_table(
        ["sensor", "mean interval", "heartbeats", "first", "last"],
        [
            [_link(s), _duration(s.mean_interval), f"{s.beats:,}", when(s.first), when(s.last)]
            for s in health.slowest[:SLOWEST]
        ],
        id="sensors-interval-table",
        empty="No sensor has sent two heartbeats yet.",
        row_class="sensors-interval-row",
    )
    more = health.silent - len(health.silent_sensors)
    return dbc.Row(
        [
            dbc.Col(
                [
                    html.H5("Silent sensors"),
                    silent,
                    html.P(f"and {more:,} more", className="small text-muted")
                    if more > 0
                    else None,
                ],
                lg=6,
            ),
            dbc.Col([html.H5("Mean interval per sensor, longest first"), slowest], lg=6),
        ]
    )


def _health(rt: Runtime, sensor: str | None) -> SensorHealth:
    return rt.store.sensor_health(utc_now(), rt.config.silence_minutes, sensor, LISTED)


def layout(sensor: str | None = None, **_: Any) -> html.Div:
    rt = runtime()
    try:
        health = _health(rt, sensor)
    except NotFound as exc:
        return not_found_view("sensors", "Sensor not found", exc, ("See all sensors", "/sensors"))
    except VigilError as exc:
        return html.Div([html.H3("Sensor health"), error_alert(exc, id="sensors-error")])
    title = f"Sensor {sensor}" if sensor else "Sensor health"
    return html.Div(
        [
            dcc.Link("‹ All sensors", href="/sensors", className="small") if sensor else None,
            html.H3(title, id="sensors-title"),
            html.Div(kpis(health, sensor is not None), id="sensors-kpis"),
            html.H5("Intervals between consecutive heartbeats"),
            dcc.Graph(
                figure=histogram(health), id="sensors-histogram", config={"displaylogo": False}
            ),
            html.Div(tables(health) if sensor is None else None, id="sensors-tables"),
            dcc.Store(id="sensors-chosen", data=sensor),
            refresh_timer("sensors", rt.config.page_refresh_seconds),
        ]
    )


@callback(
    Output("sensors-kpis", "children"),
    Output("sensors-histogram", "figure"),
    Output("sensors-tables", "children"),
    Input("sensors-refresh", "n_intervals"),
    State("sensors-chosen", "data"),
    prevent_initial_call=True,
)
def refresh(_: int, sensor: str | None) -> tuple:
    """The health questions asked again: the one callback a live feed can drive later."""
    rt = runtime()
    try:
        health = _health(rt, sensor)
    except VigilError as exc:
        return error_alert(exc, id="sensors-error"), no_update, no_update
    return (
        kpis(health, sensor is not None),
        histogram(health),
        (tables(health) if sensor is None else None),
    )
