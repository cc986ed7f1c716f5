"""One websocket connection: one thread sends everything, in order, and nothing is dropped.

simple-websocket (under flask-sock) reads frames on a thread of its own and
signals each through an Event. `Wakeup` makes that signal also land in the
connection's outbox, next to the hub messages the subscription queued, so a
single loop waits on one queue and is the only writer: replies and live
updates leave in the order they happened, with no lock and no polling.

A client that cannot keep up (its backlog passes MAX_BACKLOG) is closed with
1013 rather than dropping messages silently; the page's client reconnects and
starts again from a fresh snapshot. Store calls run on a small pool with a
timeout (StoreCalls), so a slow query answers with an error instead of
holding the connection forever.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import logging
import math
import queue
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from simple_websocket import ConnectionClosed

from errors import Unavailable

log = logging.getLogger(__name__)

#: A frame larger than this closes the connection with 1009 (message too big).
MAX_FRAME_BYTES = 1024 * 1024
#: Live messages waiting for a slow client before it is closed (1013) to reconnect.
MAX_BACKLOG = 10_000
#: Longest a websocket request waits for the store.
STORE_TIMEOUT_SECONDS = 15.0
STORE_WORKERS = 8

CLOSE_IDLE = 1008  # policy violation: no message within the liveness window
CLOSE_BEHIND = 1013  # try again later: the client fell too far behind

_INCOMING = object()
T = TypeVar("T")


class Wakeup(threading.Event):
    """simple-websocket's "a frame arrived (or the socket closed)" event, which also
    wakes the connection's loop; passed to it as `event_class`."""

    def __init__(self) -> None:
        super().__init__()
        self.outbox: queue.SimpleQueue[Any] | None = None

    def set(self) -> None:
        super().set()
        if self.outbox is not None:
            self.outbox.put(_INCOMING)


class StoreCalls:
    """A bounded pool for the store work of websocket requests, each with a timeout.

    Bounded, so a thousand sockets asking at once queue here instead of opening
    a thousand database connections.
    """

    def __init__(self, workers: int = STORE_WORKERS, timeout: float = STORE_TIMEOUT_SECONDS):
        self.timeout = timeout
        self._pool = concurrent.futures.ThreadPoolExecutor(workers, "vigil-ws-store")

    def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        future = self._pool.submit(fn, *args, **kwargs)
        try:
            return future.result(timeout=self.timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise Unavailable(
                f"store unavailable: no answer within {self.timeout:.0f} s; try again"
            ) from None


def to_json(message: Any) -> str:
    """One frame's text: NaN and infinities (missing readings) become null."""
    try:
        return json.dumps(message, separators=(",", ":"), allow_nan=False)
    except ValueError:
        return json.dumps(_finite(message), separators=(",", ":"), allow_nan=False)


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


class Connection:
    """The outbox and send loop of one accepted websocket."""

    def __init__(self, ws: Any, idle_seconds: float | None = None) -> None:
        self.ws = ws
        self.idle_seconds = idle_seconds
        self.outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._backlog = 0
        self._behind = False
        self._lock = threading.Lock()
        ws.event.outbox = self.outbox
        self.outbox.put(_INCOMING)  # frames that came before the outbox was attached

    def deliver(self, channel: str, message: dict[str, Any]) -> None:
        """The hub's callback: queue a live message for this connection's thread."""
        with self._lock:
            if self._behind:
                return
            self._backlog += 1
            if self._backlog > MAX_BACKLOG:
                self._behind = True
        self.outbox.put((channel, message))

    def send(self, message: Any) -> None:
        self.ws.send(message if isinstance(message, str) else to_json(message))

    def run(
        self,
        on_text: Callable[[str], Iterable[Any]],
        on_update: Callable[[str, dict[str, Any]], Any],
    ) -> None:
        """Until the socket closes: answer each frame with `on_text`'s replies and send
        `on_update`'s rendering of each hub message (None sends nothing)."""
        deadline = self._deadline()
        try:
            while True:
                wait = None if deadline is None else max(0.0, deadline - time.monotonic())
                try:
                    item = self.outbox.get(timeout=wait)
                except queue.Empty:
                    self.close(CLOSE_IDLE, f"no message for {self.idle_seconds:.0f} s")
                    return
                if self._behind:
                    self.close(CLOSE_BEHIND, f"more than {MAX_BACKLOG} messages behind")
                    return
                if item is _INCOMING:
                    while (text := self.ws.receive(timeout=0)) is not None:
                        deadline = self._deadline()
                        for reply in on_text(text if isinstance(text, str) else _text(text)):
                            self.send(reply)
                    continue
                with self._lock:
                    self._backlog -= 1
                rendered = on_update(*item)
                if rendered is not None:
                    self.send(rendered)
        except (ConnectionClosed, OSError):
            return

    def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            self.ws.close(code, reason)

    def _deadline(self) -> float | None:
        return None if self.idle_seconds is None else time.monotonic() + self.idle_seconds


def _text(data: bytes) -> str:
    """A binary frame read as UTF-8 text (invalid bytes replaced, then refused as JSON)."""
    return data.decode("utf-8", "replace")
