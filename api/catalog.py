"""Read routes of the catalog and the charts: tables, their columns, a series over a range.

They mirror seed 000's websocket requests (live/explore_requests.py) and read
the way the Explore page does: `data.views.choose` fills what the request
leaves out, then `Store.read` returns about `max_points` points per column,
picked by M4 from the rollup pyramid or the raw rows.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from pydantic import BaseModel, Field

from api import blueprint
from api.access import needs
from api.schemas import Query, Time, text
from api.spec import validate
from context import runtime
from data.views import choose
from live.explore_requests import MAX_POINTS

TAG = "catalog"


class Tables(BaseModel):
    tables: list[str]


class Column(BaseModel):
    name: str
    type: str = Field(description="The backend's type name")
    role: Literal["time", "metric", "label", "id"]


class Columns(BaseModel):
    table: str
    columns: list[Column]


class SeriesQuery(Query):
    columns: text(2000) | None = Field(  # type: ignore[valid-type]
        None, description="Comma-separated metric columns (default: the configured ones)"
    )
    entity: text(64, 1) | None = Field(None, description="The machine, battery, ... to plot")  # type: ignore[valid-type]
    start: Time | None = Field(None, description="Default: the first reading")
    end: Time | None = Field(None, description="Default: the last reading")
    max_points: int | None = Field(
        None, ge=16, le=MAX_POINTS, description="Points per column, about (default: setting)"
    )


class Line(BaseModel):
    column: str
    time: list[float] = Field(description="Epoch milliseconds, UTC")
    values: list[float | None]


class Buckets(BaseModel):
    start: float = Field(description="The first bucket's start, epoch seconds")
    width: float = Field(description="Seconds per bucket")


class SeriesOut(BaseModel):
    table: str
    entity: str | None
    columns: list[str]
    start: Time | None
    end: Time | None
    downsampled: bool
    rows_in_range: int
    buckets: Buckets | None
    series: list[Line]


@blueprint.get("/tables")
@needs("viewer")
@validate(TAG, 200, Tables, cacheable=True)
def list_tables() -> Tables:
    """The tables a user may explore."""
    return Tables(tables=runtime().store.tables())


@blueprint.get("/tables/<table>/columns")
@needs("viewer")
@validate(TAG, 200, Columns, cacheable=True)
def list_columns(table: str) -> Columns:
    """A table's columns with their roles (time, metric, label, id)."""
    found = runtime().store.columns(table)
    return Columns(table=table, columns=[Column(**c.__dict__) for c in found])


@blueprint.get("/tables/<table>/series")
@needs("viewer")
@validate(TAG, 200, SeriesOut, query=SeriesQuery, cacheable=True)
def read_series(table: str, query: SeriesQuery) -> SeriesOut:
    """About `max_points` points per column over a range: raw rows, or M4 picks per bucket."""
    rt = runtime()
    names = [c.strip() for c in (query.columns or "").split(",") if c.strip()]
    choice = choose(
        rt.store,
        table,
        names or None,
        query.entity,
        query.start,
        query.end,
        rt.config.init_cols_for_plot,
    )
    out = SeriesOut(
        table=choice.table,
        entity=choice.entity,
        columns=choice.columns,
        start=choice.start,
        end=choice.end,
        downsampled=False,
        rows_in_range=0,
        buckets=None,
        series=[],
    )
    if choice.start is None or choice.end is None:
        return out
    filters = {choice.entity_column: choice.entity} if choice.entity else None
    found = rt.store.read(
        choice.table,
        choice.columns,
        choice.start,
        choice.end,
        query.max_points or rt.config.max_points,
        filters,
    )
    out.downsampled = found.downsampled
    out.rows_in_range = found.rows_in_range
    if found.buckets is not None:
        out.buckets = Buckets(start=found.buckets[0], width=found.buckets[1])
    for line in found.series:
        values = line.values.to_numpy(float)
        out.series.append(
            Line(
                column=line.column,
                time=(line.time.as_unit("us").asi8 / 1000.0).tolist(),
                values=np.where(np.isnan(values), None, values).tolist(),
            )
        )
    return out
