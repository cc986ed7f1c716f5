"""The pydantic types the API's models are built from: strict, bounded, documented.

Bodies are checked strictly (a number sent as text is refused, not coerced),
so what the OpenAPI document forbids the server refuses too; times are ISO 8601
text with a UTC offset, dates YYYY-MM-DD.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field


def _iso_time(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str):
        raise ValueError("must be an ISO 8601 time with its UTC offset, like 2026-01-05T10:00:00Z")
    return datetime.fromisoformat(value)


def _iso_date(value: Any) -> Any:
    if isinstance(value, date):
        return value
    if not isinstance(value, str) or len(value) != 10:
        raise ValueError("must be a date, like 2026-01-05")
    return date.fromisoformat(value)


Time = Annotated[AwareDatetime, Field(strict=True), BeforeValidator(_iso_time)]
Day = Annotated[date, Field(strict=True), BeforeValidator(_iso_date)]
Number = Annotated[float, Field(strict=True, allow_inf_nan=False)]
Flag = Annotated[bool, Field(strict=True)]
#: An id in a path or a body: 1 to 64 characters, not only blanks.
Id = Annotated[str, Field(strict=True, min_length=1, max_length=64, pattern=r"\S")]


def text(most: int, least: int = 0, pattern: str | None = None) -> Any:
    """Text of `least` to `most` characters (`least` 1: not only blanks either)."""
    pattern = pattern or (r"\S" if least else None)
    return Annotated[str, Field(strict=True, min_length=least, max_length=most, pattern=pattern)]


class Strict(BaseModel):
    """A request model: an unknown field is refused, not ignored."""

    model_config = ConfigDict(extra="forbid")


class Query(BaseModel):
    """A query string: unknown parameters refused; values arrive as text."""

    model_config = ConfigDict(extra="forbid")


class ErrorDetail(BaseModel):
    code: int = Field(description="The HTTP status")
    message: str = Field(description="What went wrong, in a sentence meant for a person")
    fields: dict[str, str] = Field(description="What is wrong with each named field")


class ErrorBody(BaseModel):
    """errors.py's one error shape."""

    error: ErrorDetail


class Paged(Query):
    """A list's paging: `limit` items after the `cursor` of the previous page."""

    limit: int = Field(100, ge=1, le=1000, description="Items per page")
    cursor: str | None = Field(
        None, max_length=200, description="`next_cursor` of the previous page"
    )
