"""Labels out of Vigil: each anomaly's current label, or every event, as CSV or Parquet.

One table whatever the backend: the anomaly's identity and place beside the
label, times in UTC (ISO 8601 in CSV), so the file can train a detector or be
audited without Vigil.
"""

from __future__ import annotations

import io
from typing import BinaryIO, Literal

import pandas as pd

from data.store import AnomalyFilter, Store
from errors import InvalidInput

Format = Literal["csv", "parquet"]
FORMATS: tuple[Format, ...] = ("csv", "parquet")
#: Every anomaly a store holds, for joining labels to them.
ALL_ANOMALIES = AnomalyFilter(limit=100_000_000)
COLUMNS = (
    "anomaly_id",
    "table_name",
    "entity_id",
    "start",
    "end",
    "columns",
    "detector",
    "version",
    "score",
    "event_id",
    "labelled_at",
    "author",
    "verified",
    "anomaly_type",
    "comment",
    "reverts",
)


def label_frame(store: Store, history: bool = False) -> pd.DataFrame:
    """The current label of every labelled anomaly, or (history) every label event."""
    events = store.feedback_events()
    if not history:
        latest = {e.anomaly_id: e for e in events}  # oldest first: the last one wins
        events = sorted(latest.values(), key=lambda e: (e.created, e.event_id))
    anomalies = {a.id: a for a in store.anomalies(ALL_ANOMALIES)} if events else {}
    rows = []
    for event in events:
        anomaly = anomalies.get(event.anomaly_id)
        rows.append(
            {
                "anomaly_id": event.anomaly_id,
                "table_name": anomaly.table_name if anomaly else None,
                "entity_id": anomaly.entity_id if anomaly else None,
                "start": anomaly.start if anomaly else None,
                "end": anomaly.end if anomaly else None,
                "columns": ",".join(anomaly.columns) if anomaly else None,
                "detector": anomaly.detector if anomaly else None,
                "version": anomaly.version if anomaly else None,
                "score": anomaly.score if anomaly else None,
                "event_id": event.event_id,
                "labelled_at": event.created,
                "author": event.author,
                "verified": event.verified,
                "anomaly_type": event.anomaly_type,
                "comment": event.comment,
                "reverts": event.reverts,
            }
        )
    frame = pd.DataFrame(rows, columns=list(COLUMNS))
    for name in ("start", "end", "labelled_at"):
        frame[name] = pd.to_datetime(frame[name], utc=True)
    frame["verified"] = frame["verified"].astype("boolean")
    frame["score"] = frame["score"].astype(float)
    return frame


def write_labels(frame: pd.DataFrame, fmt: str, out: BinaryIO) -> None:
    """Write the frame to a binary file object in `fmt`."""
    if fmt == "csv":
        text = frame.to_csv(index=False, date_format="%Y-%m-%dT%H:%M:%S.%fZ")
        out.write(text.encode())
    elif fmt == "parquet":
        frame.to_parquet(out, index=False)
    else:
        raise InvalidInput(f"format must be one of {', '.join(FORMATS)}, not '{fmt}'")


def export_bytes(store: Store, fmt: str, history: bool = False) -> bytes:
    buffer = io.BytesIO()
    write_labels(label_frame(store, history), fmt, buffer)
    return buffer.getvalue()


def export_name(fmt: str, history: bool) -> str:
    return f"vigil-labels-{'history' if history else 'latest'}.{fmt}"
