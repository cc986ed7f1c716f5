"""Positions (seed 001): pick an environment and a day, see its sample and geoms, and replay
the devices' coordinates on a floor plan, 25 seconds at a time.

Every read goes through data/positions.py, the queries behind the websocket's
`getGeoms` / `getCoordinates`: the page draws what a seed-001 client would get.
The environment, the day and the window shown live in the URL
(`?environment=E1&date=2026-01-05&at=2026-01-05T10:00:00`); play advances the
time slider one window per tick.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, timedelta
from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, dcc, html, no_update

from components.alerts import error_alert, not_found_view
from components.formats import when
from components.tables import simple_table
from components.urlstate import query_string, url_sync
from context import Runtime, runtime
from data import positions
from data.times import as_utc
from errors import InvalidInput, NotFound, VigilError

dash.register_page(__name__, path="/positions", name="Positions", order=6)

QUERY = url_sync("positions")
#: One replayed window per tick while playing: 25 s of positions a second.
TICK_MS = 1_000
MARKS = 8
TRAIL_COLORS = ("#2c3e50", "#18bc9c", "#e74c3c", "#3498db", "#f39c12", "#8e44ad", "#16a085")
EMPTY_FLOOR: dict[str, Any] = {"data": [], "layout": {"height": 520, "plot_bgcolor": "white"}}


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise NotFound(f"'{value}' is not a day (expected YYYY-MM-DD)") from None


def _sample(rt: Runtime, environment: str | None, day: str | None) -> dict[str, Any] | None:
    """What the page replays: the environment's sample of the day (the latest without a
    day), its geoms, range and floor; None when there are no positions at all. NotFound
    for an environment, or a day of it, the store does not know."""
    envs = {e["environment_id"]: e for e in positions.environments(rt.store)}
    if environment is not None and environment not in envs:
        raise NotFound(f"unknown environment '{environment}'")
    environment = environment or next(iter(envs), None)
    if environment is None:
        return None
    days = positions.sample_dates(rt.store, environment)
    chosen = _day(day) if day else (days[-1] if days else None)
    if chosen is None:
        return {"environment": environment, "environments": envs, "days": [], "sample": None}
    found = positions.sample_with_geoms(rt.store, environment, chosen)
    sample_id = found["sample"]["sample_id"]
    span = positions.sample_span(rt.store, sample_id)
    return {
        "environment": environment,
        "environments": envs,
        "days": days,
        "day": chosen,
        "sample": found["sample"],
        "geoms": found["geoms"],
        "span": span,
        "floor": positions.floor_bounds(rt.store, sample_id, span) if span else None,
    }


def _windows(span: tuple[datetime, datetime] | None) -> int:
    if span is None:
        return 0
    return max(1, math.ceil((span[1] - span[0]).total_seconds() / positions.WINDOW_SECONDS))


def _meta(picked: dict[str, Any]) -> dict[str, Any]:
    """What the replay callbacks need, kept in the browser."""
    span = picked.get("span")
    return {
        "environment": picked["environment"],
        "day": picked["day"].isoformat(),
        "sample_id": picked["sample"]["sample_id"],
        "devices": sorted({g["device_id"] for g in picked["geoms"]}),
        "first": span[0].timestamp() if span else None,
        "windows": _windows(span),
        "floor": picked.get("floor"),
    }


def _checked(meta: Any) -> dict[str, Any]:
    """The replay's state as the browser sent it back, or {} when it is not what
    `_meta` made (a crafted request): the callbacks then draw nothing."""
    if not isinstance(meta, dict):
        return {}
    texts = all(isinstance(meta.get(k), str) for k in ("environment", "day", "sample_id"))
    devices = meta.get("devices")
    floor = meta.get("floor")
    ok = (
        texts
        and isinstance(devices, list)
        and all(isinstance(d, str) for d in devices)
        and isinstance(meta.get("windows"), int)
        and meta["windows"] >= 0
        and (meta.get("first") is None or isinstance(meta.get("first"), int | float))
        and (meta["windows"] == 0 or meta.get("first") is not None)
        and (
            floor is None
            or (
                isinstance(floor, list)
                and len(floor) == 4
                and all(isinstance(v, int | float) for v in floor)
            )
        )
    )
    return meta if ok else {}


def _window_start(meta: dict[str, Any], index: int) -> datetime:
    return datetime.fromtimestamp(meta["first"] + index * positions.WINDOW_SECONDS, UTC)


def _index_of(meta: dict[str, Any], at: str | None) -> int:
    """The window holding `at` (the first one without it, or when it lies outside)."""
    if not at or meta["first"] is None:
        return 0
    try:
        offset = as_utc(at).timestamp() - meta["first"]
    except InvalidInput:
        return 0
    index = int(offset // positions.WINDOW_SECONDS)
    return index if 0 <= index < meta["windows"] else 0


def floor_figure(rt: Runtime, meta: dict[str, Any], index: int) -> dict[str, Any]:
    """Each device's track in the window as a faint trail, its last position as a
    labelled marker, on axes fixed to the whole sample's floor."""
    if not meta.get("windows"):
        return EMPTY_FLOOR
    start = _window_start(meta, index)
    traces = []
    for n, device in enumerate(meta["devices"]):
        color = TRAIL_COLORS[n % len(TRAIL_COLORS)]
        tracked = positions.coordinates(rt.store, meta["sample_id"], device, start)
        for geom_id, points in tracked.items():
            xy = [(p[0], p[1]) for p in points.values() if p[0] is not None and p[1] is not None]
            if not xy:
                continue
            xs, ys = zip(*xy, strict=True)
            traces.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": xs,
                    "y": ys,
                    "line": {"color": color, "width": 1.5},
                    "opacity": 0.45,
                    "hoverinfo": "skip",
                    "showlegend": False,
                }
            )
            traces.append(
                {
                    "type": "scatter",
                    "mode": "markers+text",
                    "name": device,
                    "x": [xs[-1]],
                    "y": [ys[-1]],
                    "text": [device],
                    "textposition": "top center",
                    "marker": {"color": color, "size": 12},
                    "customdata": [geom_id],
                    "hovertemplate": f"{device} ({geom_id})<br>x %{{x:.2f}} m, y %{{y:.2f}} m"
                    "<extra></extra>",
                }
            )
    floor = meta.get("floor") or (0.0, 1.0, 0.0, 1.0)
    pad = 0.05 * max(floor[1] - floor[0], floor[3] - floor[2], 1.0)
    return {
        "data": traces,
        "layout": {
            "height": 520,
            "margin": {"l": 50, "r": 20, "t": 20, "b": 40},
            "plot_bgcolor": "white",
            "showlegend": False,
            "uirevision": meta["sample_id"],
            "xaxis": {
                "range": [floor[0] - pad, floor[1] + pad],
                "title": {"text": "x (m)"},
                "gridcolor": "#eee",
                "zeroline": False,
            },
            "yaxis": {
                "range": [floor[2] - pad, floor[3] + pad],
                "title": {"text": "y (m)"},
                "gridcolor": "#eee",
                "zeroline": False,
                "scaleanchor": "x",
            },
        },
    }


def window_label(meta: dict[str, Any], index: int) -> str:
    if not meta.get("windows"):
        return "No coordinates in this sample yet."
    start = _window_start(meta, index)
    end = start + timedelta(seconds=positions.WINDOW_SECONDS)
    return f"{start:%H:%M:%S} – {end:%H:%M:%S} UTC (window {index + 1:,} of {meta['windows']:,})"


def _marks(meta: dict[str, Any]) -> dict[int, str]:
    last = max(meta.get("windows", 0) - 1, 0)
    if not last:
        return {0: ""}
    step = max(1, last // (MARKS - 1))
    return {i: f"{_window_start(meta, i):%H:%M}" for i in range(0, last + 1, step)}


def sample_summary(picked: dict[str, Any]) -> Any:
    found = picked["sample"]
    span = picked.get("span")
    facts = [
        f"Sample {found['sample_id']}",
        f"source {found.get('source') or '–'}",
        f"{len(picked['geoms']):,} geoms",
        f"coordinates from {when(span[0])} to {when(span[1])}" if span else "no coordinates yet",
    ]
    rows = [[g["geom_id"], g["device_id"], g.get("shape") or "–"] for g in picked["geoms"]]
    return html.Div(
        [
            html.P(" · ".join(facts), className="text-muted small", id="positions-sample-info"),
            simple_table(
                ["geom", "device", "shape"],
                rows,
                id="positions-geoms-table",
                empty="No geoms in this sample.",
                row_class="positions-geom",
            ),
        ]
    )


def _choices(picked: dict[str, Any] | None) -> tuple[list, Any, list, Any]:
    if not picked:
        return [], None, [], None
    envs = [{"label": f"{e['name']} ({k})", "value": k} for k, e in picked["environments"].items()]
    days = [{"label": d.isoformat(), "value": d.isoformat()} for d in picked["days"]]
    day = picked.get("day")
    return envs, picked["environment"], days, day.isoformat() if day else None


def _frame(picked: dict[str, Any] | None, meta: dict[str, Any], index: int, rt: Runtime) -> Any:
    envs, env, days, day = _choices(picked)
    summary = (
        sample_summary(picked)
        if picked and picked.get("sample")
        else html.P("No positions yet: run prepare-geoms.", className="text-muted")
    )
    return html.Div(
        [
            html.H3("Positions"),
            dbc.Row(
                [
                    dbc.Col(
                        [
                            dbc.Label("Environment", html_for="positions-environment"),
                            dcc.Dropdown(envs, env, id="positions-environment", clearable=False),
                        ],
                        md=4,
                    ),
                    dbc.Col(
                        [
                            dbc.Label("Day", html_for="positions-date"),
                            dcc.Dropdown(days, day, id="positions-date", clearable=False),
                        ],
                        md=3,
                    ),
                ],
                className="g-2 mb-2",
            ),
            html.Div(summary, id="positions-sample"),
            dbc.Row(
                [
                    dbc.Col(
                        dbc.Button("Play", id="positions-play", color="primary", n_clicks=0),
                        width="auto",
                    ),
                    dbc.Col(
                        dcc.Slider(
                            0,
                            max(meta.get("windows", 0) - 1, 0),
                            1,
                            value=index,
                            marks=_marks(meta),
                            id="positions-slider",
                            updatemode="mouseup",
                        ),
                    ),
                ],
                className="g-2 align-items-center mt-2",
            ),
            html.Div(window_label(meta, index), id="positions-window", className="small"),
            dcc.Graph(
                figure=floor_figure(rt, meta, index) if meta else EMPTY_FLOOR,
                id="positions-floor",
                config={"displaylogo": False},
            ),
            dcc.Interval(id="positions-player", interval=TICK_MS, disabled=True),
            dcc.Store(id="positions-meta", data=meta),
            dcc.Store(id=QUERY),
        ]
    )


def layout(
    environment: str | None = None, date: str | None = None, at: str | None = None, **_: Any
) -> Any:
    rt = runtime()
    try:
        picked = _sample(rt, environment, date)
        meta = _meta(picked) if picked and picked.get("sample") else {}
        index = _index_of(meta, at) if meta else 0
        return _frame(picked, meta, index, rt)
    except NotFound as exc:
        return not_found_view(
            "positions", "Positions not found", exc, ("See all positions", "/positions")
        )
    except VigilError as exc:
        return html.Div([html.H3("Positions"), error_alert(exc, id="positions-error")])


def _slot(index: Any, meta: dict[str, Any]) -> int:
    """The slider's value as a window of the replay (the first for anything else)."""
    if not isinstance(index, int | float) or isinstance(index, bool) or index != index:
        return 0
    return min(max(int(index), 0), max(meta.get("windows", 0) - 1, 0))


@callback(
    Output("positions-date", "options"),
    Output("positions-date", "value"),
    Input("positions-environment", "value"),
    prevent_initial_call=True,
)
def pick_environment(environment: Any) -> tuple:
    """Another environment: its days, the latest chosen."""
    if not isinstance(environment, str) or not environment:
        return no_update, no_update
    rt = runtime()
    try:
        days = positions.sample_dates(rt.store, environment)
    except VigilError:
        return [], None
    options = [{"label": d.isoformat(), "value": d.isoformat()} for d in days]
    return options, days[-1].isoformat() if days else None


@callback(
    Output("positions-sample", "children"),
    Output("positions-meta", "data"),
    Output("positions-slider", "max"),
    Output("positions-slider", "marks"),
    Output("positions-slider", "value"),
    Input("positions-date", "value"),
    State("positions-environment", "value"),
    prevent_initial_call=True,
)
def pick_day(day: Any, environment: Any) -> tuple:
    """Another day (or environment): its sample and geoms, the replay from its start."""
    if not (isinstance(day, str) and day and isinstance(environment, str) and environment):
        return (no_update,) * 5
    rt = runtime()
    try:
        picked = _sample(rt, environment, day)
    except VigilError as exc:
        return error_alert(exc, id="positions-error"), {}, 0, {0: ""}, 0
    meta = _meta(picked)
    return sample_summary(picked), meta, max(meta["windows"] - 1, 0), _marks(meta), 0


@callback(
    Output("positions-floor", "figure"),
    Output("positions-window", "children"),
    Output(QUERY, "data"),
    Input("positions-slider", "value"),
    Input("positions-meta", "data"),
    prevent_initial_call=True,
)
def draw_window(index: Any, meta: Any) -> tuple:
    """The window the slider points at, drawn; its start goes into the URL."""
    meta = _checked(meta)
    if not meta:
        return EMPTY_FLOOR, window_label({}, 0), no_update
    index = _slot(index, meta)
    rt = runtime()
    try:
        figure = floor_figure(rt, meta, index)
    except VigilError as exc:
        return no_update, error_alert(exc, id="positions-error"), no_update
    at = f"{_window_start(meta, index):%Y-%m-%dT%H:%M:%S}" if meta["windows"] else None
    query = query_string({"environment": meta["environment"], "date": meta["day"], "at": at})
    return figure, window_label(meta, index), query


@callback(
    Output("positions-slider", "value", allow_duplicate=True),
    Output("positions-player", "disabled"),
    Output("positions-play", "children"),
    Input("positions-play", "n_clicks"),
    Input("positions-player", "n_intervals"),
    State("positions-slider", "value"),
    State("positions-player", "disabled"),
    State("positions-meta", "data"),
    prevent_initial_call=True,
)
def play(_clicks: Any, _ticks: Any, index: Any, paused: Any, meta: Any) -> tuple:
    """Play / pause toggles the ticker; each tick moves the slider one window on, and
    the replay pauses at the last window (play there starts again from the first)."""
    meta = _checked(meta)
    last = max(meta.get("windows", 0) - 1, 0)
    index = _slot(index, meta)
    if dash.ctx.triggered_id == "positions-play":
        if not paused:
            return no_update, True, "Play"
        return (0 if index >= last else no_update), last == 0, "Pause" if last else "Play"
    if paused:
        return no_update, no_update, no_update
    if index + 1 >= last:
        return last, True, "Play"
    return index + 1, False, "Pause"
