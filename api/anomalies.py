"""Read routes of the review queue: anomalies with the queue's filters, one with its history,
and the labels export."""

from __future__ import annotations

from typing import Literal

from flask import Response, request
from pydantic import BaseModel, Field

from api import blueprint
from api.access import needs
from api.paging import page
from api.schemas import Paged, Query, Time, text
from api.spec import validate
from context import runtime
from data.label_export import export_bytes, export_name
from data.store import Anomaly, AnomalyFilter, FeedbackEvent

TAG = "anomalies"
#: The queue pages through this many anomalies at most (the review page shows 500).
WINDOW = 100_000
Name = text(200, 1)


class AnomalyQuery(Paged):
    table: Name | None = None  # type: ignore[valid-type]
    entity: Name | None = None  # type: ignore[valid-type]
    status: Literal["unlabelled", "verified", "rejected"] | None = None
    detector: Name | None = None  # type: ignore[valid-type]
    anomaly_type: Name | None = Field(None, description="The current label's type")  # type: ignore[valid-type]
    min_score: float | None = Field(None, allow_inf_nan=False)
    max_score: float | None = Field(None, allow_inf_nan=False)
    start: Time | None = Field(None, description="Anomalies overlapping [start, end]")
    end: Time | None = None
    sort: Literal["newest", "oldest", "highest", "lowest"] = "newest"


class Event(BaseModel):
    """One label decision; the latest event of an anomaly is its label."""

    event_id: str
    anomaly_id: str
    verified: bool | None
    anomaly_type: str | None
    comment: str | None
    author: str
    idempotency_key: str
    created: Time | None
    reverts: str | None = Field(description="The event this one undid")

    @classmethod
    def of(cls, event: FeedbackEvent) -> Event:
        return cls(**event.__dict__)


class AnomalyOut(BaseModel):
    id: str
    table_name: str
    entity_id: str | None
    start: Time
    end: Time
    columns: list[str]
    score: float | None
    detector: str
    version: str | None
    details: str | None
    created: Time
    status: Literal["unlabelled", "verified", "rejected"]
    anomaly_type: str | None

    @classmethod
    def of(cls, anomaly: Anomaly) -> AnomalyOut:
        return cls(**{k: v for k, v in anomaly.__dict__.items() if k != "history"})


class AnomalyPage(BaseModel):
    items: list[AnomalyOut]
    next_cursor: str | None = Field(description="Send as `cursor` for the next page")


class AnomalyWithHistory(AnomalyOut):
    history: list[Event] = Field(description="Every label event, oldest first")


class ExportQuery(Query):
    format: Literal["csv", "parquet"] = "csv"
    view: Literal["latest", "history"] = Field(
        "latest", description="Each anomaly's current label, or every label event"
    )


@blueprint.get("/anomalies")
@needs("viewer")
@validate(TAG, 200, AnomalyPage, query=AnomalyQuery, cacheable=True)
def list_anomalies(query: AnomalyQuery) -> AnomalyPage:
    """The review queue: anomalies matching the filters, in the chosen order."""
    store = runtime().store
    filters = query.model_dump(exclude={"limit", "cursor"})

    def fetch(n: int) -> list[Anomaly]:
        return store.anomalies(AnomalyFilter(**filters, limit=n))

    items, cursor = page(fetch, request.args, query.limit, query.cursor, WINDOW)
    return AnomalyPage(items=[AnomalyOut.of(a) for a in items], next_cursor=cursor)


@blueprint.get("/anomalies/<anomaly_id>")
@needs("viewer")
@validate(TAG, 200, AnomalyWithHistory, cacheable=True)
def get_anomaly(anomaly_id: str) -> AnomalyWithHistory:
    """One anomaly with its label history."""
    found = runtime().store.anomaly(anomaly_id)
    return AnomalyWithHistory(
        **AnomalyOut.of(found).model_dump(), history=[Event.of(e) for e in found.history]
    )


@blueprint.get("/labels")
@needs("viewer")
@validate("labels", 200, None, query=ExportQuery, cacheable=True)
def export_labels(query: ExportQuery) -> Response:
    """Labels as a file (CSV or Parquet) to train a detector on or to audit."""
    history = query.view == "history"
    body = export_bytes(runtime().store, query.format, history)
    kind = "text/csv" if query.format == "csv" else "application/vnd.apache.parquet"
    return Response(
        body,
        mimetype=kind,
        headers={
            "Content-Disposition": f'attachment; filename="{export_name(query.format, history)}"'
        },
    )
