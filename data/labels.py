"""Saving a label: the one code path of the review form, the JSON API and seed 000's
websocket `save` request.

A label is the latest of an anomaly's append-only feedback events. A save
that names only some fields (seed 000 sends `verify_anomaly` or
`anomaly_type`, never both) keeps the others from the current label, so each
event on its own says the whole label at that moment.
"""

from __future__ import annotations

from typing import Any, Final

from data.store import FeedbackEvent, Store

#: A field the save leaves as the current label has it.
KEEP: Final[Any] = object()


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
