"""Rules every backend applies to label events before storing them."""

from __future__ import annotations

import uuid
from datetime import datetime

from data.store import FeedbackEvent
from errors import InvalidInput

MAX_FEEDBACK_TYPE = 200
MAX_FEEDBACK_COMMENT = 5000


def new_event_id(created: datetime) -> str:
    """Ids that sort by time, so 'latest event' has a tie-breaker on every backend."""
    return f"{created:%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:12]}"


def check_feedback(event: FeedbackEvent) -> None:
    """Refuse a label event that no backend should store."""
    if not isinstance(event.anomaly_id, str) or not event.anomaly_id:
        raise InvalidInput("anomaly_id must be a non-empty string")
    if event.verified is not None and not isinstance(event.verified, bool):
        raise InvalidInput("verified must be true, false or null")
    if event.anomaly_type is not None:
        if not isinstance(event.anomaly_type, str) or not event.anomaly_type.strip():
            raise InvalidInput("anomaly_type must be a non-empty string")
        if len(event.anomaly_type) > MAX_FEEDBACK_TYPE:
            raise InvalidInput(f"anomaly_type must be at most {MAX_FEEDBACK_TYPE} characters")
    if event.comment is not None and (
        not isinstance(event.comment, str) or len(event.comment) > MAX_FEEDBACK_COMMENT
    ):
        raise InvalidInput(f"comment must be text of at most {MAX_FEEDBACK_COMMENT} characters")
    if not isinstance(event.author, str) or not event.author:
        raise InvalidInput("author must be a non-empty string")
    if not isinstance(event.idempotency_key, str) or not 0 < len(event.idempotency_key) <= 200:
        raise InvalidInput("idempotency_key must be a string of 1 to 200 characters")
    if event.reverts is not None and (not isinstance(event.reverts, str) or not event.reverts):
        raise InvalidInput("reverts must be the id of an event")
