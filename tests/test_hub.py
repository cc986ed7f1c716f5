"""The Hub contract, on the in-process hub and on Redis pub/sub (the real Redis at 127.0.0.1)."""

from __future__ import annotations

import json
import queue
import uuid
from collections.abc import Iterator

import pytest

from errors import InvalidInput, Unavailable
from live.hub import Hub, InProcessHub, Message, RedisHub, check_channel, open_hub

REDIS = "redis://127.0.0.1:6379/0"
WAIT = 5.0


@pytest.fixture(params=["in-process", "redis"])
def hub(request: pytest.FixtureRequest) -> Iterator[Hub]:
    made = InProcessHub() if request.param == "in-process" else RedisHub(REDIS)
    if isinstance(made, RedisHub):
        assert made.wait_ready(WAIT), "Redis at 127.0.0.1:6379 did not answer"
    yield made
    made.close()


def _unique(kind: str = "machine") -> str:
    # Redis is shared by every test run on the machine: channels of our own.
    return f"{kind}:t{uuid.uuid4().hex[:10]}"


class Inbox:
    def __init__(self) -> None:
        self.q: queue.Queue[tuple[str, dict]] = queue.Queue()

    def __call__(self, message: Message) -> None:
        assert json.loads(message.text) == message.data
        self.q.put((message.channel, message.data))

    def next(self) -> tuple[str, dict]:
        return self.q.get(timeout=WAIT)

    def empty_after(self, seconds: float = 0.3) -> bool:
        try:
            self.q.get(timeout=seconds)
        except queue.Empty:
            return True
        return False


def test_a_subscriber_gets_what_is_published_on_its_channel(hub: Hub) -> None:
    name = _unique()
    inbox = Inbox()
    hub.subscribe([name], inbox)
    hub.publish(name, {"current": 41.5, "state": "idle", "nested": {"a": [1, 2]}})
    assert inbox.next() == (name, {"current": 41.5, "state": "idle", "nested": {"a": [1, 2]}})


def test_messages_arrive_in_the_order_published(hub: Hub) -> None:
    name = _unique()
    inbox = Inbox()
    hub.subscribe([name], inbox)
    for k in range(200):
        hub.publish(name, {"k": k})
    assert [inbox.next()[1]["k"] for _ in range(200)] == list(range(200))


def test_other_channels_are_not_delivered(hub: Hub) -> None:
    mine, other = _unique(), _unique()
    inbox = Inbox()
    hub.subscribe([mine], inbox)
    hub.publish(other, {"x": 1})
    hub.publish(mine, {"x": 2})
    assert inbox.next() == (mine, {"x": 2})
    assert inbox.empty_after()


def test_a_kind_wildcard_gets_every_entity_of_that_kind_once(hub: Hub) -> None:
    a, b = _unique("battery"), _unique("battery")
    inbox = Inbox()
    hub.subscribe(["battery:*", a], inbox)  # both match a: still one delivery
    hub.publish(a, {"n": 1})
    hub.publish(b, {"n": 2})
    hub.publish(_unique("sensor"), {"n": 3})
    got = [inbox.next(), inbox.next()]
    assert got == [(a, {"n": 1}), (b, {"n": 2})]
    assert inbox.empty_after()


def test_unsubscribe_and_close_stop_delivery(hub: Hub) -> None:
    a, b = _unique(), _unique()
    inbox = Inbox()
    sub = hub.subscribe([a, b], inbox)
    sub.remove([a])
    hub.publish(a, {"x": 1})
    hub.publish(b, {"x": 2})
    assert inbox.next() == (b, {"x": 2})
    sub.close()
    hub.publish(b, {"x": 3})
    assert inbox.empty_after()
    assert sub.channels == frozenset()


def test_every_subscriber_of_a_channel_gets_the_message(hub: Hub) -> None:
    name = _unique("sensor")
    inboxes = [Inbox() for _ in range(5)]
    for inbox in inboxes:
        hub.subscribe([name], inbox)
    hub.publish(name, {"beat": True})
    assert all(inbox.next() == (name, {"beat": True}) for inbox in inboxes)


def test_a_failing_subscriber_does_not_starve_the_others(hub: Hub) -> None:
    name = _unique()

    def broken(message: Message) -> None:
        raise RuntimeError("boom")

    inbox = Inbox()
    hub.subscribe([name], broken)
    hub.subscribe([name], inbox)
    hub.publish(name, {"ok": 1})
    assert inbox.next() == (name, {"ok": 1})


@pytest.mark.parametrize(
    "bad", ["machines:M1", "machine:", "machine:M 1", "pump:P1", "machine:a*", "*", 7, None]
)
def test_bad_channel_names_are_refused(hub: Hub, bad: object) -> None:
    with pytest.raises(InvalidInput, match="not a channel"):
        hub.subscribe([bad], Inbox())  # type: ignore[list-item]
    with pytest.raises(InvalidInput):
        hub.publish(bad, {"x": 1})  # type: ignore[arg-type]


def test_publishing_to_a_wildcard_is_refused(hub: Hub) -> None:
    with pytest.raises(InvalidInput, match="wildcard"):
        hub.publish("machine:*", {"x": 1})


def test_a_message_that_is_not_json_is_refused_before_it_leaves(hub: Hub) -> None:
    with pytest.raises(ValueError):
        hub.publish(_unique(), {"x": float("nan")})


def test_redis_hubs_in_two_processes_share_messages() -> None:
    """Two hubs are two processes' worth of connections: one publishes, the other delivers."""
    first, second = RedisHub(REDIS), RedisHub(REDIS)
    try:
        assert first.wait_ready(WAIT) and second.wait_ready(WAIT)
        name = _unique("battery")
        inbox = Inbox()
        second.subscribe([name], inbox)
        first.publish(name, {"soc": 55.0})
        assert inbox.next() == (name, {"soc": 55.0})
    finally:
        first.close()
        second.close()


def test_redis_down_is_reported_on_publish() -> None:
    hub = RedisHub("redis://127.0.0.1:1/0")  # nothing listens on port 1
    try:
        with pytest.raises(Unavailable, match="Redis"):
            hub.publish(_unique(), {"x": 1})
    finally:
        hub.close()


def test_open_hub_follows_the_setting() -> None:
    assert isinstance(open_hub(""), InProcessHub)
    made = open_hub(REDIS)
    try:
        assert isinstance(made, RedisHub)
    finally:
        made.close()


def test_check_channel_splits_kind_and_entity() -> None:
    assert check_channel("battery:B1") == ("battery", "B1")
    assert check_channel("sensor:*") == ("sensor", "*")


def test_a_rendering_is_made_once_per_message(hub: Hub) -> None:
    name = _unique()
    calls: list[str] = []
    got: queue.Queue[str] = queue.Queue()

    def render(message: Message) -> str:
        calls.append(message.channel)
        return message.text.upper()

    for _ in range(3):
        hub.subscribe([name], lambda m: got.put(m.rendered("upper", render)))
    hub.publish(name, {"a": "b"})
    assert [got.get(timeout=WAIT) for _ in range(3)] == ['{"A":"B"}'] * 3
    assert calls == [name]


def test_a_foreign_message_that_is_not_json_is_ignored() -> None:
    import redis

    hub = RedisHub(REDIS)
    try:
        assert hub.wait_ready(WAIT)
        name = _unique()
        inbox = Inbox()
        hub.subscribe([name], inbox)
        redis.Redis.from_url(REDIS).publish(name, b"not json")
        hub.publish(name, {"after": 1})
        assert inbox.next() == (name, {"after": 1})
    finally:
        hub.close()


def test_a_batch_keeps_each_channels_order(hub: Hub) -> None:
    a, b = _unique(), _unique()
    inbox = Inbox()
    hub.subscribe([a, b], inbox)
    hub.publish_many([(a if k % 3 else b, {"k": k}) for k in range(300)])
    got = [inbox.next() for _ in range(300)]
    for name in (a, b):
        ks = [m["k"] for c, m in got if c == name]
        assert ks == [k for k in range(300) if (k % 3 != 0) == (name == a)]


def test_a_message_another_program_publishes_is_delivered() -> None:
    """Seed 003's RedisBackendMS published plain JSON objects on battery channels."""
    import redis

    hub = RedisHub(REDIS)
    try:
        assert hub.wait_ready(WAIT)
        name = _unique("battery")
        inbox = Inbox()
        hub.subscribe([name], inbox)
        redis.Redis.from_url(REDIS).publish(name, b'{"voltage": 136}')
        assert inbox.next() == (name, {"voltage": 136})
    finally:
        hub.close()
