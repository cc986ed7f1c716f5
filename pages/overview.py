"""Overview: the plant at a glance — machines by state, batteries, sensors, open anomalies."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, callback, html

from analytics.fleet import silent, state_counts
from components.alerts import error_alert
from components.kpi import kpi_card
from components.live import live_feed
from context import runtime
from data.times import utc_now
from errors import VigilError

dash.register_page(__name__, path="/", name="Overview", order=0)

LIVE = "overview-live"
LIVE_CHANNELS = ["machine:*", "battery:*", "sensor:*"]
STATE_COLORS = {"production": "success", "idle": "warning", "off": "secondary"}


def _machines(store: Any) -> dbc.Card:
    latest = store.latest("machine_readings", "machine_id", ["state", "current", "voltage"])
    counts = state_counts(latest)
    badges = [
        dbc.Badge(f"{state}: {n}", color=STATE_COLORS.get(state, "info"), className="me-1")
        for state, n in counts.items()
    ]
    return kpi_card(
        "Machines", str(len(latest)), badges, "/explore?table=machine_readings", "overview-machines"
    )


def _batteries(store: Any) -> dbc.Card:
    latest = store.latest("battery_readings", "battery_id", ["state_of_charge"])
    bars = [
        html.Div(
            [
                html.Span(row.battery_id, className="me-2"),
                dbc.Progress(
                    value=row.state_of_charge,
                    label=f"{row.state_of_charge:.0f} %",
                    className="flex-grow-1",
                    color="danger" if row.state_of_charge < 20 else "success",
                ),
            ],
            className="d-flex align-items-center mb-1",
        )
        for row in latest.itertuples()
    ]
    mean = f"{latest['state_of_charge'].mean():.0f} %" if len(latest) else "–"
    return kpi_card(
        "Batteries: mean state of charge",
        mean,
        bars,
        "/explore?table=battery_readings",
        "overview-batteries",
    )


def _sensors(store: Any, minutes: float) -> dbc.Card:
    latest = store.latest("heartbeats", "sensor_id", [])
    quiet = silent(latest["time"], utc_now(), minutes)
    n, total = int(quiet.sum()), len(latest)
    share = f"{100 * n / total:.0f} %" if total else "–"
    detail = f"{n} of {total} sensors sent no heartbeat for more than {minutes:g} minutes"
    return kpi_card(
        "Sensors silent", share, detail, "/explore?table=heartbeats", "overview-sensors"
    )


def _anomalies(store: Any) -> dbc.Card:
    counts = store.status_counts()
    detail = [
        dbc.Badge(f"verified: {counts['verified']}", color="danger", className="me-1"),
        dbc.Badge(f"rejected: {counts['rejected']}", color="secondary"),
    ]
    return kpi_card(
        "Open anomalies",
        str(counts["unlabelled"]),
        detail,
        "/anomalies?status=unlabelled",
        "overview-anomalies",
    )


def _cards() -> list[Any]:
    rt = runtime()
    try:
        cards = [
            _machines(rt.store),
            _batteries(rt.store),
            _sensors(rt.store, rt.config.silence_minutes),
            _anomalies(rt.store),
        ]
    except VigilError as exc:
        return [error_alert(exc, id="overview-error")]
    return [dbc.Row([dbc.Col(card, md=6, xl=3, className="mb-3") for card in cards])]


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            html.Div(
                [html.H3("Overview", className="me-3 mb-0"), live_feed(LIVE, LIVE_CHANNELS, 1_000)],
                className="d-flex align-items-center mb-2",
            ),
            html.Div(_cards(), id="overview-cards"),
        ]
    )


@callback(
    Output("overview-cards", "children"),
    Input(LIVE, "data"),
    Input(f"{LIVE}-fallback", "n_intervals"),
    prevent_initial_call=True,
)
def refresh(_batch: Any, _polls: Any) -> list[Any]:
    """Readings arrived (or the fallback poll fired): the cards read the store again.

    The batch is only the signal: the counts come from the store, so a batch
    Dash merged with another, or updates missed while reconnecting, change nothing.
    """
    return _cards()
