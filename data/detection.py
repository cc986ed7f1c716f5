"""Detection runs: a detector learns a normal period and proposes anomalies for a range.

The one code path of `python app.py detect` and of the admins' button in the
UI (whose callback calls `require("admin")` before it). Rows come through
`Store.read_rows`, so a long range is scored chunk by chunk in bounded
memory; consecutive anomalous rows become one anomaly. Nothing is written
until the whole range is scored, and then in one all-or-nothing write, so a
bad value late in the range leaves the anomaly table as it was.

An anomaly runs from its first anomalous row to one sampling interval (the
training rows' median spacing) after its last, so a single row has a span
too. Its id is derived from its table, entity, detector, version and span, so
running the same detection again proposes nothing twice.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime

import pandas as pd

from analytics.detect import BEST, Detector, make_detector
from analytics.events import Event, EventMerger
from analytics.scan import scan
from data import readpath
from data.store import AnomalyFilter, Store
from data.times import as_utc, utc_now
from errors import InvalidInput

#: Most training rows one fit reads: a normal period, not the table's history.
MAX_TRAIN_ROWS = 200_000
#: Most entities one run goes through when none is named.
MAX_ENTITIES = 10_000
#: Most anomalies of the detector over the range looked up to skip those found before.
MAX_KNOWN = 1_000_000
#: Called with the share of the run done, from 0 to 1.
Progress = Callable[[float], None]


@dataclass(frozen=True)
class DetectionRequest:
    table: str
    columns: tuple[str, ...]
    train: tuple[datetime, datetime]
    span: tuple[datetime, datetime]
    detector: str = BEST
    #: Entities to run on; empty: every entity of the table, each on its own model.
    entities: tuple[str, ...] = ()


@dataclass(frozen=True)
class DetectionResult:
    detector: str
    version: str
    entities: int
    rows: int  # rows scored
    found: int  # anomalies proposed
    written: list[str]  # ids of the anomalies added
    existing: int  # proposed by an earlier run already: not written again


def run_detection(
    store: Store,
    request: DetectionRequest,
    progress: Progress | None = None,
    chunk_rows: int = Store.ROW_CHUNK,
) -> DetectionResult:
    """Fit, scan and write; VigilError for bad input, with nothing written."""
    train, span = (
        _checked_span(request.train, "training range"),
        _checked_span(request.span, "range"),
    )
    version = make_detector(request.detector).version  # an unknown name fails before any query
    if not request.columns:
        raise InvalidInput("choose at least one column to detect anomalies in")
    readpath.check_columns(store, request.table, request.columns, {"metric"})
    entity_column, entities = _entities(store, request)
    report = progress or (lambda _done: None)
    records, rows = [], 0
    for i, entity in enumerate(entities):
        filters = None if entity is None else {str(entity_column): entity}
        try:
            detector, step = _fitted(store, request, train, filters)
            merger = EventMerger()
            chunks = store.read_rows(request.table, request.columns, *span, filters, chunk_rows)
            for scores, flags in scan(detector, _reported(chunks, span, i, len(entities), report)):
                merger.add(scores, flags)
                rows += len(scores)
        except InvalidInput as exc:
            if entity is None:
                raise
            raise InvalidInput(f"{entity_column} '{entity}': {exc.message}") from None
        records += [_record(request, train, detector, entity, e, step) for e in merger.finish()]
    fresh = _new(store, request, span, records)
    if fresh:
        store.write("anomalies", pd.DataFrame(fresh))
    report(1.0)
    return DetectionResult(
        detector=request.detector,
        version=version,
        entities=len(entities),
        rows=rows,
        found=len(records),
        written=[str(r["id"]) for r in fresh],
        existing=len(records) - len(fresh),
    )


def anomaly_id(
    table: str, entity: str | None, detector: str, version: str, start: datetime, end: datetime
) -> str:
    """The same event found again gets the same id: runs never duplicate an anomaly."""
    key = "\x1f".join(
        [table, entity or "", detector, version, as_utc(start).isoformat(), as_utc(end).isoformat()]
    )
    return "det-" + hashlib.sha256(key.encode()).hexdigest()[:40]


def parse_span(text: str, what: str) -> tuple[datetime, datetime]:
    """'START..END' (times as ISO 8601, UTC when they say no zone) as a pair of UTC times."""
    start, sep, end = str(text).partition("..")
    if not sep or not start.strip() or not end.strip():
        raise InvalidInput(
            f"the {what} must be written START..END, e.g. 2026-01-05T00:00..2026-01-05T06:00"
        )
    return as_utc(start.strip()), as_utc(end.strip())


# -- the steps -----------------------------------------------------------------------------
def _checked_span(span: tuple[datetime, datetime], what: str) -> tuple[datetime, datetime]:
    start, end = as_utc(span[0]), as_utc(span[1])
    if end <= start:
        raise InvalidInput(f"the {what} must end after it starts")
    return start, end


def _entities(store: Store, request: DetectionRequest) -> tuple[str | None, list[str | None]]:
    """The table's entity column and the entities to run on ([None] without entities)."""
    entity_column = store.entity_column(request.table)
    if entity_column is None:
        if request.entities:
            raise InvalidInput(f"table '{request.table}' has no entity column to choose from")
        return None, [None]
    if request.entities:
        return entity_column, list(dict.fromkeys(request.entities))
    found = store.distinct(request.table, entity_column, limit=MAX_ENTITIES)
    if not found:
        raise InvalidInput(f"table '{request.table}' holds no rows")
    return entity_column, list(found)


def _fitted(
    store: Store,
    request: DetectionRequest,
    train: tuple[datetime, datetime],
    filters: Mapping[str, str] | None,
) -> tuple[Detector, pd.Timedelta]:
    """The fitted detector, and the usual spacing of the training rows."""
    frames, rows = [], 0
    for chunk in store.read_rows(request.table, request.columns, *train, filters):
        rows += len(chunk)
        if rows > MAX_TRAIN_ROWS:
            raise InvalidInput(
                f"the training range holds more than {MAX_TRAIN_ROWS:,} rows: "
                "choose a shorter normal period"
            )
        frames.append(chunk)
    if not frames:
        raise InvalidInput(
            f"the training range {train[0].isoformat()}..{train[1].isoformat()} holds no rows "
            f"of '{request.table}': choose a period with data"
        )
    rows_seen = pd.concat(frames)
    return make_detector(request.detector).fit(rows_seen), _spacing(rows_seen.index)


def _spacing(times: pd.Index) -> pd.Timedelta:
    """The median time between consecutive rows (1 s when no two rows differ in time)."""
    gaps = pd.Series(times).diff()
    gaps = gaps[gaps > pd.Timedelta(0)]
    return gaps.median() if len(gaps) else pd.Timedelta(seconds=1)


def _reported(
    chunks: Iterable[pd.DataFrame],
    span: tuple[datetime, datetime],
    entity: int,
    entities: int,
    report: Progress,
) -> Iterator[pd.DataFrame]:
    """The chunks, reporting the share done by the time each one reaches."""
    start, end = span
    for chunk in chunks:
        yield chunk
        reached = (chunk.index[-1] - start) / (end - start) if len(chunk) else 0.0
        report((entity + min(1.0, max(0.0, reached))) / entities)


def _record(
    request: DetectionRequest,
    train: tuple[datetime, datetime],
    detector: Detector,
    entity: str | None,
    event: Event,
    step: pd.Timedelta,
) -> dict[str, object]:
    # An anomaly covers its rows' sampling intervals: from its first row to one
    # interval after its last, so that even a single row has a span to show.
    end = event.end + step
    details = {
        "rows": event.rows,
        "peak": event.peak.isoformat(),
        "threshold": detector.threshold,
        "train": [train[0].isoformat(), train[1].isoformat()],
    }
    return {
        "id": anomaly_id(request.table, entity, detector.name, detector.version, event.start, end),
        "table_name": request.table,
        "entity_id": entity,
        "start": event.start,
        "end": end,
        "columns": ",".join(request.columns),
        "score": round(float(event.score), 6),
        "detector": detector.name,
        "version": detector.version,
        "details": json.dumps(details),
        "created": utc_now(),
    }


def _new(
    store: Store,
    request: DetectionRequest,
    span: tuple[datetime, datetime],
    records: list[dict[str, object]],
) -> list[dict[str, object]]:
    """The records whose anomaly is not in the store yet, each once."""
    if not records:
        return []
    overlapping = AnomalyFilter(
        table=request.table, detector=request.detector, start=span[0], end=span[1], limit=MAX_KNOWN
    )
    known = store.anomalies(overlapping)
    seen = {a.id for a in known}
    fresh = []
    for record in records:
        if record["id"] not in seen:
            seen.add(str(record["id"]))
            fresh.append(record)
    return fresh
