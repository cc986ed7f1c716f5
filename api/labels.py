"""Label writes: the review form's own path (data/labels.py), keyed by `Idempotency-Key`.

A retried request with the same key stores nothing new and gets the first
event back; a key already spent on a different request is a 409.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api import blueprint
from api.access import caller, needs
from api.anomalies import Event
from api.schemas import Flag, Strict, text
from api.spec import validate
from context import runtime
from data.feedback import MAX_FEEDBACK_COMMENT, MAX_FEEDBACK_TYPE
from data.labels import KEEP, save_label, undo_label
from data.store import FeedbackEvent
from errors import Conflict

TAG = "labels"


class Key(BaseModel):
    """The idempotency key header: a retried request stores one event."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)
    idempotency_key: str = Field(
        alias="Idempotency-Key", min_length=1, max_length=200, pattern=r"\S"
    )


class LabelIn(Strict):
    """The fields a label changes; a field left out keeps the current label's value."""

    verified: Flag | None = Field(None, description="true: an anomaly, false: not one")
    anomaly_type: text(MAX_FEEDBACK_TYPE, 1) | None = None  # type: ignore[valid-type]
    comment: text(MAX_FEEDBACK_COMMENT) | None = None  # type: ignore[valid-type]

    @model_validator(mode="after")
    def _says_something(self) -> LabelIn:
        if not self.model_fields_set:
            raise ValueError("send at least one of verified, anomaly_type, comment")
        return self


def _same_request(event: FeedbackEvent, anomaly_id: str, undo: bool, **wanted: Any) -> None:
    """Conflict when a key's first event is not what this request asks for."""
    differs = (
        event.anomaly_id != anomaly_id
        or (event.reverts is not None) != undo
        or any(getattr(event, name) != value for name, value in wanted.items())
    )
    if differs:
        raise Conflict(
            "this Idempotency-Key was already used for a different label request",
            {"Idempotency-Key": "already used"},
        )


@blueprint.post("/anomalies/<anomaly_id>/labels")
@needs("labeller")
@validate(TAG, 201, Event, json=LabelIn, headers=Key)
def save(anomaly_id: str, json: LabelIn, headers: Key) -> tuple[Event, int]:
    """Label an anomaly (verify, reject, name its type, comment)."""
    user = caller()
    given = json.model_dump(include=json.model_fields_set)
    event = save_label(
        runtime().store,
        anomaly_id,
        author=user.name,
        idempotency_key=headers.idempotency_key,
        **{name: given.get(name, KEEP) for name in ("verified", "anomaly_type", "comment")},
    )
    _same_request(event, anomaly_id, undo=False, **given)
    return Event.of(event), 201


@blueprint.post("/anomalies/<anomaly_id>/labels/undo")
@needs("labeller")
@validate(TAG, 201, Event, headers=Key)
def undo(anomaly_id: str, headers: Key) -> tuple[Event, int]:
    """Give the anomaly back the label it had before its latest event."""
    user = caller()
    event = undo_label(
        runtime().store, anomaly_id, author=user.name, idempotency_key=headers.idempotency_key
    )
    _same_request(event, anomaly_id, undo=True)
    return Event.of(event), 201
