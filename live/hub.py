"""Publish/subscribe by channel: how a reading ingested anywhere reaches every open page.

Channels are `machine:<id>`, `battery:<id>` and `sensor:<id>`; a subscription
may also name a whole kind, `machine:*`. Two hubs keep the same contract
(tests/test_hub.py runs the same tests on both): `InProcessHub` for a single
process, `RedisHub` when several processes (gunicorn workers, Cloud Run
instances) serve the same plant and Redis pub/sub carries the messages.

Messages are JSON objects, encoded once per publish; every subscriber gets the
same `Message` (channel, decoded data, JSON text; treat it as read-only)
through its `deliver` callback, which runs on the hub's thread and must only
hand it on (a websocket queues it for its own thread), never block. A
protocol that sends the same frame to every client renders it once per
message with `Message.rendered`, not once per client.
"""

from __future__ import annotations

import abc
import contextlib
import functools
import json
import logging
import queue
import re
import threading
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import redis

from errors import InvalidInput, Unavailable

log = logging.getLogger(__name__)

KINDS = ("machine", "battery", "sensor")
#: A channel, or a kind's wildcard (`machine:*`): the only pattern a subscription may use.
CHANNEL = re.compile(r"(machine|battery|sensor):([A-Za-z0-9_.\-]{1,64}|\*)\Z")
READY_SECONDS = 5.0


class Message:
    """One published message as every subscriber receives it."""

    __slots__ = ("_renderings", "_text", "channel", "data")

    def __init__(self, channel: str, data: dict[str, Any], text: str | None = None) -> None:
        self.channel = channel
        self.data = data
        self._text = text
        self._renderings: dict[str, Any] = {}

    @property
    def text(self) -> str:
        """The data as JSON (encoded on first use when it arrived inside a batch)."""
        if self._text is None:
            self._text = encode(self.data)
        return self._text

    def rendered(self, key: str, render: Callable[[Message], Any]) -> Any:
        """`render(self)`, computed once per message and key (a race only computes twice)."""
        found = self._renderings.get(key)
        if found is None:
            found = self._renderings[key] = render(self)
        return found


Deliver = Callable[[Message], None]


def check_channel(name: object) -> tuple[str, str]:
    """(kind, id or '*') of a channel name, or InvalidInput saying what a channel looks like."""
    if not isinstance(name, str):
        raise _not_a_channel(name)
    return _split_channel(name)


@functools.lru_cache(maxsize=65_536)  # ingest publishes the same few channels all day
def _split_channel(name: str) -> tuple[str, str]:
    found = CHANNEL.match(name)
    if found is None:
        raise _not_a_channel(name)
    return found.group(1), found.group(2)


def _not_a_channel(name: object) -> InvalidInput:
    return InvalidInput(
        f"{json.dumps(name)[:80]} is not a channel: use machine:<id>, battery:<id> or "
        "sensor:<id>, or a kind's wildcard such as machine:*"
    )


def _check_target(name: str) -> None:
    if check_channel(name)[1] == "*":
        raise InvalidInput("publish to one channel, not a wildcard")


def channel(kind: str, entity: str) -> str:
    return f"{kind}:{entity}"


#: One encoder for every message: json.dumps with options builds a new one per call.
encode: Callable[[Any], str] = json.JSONEncoder(separators=(",", ":"), allow_nan=False).encode


class Subscription:
    """One subscriber's channels; it can add and drop channels while it lives."""

    def __init__(self, hub: Hub, deliver: Deliver) -> None:
        self._hub = hub
        self.deliver = deliver
        self.channels: frozenset[str] = frozenset()

    def add(self, channels: Iterable[str]) -> None:
        names = frozenset(channels)
        for name in names:
            check_channel(name)
        self._hub._route(self, names - self.channels, add=True)
        self.channels |= names

    def remove(self, channels: Iterable[str]) -> None:
        names = frozenset(channels) & self.channels
        self._hub._route(self, names, add=False)
        self.channels -= names

    def close(self) -> None:
        self.remove(self.channels)


class Hub(abc.ABC):
    """Routes published messages to the subscriptions whose channels match."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # channel or wildcard -> subscriptions, replaced whole on change, so
        # delivery reads it without the lock
        self._routes: dict[str, frozenset[Subscription]] = {}

    def subscribe(self, channels: Iterable[str], deliver: Deliver) -> Subscription:
        """A subscription delivering messages of `channels` (more can be added later)."""
        subscription = Subscription(self, deliver)
        subscription.add(channels)
        return subscription

    @abc.abstractmethod
    def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        """Send `message` to every subscriber of `channel`, in every process sharing the hub.

        Unavailable when the hub cannot take it (Redis down).
        """

    def publish_many(self, messages: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        """Publish (channel, message) pairs in order; an ingest batch sends them together."""
        for name, message in messages:
            self.publish(name, message)

    @abc.abstractmethod
    def close(self) -> None:
        """Stop delivering; release connections."""

    def unreachable(self) -> str | None:
        """Why the hub cannot carry messages now (readiness checks), or None when it can."""
        return None

    def _route(self, subscription: Subscription, names: Iterable[str], add: bool) -> None:
        with self._lock:
            for name in names:
                current = self._routes.get(name, frozenset())
                updated = current | {subscription} if add else current - {subscription}
                if updated:
                    self._routes[name] = updated
                else:
                    self._routes.pop(name, None)

    def _wanted(self, channel: str) -> frozenset[Subscription]:
        kind = channel.partition(":")[0]
        return self._routes.get(channel, frozenset()) | self._routes.get(f"{kind}:*", frozenset())

    def _deliver(self, channel: str, text: str | None = None, data: Any = None) -> None:
        """Hand the message (its JSON `text`, or its decoded `data`) to each subscription
        of the channel or its kind's wildcard, once."""
        targets = self._wanted(channel)
        if not targets:
            return
        if data is None:
            data = json.loads(text)  # type: ignore[arg-type]
        if not isinstance(data, dict):
            log.warning("ignored a message on %s that is not a JSON object", channel)
            return
        message = Message(channel, data, text)
        for subscription in targets:
            try:
                subscription.deliver(message)
            except Exception:  # one subscriber's fault must not starve the others
                log.exception("a subscriber of %s failed to take a message", channel)


class InProcessHub(Hub):
    """Subscribers in this process only: the default, for one process on a laptop.

    Messages are delivered on the hub's own thread, as RedisHub's listener does:
    a publisher (an ingest request) never waits for the fan-out, and each
    subscriber is called from one thread only.
    """

    def __init__(self) -> None:
        super().__init__()
        self._queue: queue.SimpleQueue[list[tuple[str, str]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._dispatch, name="vigil-hub", daemon=True)
        self._thread.start()

    def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        self.publish_many([(channel, message)])

    def publish_many(self, messages: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        # Through JSON, so subscribers see exactly what RedisHub would give them.
        batch = []
        for name, message in messages:
            _check_target(name)
            batch.append((name, encode(message)))
        self._queue.put(batch)

    def _dispatch(self) -> None:
        while (batch := self._queue.get()) is not None:
            for name, text in batch:
                self._deliver(name, text=text)

    def close(self) -> None:
        self._queue.put(None)
        self._thread.join(timeout=5)
        with self._lock:
            self._routes = {}


class RedisHub(Hub):
    """Redis pub/sub: a message published by any process reaches subscribers in all of them.

    Each process holds one Redis subscription to every kind (`machine:*`, ...)
    and routes locally, so a thousand websockets cost one Redis connection, not
    a thousand. When Redis goes away the listener reconnects with backoff;
    messages published meanwhile are lost, as pub/sub does (pages keep their
    last values and the store keeps every reading).
    """

    RECONNECT_MAX_SECONDS = 10.0

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._redis = redis.Redis.from_url(
            url, socket_connect_timeout=5, socket_timeout=5, health_check_interval=30
        )
        self._closed = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._listen, name="vigil-hub-redis", daemon=True)
        self._thread.start()

    def wait_ready(self, timeout: float = 5.0) -> bool:
        """True once the Redis subscription is in place (tests and start-up use it)."""
        return self._ready.wait(timeout)

    def publish(self, channel: str, message: Mapping[str, Any]) -> None:
        self.publish_many([(channel, message)])

    def publish_many(self, messages: Iterable[tuple[str, Mapping[str, Any]]]) -> None:
        # One round trip, and one Redis message per channel: a batch's readings of one
        # machine travel as a JSON array (order kept per channel), so a thousand
        # readings cost each process a few Redis messages to parse, not a thousand.
        grouped: dict[str, list[str]] = {}
        for name, message in messages:
            _check_target(name)
            grouped.setdefault(name, []).append(encode(message))
        pipe = self._redis.pipeline(transaction=False)
        for name, texts in grouped.items():
            pipe.publish(name, texts[0] if len(texts) == 1 else f"[{','.join(texts)}]")
        try:
            pipe.execute()
        except redis.RedisError as exc:
            raise Unavailable(f"live updates unavailable: Redis did not answer ({exc})") from None

    def _listen(self) -> None:
        delay = 0.1
        while not self._closed.is_set():
            pubsub = self._redis.pubsub(ignore_subscribe_messages=True)
            try:
                pubsub.psubscribe(*(f"{kind}:*" for kind in KINDS))
                self._ready.set()
                delay = 0.1
                while not self._closed.is_set():
                    found = pubsub.get_message(timeout=0.5)
                    if found is not None and found["type"] == "pmessage":
                        self._take(found["channel"], found["data"])
            except redis.RedisError as exc:
                self._ready.clear()
                log.warning("Redis hub lost its connection (%s); retrying in %.1f s", exc, delay)
                self._closed.wait(delay)
                delay = min(delay * 2, self.RECONNECT_MAX_SECONDS)
            finally:
                with contextlib.suppress(redis.RedisError):
                    pubsub.close()

    def _take(self, raw_channel: bytes, data: bytes) -> None:
        """A Redis message: one JSON object (as other programs publish them, seed 003) or
        an array of them (a batch from `publish_many`)."""
        name = raw_channel.decode("utf-8", "replace")
        if not CHANNEL.match(name) or not self._wanted(name):
            return
        text = data.decode("utf-8", "replace")
        try:
            if not text.startswith("["):
                self._deliver(name, text=text)
                return
            for item in json.loads(text):
                self._deliver(name, data=item)
        except ValueError:  # another program published something that is not JSON
            log.warning("ignored a message on %s that is not JSON", name)

    def unreachable(self) -> str | None:
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            return f"Redis did not answer ({exc})"
        return None

    def close(self) -> None:
        self._closed.set()
        self._thread.join(timeout=5)
        self._redis.close()


def open_hub(redis_url: str) -> Hub:
    """The Redis hub when `redis_url` is set, else the in-process one."""
    if not redis_url:
        return InProcessHub()
    hub = RedisHub(redis_url)
    if not hub.wait_ready(READY_SECONDS):
        log.warning(
            "Redis at %s did not answer within %.0f s; live updates start when it does",
            redis_url,
            READY_SECONDS,
        )
    return hub
