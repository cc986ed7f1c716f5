"""One websocket connection: replies and live updates in order, nothing dropped.

simple-websocket (under flask-sock) reads frames on a thread of its own and
signals each through an Event. `Wakeup` makes that signal also land in the
connection's outbox, so the connection's thread waits on one queue for both
client frames to answer and live frames that had to wait (see `Connection`:
most updates are written by the hub's thread directly, without waking it).

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
import socket
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from simple_websocket import ConnectionClosed

from errors import Unavailable
from live.hub import Message

log = logging.getLogger(__name__)

#: A frame larger than this closes the connection with 1009 (message too big).
MAX_FRAME_BYTES = 1024 * 1024
#: Live messages waiting for a slow client before it is closed (1013) to reconnect.
MAX_BACKLOG = 10_000
#: Longest a websocket request waits for the store.
STORE_TIMEOUT_SECONDS = 15.0
STORE_WORKERS = 8

CLOSE_GOING_AWAY = 1001  # the server shuts down (SIGTERM): reconnect to another instance
CLOSE_IDLE = 1008  # policy violation: no message within the liveness window
CLOSE_REVOKED = 1008  # policy violation too: its token or session ended, its user changed
#: How often an open connection asks whether its user may still keep it.
CHECK_SECONDS = 20.0
CLOSE_BEHIND = 1013  # try again later: the client fell too far behind

_DONTWAIT = socket.MSG_DONTWAIT
_INCOMING = object()
_GOING_AWAY = object()
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


def text_frame(text: str) -> bytes:
    """A complete, unmasked text frame, server to client (RFC 6455, 5.2). With no
    extension negotiated these are the same bytes for every client, so a live
    update is framed once and written to each socket as it is."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        head = bytes((0x81, size))
    elif size < 1 << 16:
        head = bytes((0x81, 126)) + size.to_bytes(2, "big")
    else:
        head = bytes((0x81, 127)) + size.to_bytes(8, "big")
    return head + payload


class _LockedSocket:
    """The socket as simple-websocket sees it: its own writes (replies, pongs, close
    frames) take the connection's write lock, so no frame is cut into by another."""

    def __init__(self, sock: socket.socket, lock: threading.Lock) -> None:
        self._sock = sock
        self._lock = lock

    def send(self, data: bytes, *flags: int) -> int:
        with self._lock:
            self._sock.sendall(data)
        return len(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class OpenConnections:
    """The connections of one app that are open, so a shutdown can close each with 1001.

    `close_all` only puts a marker in each outbox (a SimpleQueue, safe to use from
    a signal handler): every connection's own thread sends its close frame.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: set[Connection] = set()
        self._closing = False

    def add(self, connection: Connection) -> None:
        with self._lock:
            self._open.add(connection)
            if self._closing:  # opened while the server was already going away
                connection.go_away()

    def discard(self, connection: Connection) -> None:
        with self._lock:
            self._open.discard(connection)

    def close_all(self) -> int:
        """Ask every open connection (and any opened from now on) to close; how many."""
        with self._lock:
            self._closing = True
            for connection in self._open:
                connection.go_away()
            return len(self._open)


class Connection:
    """The outbox and send loop of one accepted websocket.

    A live update normally leaves on the hub's own thread: `deliver` writes its
    frame without blocking when nothing waits before it, so one message reaches
    a thousand sockets without waking a thousand threads. When the socket is
    busy (a reply is being sent) or its buffer is full, the frame waits in the
    outbox and the connection's thread sends it, in order. A socket that took
    only part of a frame has megabytes unread: that client is closed (it
    reconnects), since nothing may be written between the two parts.
    Only the hub's thread calls `deliver`; every write holds `_write`.
    """

    def __init__(
        self,
        ws: Any,
        frame_for: Callable[[Message], bytes | None],
        idle_seconds: float | None = None,
        opened: OpenConnections | None = None,
        allowed: Callable[[], bool] | None = None,
    ) -> None:
        self.ws = ws
        self.opened = opened or OpenConnections()
        self.frame_for = frame_for
        self.idle_seconds = idle_seconds
        #: Asked every CHECK_SECONDS; False closes the connection (a revoked token's).
        self.allowed = allowed
        self.outbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self._write = threading.Lock()
        self._state = threading.Lock()
        self._raw: socket.socket = ws.sock
        with contextlib.suppress(OSError):  # a live update leaves at once, as asyncio's sockets do
            self._raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        ws.sock = _LockedSocket(self._raw, self._write)
        self._queued = 0  # live frames waiting in the outbox
        self._held = True  # until `release_live()`: updates wait behind a snapshot
        self._behind = False
        ws.event.outbox = self.outbox
        self.outbox.put(_INCOMING)  # frames that came before the outbox was attached

    def deliver(self, message: Message) -> None:
        """The hub's callback: write the frame now if the socket takes it, else queue it.

        Runs once per subscriber and message (10,000 times a second in bench/live.py),
        so the send is written out here rather than called: the socket's own cost is
        ~11 µs on the bench machine, the Python around it about 1 µs (bench/README.md)."""
        if self._behind:
            return
        frame = self.frame_for(message)
        if frame is None:
            return
        if self._held or self._queued or not self._write.acquire(blocking=False):
            self._enqueue(frame)
            return
        try:
            # A dead socket counts as sent: the connection's thread sees it closed and ends.
            sent = self._raw.send(frame, _DONTWAIT) if self.ws.connected else len(frame)
            if 0 < sent < len(frame):  # nothing may be written between a frame's two parts
                self._abort()
                return
        except BlockingIOError:
            sent = 0
        except OSError:
            return
        finally:
            self._write.release()
        if not sent:
            self._enqueue(frame)

    def release_live(self) -> None:
        """Let updates go straight out: what had to precede them has been sent."""
        self._held = False

    def go_away(self) -> None:
        """Have the connection's thread close it with 1001: the server is shutting down."""
        self.outbox.put(_GOING_AWAY)

    def send(self, message: Any) -> None:
        self.ws.send(message if isinstance(message, str) else to_json(message))

    def run(self, on_text: Callable[[str], Iterable[Any]]) -> None:
        """Until the socket closes: answer each frame with `on_text`'s replies, and send
        the live frames that had to wait."""
        self.release_live()
        deadline = self._deadline()
        check = time.monotonic() + CHECK_SECONDS
        self.opened.add(self)
        try:
            while True:
                wait = None if deadline is None else max(0.0, deadline - time.monotonic())
                if self.allowed is not None:
                    wait = min(wait if wait is not None else CHECK_SECONDS, CHECK_SECONDS)
                try:
                    item = self.outbox.get(timeout=wait)
                except queue.Empty:
                    item = None
                if item is _GOING_AWAY:
                    self.close(CLOSE_GOING_AWAY, "server shutting down")
                    return
                if self.allowed is not None and time.monotonic() >= check:
                    check = time.monotonic() + CHECK_SECONDS
                    if not self._still_allowed():
                        self.close(
                            CLOSE_REVOKED, "the credentials were revoked or the account changed"
                        )
                        return
                if item is None:
                    if deadline is not None and time.monotonic() >= deadline:
                        self.close(CLOSE_IDLE, f"no message for {self.idle_seconds:.0f} s")
                        return
                    continue
                if self._behind:
                    self.close(CLOSE_BEHIND, f"more than {MAX_BACKLOG} messages behind")
                    return
                if item is _INCOMING:
                    while (text := self.ws.receive(timeout=0)) is not None:
                        deadline = self._deadline()
                        for reply in on_text(text if isinstance(text, str) else _text(text)):
                            self.send(reply)
                    continue
                with self._write:
                    self._raw.sendall(item)
                with self._state:
                    self._queued -= 1
        except (ConnectionClosed, OSError):
            return
        finally:
            self.opened.discard(self)

    def _still_allowed(self) -> bool:
        try:
            return bool(self.allowed and self.allowed())
        except Exception:  # the store cannot say now: keep the connection, ask again later
            log.warning("could not check a websocket's user", exc_info=True)
            return True

    def close(self, code: int, reason: str) -> None:
        with contextlib.suppress(ConnectionClosed, OSError):
            self.ws.close(code, reason)

    def _abort(self) -> None:
        self._behind = True
        with contextlib.suppress(OSError):
            self._raw.shutdown(socket.SHUT_RDWR)

    def _enqueue(self, frame: bytes) -> None:
        with self._state:
            self._queued += 1
            if self._queued > MAX_BACKLOG:
                self._behind = True
        self.outbox.put(frame)

    def _deadline(self) -> float | None:
        return None if self.idle_seconds is None else time.monotonic() + self.idle_seconds


def _text(data: bytes) -> str:
    """A binary frame read as UTF-8 text (invalid bytes replaced, then refused as JSON)."""
    return data.decode("utf-8", "replace")
