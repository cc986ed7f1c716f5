"""Subscribing a /ws connection to Hub channels: `{"subscribe": [...]}`, `{"unsubscribe": [...]}`.

Each answer lists the connection's channels: `{"subscribed": ["machine:M1", ...]}`;
updates then arrive as `{"channel": "machine:M1", "data": {...reading...}}`.
A channel must name a known machine, battery or sensor (or a kind's `*`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from errors import InvalidInput, NotFound
from live.hub import check_channel
from live.session import Session

MAX_CHANNELS = 100


def parse_channels(payload: Any) -> list[str]:
    """The channels of a (un)subscribe message: one name or a list of 1 to 100."""
    names = [payload] if isinstance(payload, str) else payload
    if not isinstance(names, list) or not 0 < len(names) <= MAX_CHANNELS:
        raise InvalidInput(
            f'name 1 to {MAX_CHANNELS} channels: {{"subscribe": ["machine:M1", "battery:*"]}}',
            {"subscribe": "a list of channels"},
        )
    for name in names:
        check_channel(name)
    return list(dict.fromkeys(names))


def _subscribe(session: Session, payload: Any) -> dict[str, Any]:
    names = parse_channels(payload)
    for name in names:
        kind, entity = check_channel(name)
        if entity != "*" and not session.store(session.known.exists, kind, entity):
            raise NotFound(f"no channel '{name}': there is no {kind} '{entity}'", {name: "unknown"})
    if session.subscription is None:
        session.subscription = session.runtime.hub.subscribe([], session.connection.deliver)
    session.subscription.add(names)
    return {"subscribed": sorted(session.subscription.channels)}


def _unsubscribe(session: Session, payload: Any) -> dict[str, Any]:
    names = parse_channels(payload)
    if session.subscription is not None:
        session.subscription.remove(names)
    return {"subscribed": sorted(session.subscription.channels if session.subscription else ())}


Handler = Callable[[Session, Any], dict[str, Any]]
MESSAGES: dict[str, Handler] = {"subscribe": _subscribe, "unsubscribe": _unsubscribe}
