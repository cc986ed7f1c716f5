"""The ingest bodies as the OpenAPI document shows them, built from api/validation.py's kinds.

The routes check batches with api/validation.py itself (all or nothing, 400
naming every bad item, entities checked against the store); these models
say the same rules to a client, from the same ranges and limits.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model

from api.schemas import Number, Time
from api.validation import BATTERY, MACHINE, MAX_BATCH, MAX_ID, SENSOR, Kind


def _item(kind: Kind) -> type[BaseModel]:
    fields: dict[str, Any] = {
        kind.entity: (str, Field(min_length=1, max_length=MAX_ID)),
        "time": (Time, Field(description="ISO 8601 with its UTC offset, at most 5 min ahead")),
    }
    for name, (low, high) in kind.numbers.items():
        fields[name] = (Number | None, Field(None, ge=low, le=high))
    for name, allowed in kind.choices.items():
        fields[name] = (Literal[allowed] | None, None)  # type: ignore[valid-type]
    if kind.payload:
        fields["payload"] = (Any, Field(None, description="Any JSON value, at most 4,096 chars"))
    return create_model(f"{kind.name.title()}Item", __config__=ConfigDict(extra="forbid"), **fields)


class Readings(BaseModel):
    model_config = ConfigDict(extra="forbid")
    readings: list[_item(MACHINE) | _item(BATTERY)] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=MAX_BATCH
    )


class Heartbeats(BaseModel):
    model_config = ConfigDict(extra="forbid")
    heartbeats: list[_item(SENSOR)] = Field(  # type: ignore[valid-type]
        min_length=1, max_length=MAX_BATCH
    )


class Ingested(BaseModel):
    written: dict[str, int] = Field(description="Rows written per table")
    published: int = Field(description="Live updates sent to the dashboard")
    warning: str | None = Field(None, description="Why the live update failed, if it did")
