"""Cursor pagination and ETags for the API's reads.

A cursor is opaque to clients: the offset of the next page and a digest of
the query it belongs to, so a cursor sent with other filters is refused
rather than silently paging through a different list. Stores are asked for
the rows up to the end of the page (and one more, to know whether a next
page exists); lists page through at most `window` items.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

from flask import Response, request

from errors import InvalidInput

T = TypeVar("T")


def _digest(query: Mapping[str, Any]) -> str:
    kept = {k: str(v) for k, v in query.items() if k not in ("cursor", "limit")}
    return hashlib.sha256(json.dumps(kept, sort_keys=True).encode()).hexdigest()[:16]


def encode(offset: int, query: Mapping[str, Any]) -> str:
    raw = json.dumps({"o": offset, "q": _digest(query)}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None, query: Mapping[str, Any]) -> int:
    """The offset a cursor stands for; InvalidInput for a forged or foreign one."""
    if not cursor:
        return 0
    try:
        found = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        offset, digest = found["o"], found["q"]
    except (ValueError, TypeError, KeyError, binascii.Error):
        raise InvalidInput("this cursor was not made by Vigil", {"cursor": "unknown"}) from None
    if not isinstance(offset, int) or offset < 0 or digest != _digest(query):
        raise InvalidInput(
            "this cursor belongs to another query: send the same filters as the first page",
            {"cursor": "other query"},
        )
    return offset


def page(
    fetch: Callable[[int], Sequence[T]],
    query: Mapping[str, Any],
    limit: int,
    cursor: str | None,
    window: int,
) -> tuple[list[T], str | None]:
    """One page of the list `fetch(n)` returns the first n items of; with the next cursor."""
    offset = decode(cursor, query)
    if offset >= window:
        raise InvalidInput(
            f"lists page through their first {window:,} items; narrow the filters",
            {"cursor": "beyond the window"},
        )
    wanted = min(offset + limit + 1, window)
    found = list(fetch(wanted))
    items = found[offset : offset + limit]
    more = len(found) > offset + limit and offset + limit < window
    return items, encode(offset + limit, query) if more else None


def conditional(response: Response) -> Response:
    """An ETag on a successful read, and 304 when the client already holds that body."""
    if request.method == "GET" and response.status_code == 200 and not response.is_streamed:
        response.add_etag()
        response.headers.setdefault("Cache-Control", "private, no-cache")
        response.make_conditional(request)
    return response
