"""The websocket routes (flask-sock): /ws, /ws/batteries and /live_recent_ws.

/ws speaks seed 000's requests, seed 001's messages and Hub subscriptions;
a client that sends nothing for 60 s is closed (seed 001's liveness rule).
The two feeds send a snapshot on connect, then every ingested reading.
Every message is one JSON object; a malformed one gets an error message and
the connection stays open; a frame over 1 MB closes it with 1009.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from flask import Flask, current_app, request
from flask_sock import Sock

from auth import request_user
from auth.gate import gate
from context import runtime
from data.entities import KnownIds
from errors import InvalidInput, VigilError
from live import battery_feed, channel_requests, explore_requests, geom_requests, machine_feed
from live.connection import (
    MAX_FRAME_BYTES,
    Connection,
    OpenConnections,
    StoreCalls,
    Wakeup,
    text_frame,
)
from live.hub import Message
from live.session import Session

log = logging.getLogger(__name__)

#: Seed 001: "Server expects every client to ping at least once a minute."
IDLE_SECONDS = 60.0
EXTENSION = "vigil-websockets"
#: One-key messages of /ws, and those answered before authentication.
MESSAGES = {**geom_requests.MESSAGES, **channel_requests.MESSAGES}
OPEN = explore_requests.OPEN | geom_requests.OPEN

sock = Sock()


def _no_compression() -> None:
    """Decline permessage-deflate, which browsers offer: one update fans out to a
    thousand sockets, and compressing ~200 bytes per socket costs more CPU than
    the bytes it saves. simple-websocket accepts whatever the client offers, so
    the offer is taken out of the handshake before it sees it."""
    request.environ.pop("HTTP_SEC_WEBSOCKET_EXTENSIONS", None)


@dataclass(frozen=True)
class _Shared:
    """Per app: the pool for store calls, the known entity ids and the open sockets."""

    calls: StoreCalls
    known: KnownIds
    opened: OpenConnections


def mount_websockets(server: Flask) -> None:
    """Add the websocket routes to `server` (after the Runtime is attached)."""
    server.config["SOCK_SERVER_OPTIONS"] = {
        "max_message_size": MAX_FRAME_BYTES,
        "event_class": Wakeup,
    }
    store = server.extensions["vigil"].store
    server.extensions[EXTENSION] = _Shared(StoreCalls(), KnownIds(store), OpenConnections())
    sock.init_app(server)


def close_websockets(server: Flask) -> int:
    """Close every websocket of `server` with 1001 (going away), and any opened later;
    returns how many were open. Safe to call from a signal handler."""
    return server.extensions[EXTENSION].opened.close_all()


def _session(
    ws: Any, frame_for: Callable[[Message], bytes | None], idle_seconds: float | None
) -> Session:
    shared: _Shared = current_app.extensions[EXTENSION]
    connection = Connection(ws, frame_for, idle_seconds, shared.opened)
    checker = gate()
    session = Session(
        runtime(), connection, shared.calls, shared.known, request_user(),
        checker.request_credential(),
    )  # fmt: skip
    connection.allowed = lambda: session.store(
        checker.still_valid, session.user, session.credential
    )
    return session


@sock.route("/ws")
def requests(ws: Any) -> None:
    session = _session(ws, update_frame, IDLE_SECONDS)
    try:
        for line in explore_requests.greeting(session):
            session.connection.send(line)
        session.connection.run(lambda text: [reply(session, text)])
    finally:
        if session.subscription is not None:
            session.subscription.close()


def update_frame(message: Message) -> bytes:
    """A subscription's update, `{"channel": ..., "data": ...}`, spliced from the hub's
    JSON and framed once for every subscriber."""
    return message.rendered("ws", _update_frame)


def _update_frame(message: Message) -> bytes:
    return text_frame(f'{{"channel":{json.dumps(message.channel)},"data":{message.text}}}')


def reply(session: Session, text: str) -> dict[str, Any]:
    """The answer to one /ws frame: a reply, or an error message (the socket stays open)."""
    name: Any = None
    try:
        message = parse_message(text)
        if "request" in message:
            name = message["request"]
            run: Callable[[], dict[str, Any]] = lambda: explore_requests.answer(session, message)  # noqa: E731
        elif len(message) == 1 and next(iter(message)) in MESSAGES:
            ((name, payload),) = message.items()
            run = lambda: MESSAGES[name](session, payload)  # noqa: E731
        else:
            raise InvalidInput(
                'unknown message: send {"request": NAME, ...} (one of '
                f"{', '.join(explore_requests.REQUESTS)}) or an object with one key, one of "
                f"{', '.join(MESSAGES)}",
                {"message": "unknown"},
            )
        if session.user is None and name not in OPEN:
            return geom_requests.UNAUTHORIZED
        return run()
    except VigilError as exc:
        return _error(exc, name)
    except Exception:
        log.exception("websocket request %r failed", name)
        return _error(VigilError("internal error; the server log has the details"), name)


def parse_message(text: str) -> dict[str, Any]:
    """A frame's JSON object, or InvalidInput saying what a message looks like."""
    try:
        message = json.loads(text)
    except ValueError as exc:
        raise InvalidInput(f"not JSON: {exc}", {"message": "malformed JSON"}) from None
    if not isinstance(message, dict):
        raise InvalidInput("every message is one JSON object", {"message": "not an object"})
    return message


def _error(exc: VigilError, name: Any) -> dict[str, Any]:
    body = exc.to_dict()
    if isinstance(name, str) and len(name) <= 40:
        body["request"] = name
    return body


def _feed(ws: Any, feed: ModuleType, path: str) -> None:
    """A feed: subscribe first, then send the snapshot, so no reading falls between."""
    session = _session(ws, feed.frame, None)
    refusal = _error(InvalidInput(f"{path} sends updates and takes no requests"), None)
    session.subscription = session.runtime.hub.subscribe(feed.CHANNELS, session.connection.deliver)
    try:
        session.connection.send(session.store(feed.snapshot, session.runtime.store))
        session.connection.run(lambda text: [refusal])
    except VigilError as exc:
        session.connection.send(exc.to_dict())
    finally:
        session.subscription.close()


@sock.route("/ws/batteries")
def batteries(ws: Any) -> None:
    _feed(ws, battery_feed, "/ws/batteries")


@sock.route("/live_recent_ws")
def live_recent(ws: Any) -> None:
    _feed(ws, machine_feed, "/live_recent_ws")


sock.bp.before_request(_no_compression)
