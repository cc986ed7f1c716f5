"""Writing labels: the one code path of the review form, the JSON API and seed 000's
websocket `save` request.

A label is the latest of an anomaly's append-only feedback events. A save
that names only some fields (seed 000 sends `verify_anomaly` or
`anomaly_type`, never both) keeps the others from the current label, so each
event on its own says the whole label at that moment. Every write carries an
idempotency key: a double click or a retried request stores one event.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any, Final

from data.feedback import check_feedback
from data.store import Anomaly, FeedbackEvent, Store
from data.times import as_utc, utc_now
from errors import InvalidInput, NotFound

#: A field the save leaves as the current label has it.
KEEP: Final[Any] = object()
#: The detector named on anomalies analysts mark themselves.
ANALYST = "analyst"


def save_label(
    store: Store,
    anomaly_id: str,
    *,
    author: str,
    idempotency_key: str,
    verified: bool | None = KEEP,
    anomaly_type: str | None = KEEP,
    comment: str | None = KEEP,
) -> FeedbackEvent:
    """Append a label event; a retried request (same key) returns the first event."""
    current = store.anomaly(anomaly_id).history
    latest = current[-1] if current else None

    def pick(value: Any, field: str) -> Any:
        if value is not KEEP:
            return value
        return getattr(latest, field) if latest is not None else None

    return store.add_feedback(
        FeedbackEvent(
            anomaly_id=anomaly_id,
            verified=pick(verified, "verified"),
            anomaly_type=pick(anomaly_type, "anomaly_type"),
            comment=pick(comment, "comment"),
            author=author,
            idempotency_key=idempotency_key,
        )
    )


def undo_label(
    store: Store, anomaly_id: str, *, author: str, idempotency_key: str
) -> FeedbackEvent:
    """Append an event that gives the anomaly back the label it had before its latest
    event. Undoing an undo restores what it undid: undo always reverts the last change."""
    history = store.anomaly(anomaly_id).history
    if not history:
        raise InvalidInput(f"anomaly '{anomaly_id}' has no label to undo")
    undone = history[-1]
    before = history[-2] if len(history) > 1 else None
    return store.add_feedback(
        FeedbackEvent(
            anomaly_id=anomaly_id,
            verified=before.verified if before else None,
            anomaly_type=before.anomaly_type if before else None,
            comment=before.comment if before else None,
            author=author,
            idempotency_key=idempotency_key,
            reverts=undone.event_id,
        )
    )


def mark_anomaly(
    store: Store,
    *,
    table: str,
    entity: str | None,
    columns: list[str],
    start: datetime | str,
    end: datetime | str,
    author: str,
    idempotency_key: str,
    verified: bool | None = True,
    anomaly_type: str | None = None,
    comment: str | None = None,
) -> Anomaly:
    """An anomaly the detector missed, marked by an analyst on a chart, with its label.

    Its id comes from the idempotency key, so a retried request finds the
    anomaly (and the label) it stored the first time instead of adding another.
    """
    if not isinstance(idempotency_key, str) or not 0 < len(idempotency_key) <= 200:
        raise InvalidInput("idempotency_key must be a string of 1 to 200 characters")
    entity_column = store.entity_column(table)
    if entity_column is None:
        entity = None
    elif not entity:
        raise InvalidInput(f"choose the {entity_column} the anomaly belongs to")
    elif entity not in store.distinct(table, entity_column):
        raise NotFound(f"unknown {entity_column} '{entity}' in table '{table}'")
    digest = hashlib.sha256(idempotency_key.encode()).hexdigest()[:20]
    anomaly_id = f"{ANALYST}-{digest}"
    label = FeedbackEvent(
        anomaly_id=anomaly_id,
        verified=verified,
        anomaly_type=anomaly_type,
        comment=comment,
        author=author,
        idempotency_key=f"{idempotency_key}:label",
    )
    check_feedback(label)  # a label that would be refused must not leave its anomaly behind
    store.add_anomaly(
        Anomaly(
            id=anomaly_id,
            table_name=table,
            entity_id=entity,
            start=as_utc(start),
            end=as_utc(end),
            columns=list(columns),
            score=None,
            detector=ANALYST,
            version=None,
            details=json.dumps({"marked_by": author}),
            created=utc_now(),
        )
    )
    store.add_feedback(label)
    return store.anomaly(anomaly_id)
