"""Live fan-out: 1,000 websocket clients, 10 updates a second each, ingest to receive.

Every client connects to /ws, subscribes to `machine:M1` and keeps the
connection alive with a ping every 20 s; the publisher POSTs one M1 reading
every 100 ms to /api/v1/readings (so 10,000 messages/s leave the server). A
reading's `current` carries its sequence number; latency runs from the moment
the publisher starts its POST (validation, the store write, the Hub and the
send all included) to the moment the message is in the client's socket (the
kernel's receive time), and, reported beside it, to the moment this load
generator has read it. Every message each client should get is counted: a
lost one shows as delivered < expected.

Variants, each a fresh `python app.py serve` (the production command):
gthread with one worker (in-process hub), gthread with two workers and Redis,
gevent with two workers and Redis. Then the reference: a minimal broadcast
server written with the `websockets` library (asyncio, `broadcast()`), run as a
process of its own, where a publisher client sends each update over a
websocket and the server relays it to everyone else: no HTTP, no store.

    .venv/bin/python bench/live.py                  # all variants, ~3 minutes
    .venv/bin/python bench/live.py --variants gthread-1,reference --seconds 10

The clients run in this process, one thread reading all 1,000 sockets with
epoll (bench/_wsclient.py: RFC 6455 by hand, so the load generator costs less
than the server it measures), on the same 2 cores as the server; other work on
the machine shows in the figures. The read time adds the generator's own queue
(the messages of the other clients that arrived in the same instant, which
separate browsers would not wait for); the socket time does not.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import _wsclient
from bench._server import (
    PROJECT_DIR,
    PYTHON,
    Client,
    bench_env,
    free_port,
    load_demo,
    machine_note,
    percentile,
    serve,
    verdict,
    workspace,
)

REDIS = "redis://127.0.0.1:6379/0"
VARIANTS: dict[str, dict[str, Any]] = {
    "gthread-1": {"env": {"WEB_CONCURRENCY": "1"}, "redis": False},
    "gthread-2-redis": {"env": {"WEB_CONCURRENCY": "2"}, "redis": True},
    "gevent-2-redis": {
        "env": {
            "WEB_CONCURRENCY": "2",
            "GUNICORN_CMD_ARGS": "--worker-class gevent --worker-connections 2000",
        },
        "redis": True,
    },
    "reference": {},
}
CONNECT_AT_ONCE = 50
#: A reading's sequence number: Vigil's update carries it as `current`, the reference as `seq`.
SEQUENCE = re.compile(rb'"(?:current|seq)":(\d+)')
PING_SECONDS = 20.0


@dataclass
class Run:
    clients: int
    rate: float
    seconds: float
    server_pid: int = 0
    burst_pings: bool = False  # every client pings at the same moment: the worst case
    cpu: float = 0.0  # server CPU seconds while the updates were sent
    threads: int = 0
    sent: dict[int, float] = field(default_factory=dict)  # sequence -> publish start
    latencies: list[float] = field(default_factory=list)  # to the client's socket
    reads: list[float] = field(default_factory=list)  # to the load generator's read
    received: int = 0
    window: tuple[int, int] = (0, 0)  # sequences counted: [first, last)
    post_ms: list[float] = field(default_factory=list)
    unstamped: int = 0  # frames without a kernel receive time (counted at read)


# -- clients -----------------------------------------------------------------------
def _client(port: int, path: str, subscribe: bool) -> _wsclient.LoadClient:
    """One client, connected (and subscribed to machine:M1 on Vigil's /ws)."""
    client = _wsclient.LoadClient("127.0.0.1", port, path)
    if subscribe:
        client.receive()
        client.receive()  # the two greeting lines
        client.send(json.dumps({"subscribe": ["machine:M1"]}))
        reply = client.receive()
        if b"subscribed" not in reply:
            raise RuntimeError(f"subscribe answered {reply[:300]!r}")
    return client


def _clients(port: int, path: str, run: Run, subscribe: bool, publish: Any) -> None:
    started = time.monotonic()
    with ThreadPoolExecutor(CONNECT_AT_ONCE) as pool:
        clients = list(pool.map(lambda _: _client(port, path, subscribe), range(run.clients)))
    print(f"  {run.clients} clients connected in {time.monotonic() - started:.1f} s")

    def on_text(payload: bytes, arrived: float, read: float) -> None:
        found = SEQUENCE.search(payload)
        if found is None:
            return  # a pong
        seq = int(found.group(1))
        if run.window[0] <= seq < run.window[1]:
            run.received += 1
            run.latencies.append((arrived - run.sent[seq]) * 1000.0)
            run.reads.append((read - run.sent[seq]) * 1000.0)

    stop = threading.Event()

    def keep_alive() -> None:
        """Seed 001's rule, something at least once a minute: every client pings each
        PING_SECONDS, at its own moment in that window, as browsers that opened the page
        at different times do."""
        step = 0.0 if run.burst_pings else PING_SECONDS / max(1, len(clients))
        while not stop.is_set():
            if run.burst_pings and stop.wait(PING_SECONDS):
                return
            for client in clients:
                if step and stop.wait(step):
                    return
                client.send('{"ping": null}')

    reader = _wsclient.Reader(clients, on_text)
    reader.start()
    pinger = threading.Thread(target=keep_alive, daemon=True)
    if subscribe:
        pinger.start()
    publish(run)
    time.sleep(2.0)  # the last messages in flight
    stop.set()
    reader.stop()
    run.unstamped = reader.unstamped
    for client in clients:
        client.close()


# -- publishers --------------------------------------------------------------------
def _paced(run: Run, send: Any) -> None:
    """Send a sequence every 1/rate s: 2 s of warm-up, then the measured window."""
    cpu0 = cpu_seconds(run.server_pid)
    run.threads = threads_of(run.server_pid)
    step = 1.0 / run.rate
    warmup = int(2 * run.rate)
    total = warmup + int(run.seconds * run.rate)
    run.window = (warmup, total)
    start = time.monotonic()
    for seq in range(total):
        delay = start + seq * step - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        run.sent[seq] = time.time()
        send(seq)
    run.cpu = cpu_seconds(run.server_pid) - cpu0


def vigil_publisher(port: int) -> Any:
    client = Client(port)

    def send(seq: int) -> None:
        reading = {
            "machine_id": "M1",
            "time": datetime.now(UTC).isoformat(),
            "current": float(seq),
            "voltage": 400.0,
            "state": "production",
        }
        began = time.perf_counter()
        response = client.post("/api/v1/readings", {"readings": [reading]})
        if response.status != 201:
            raise RuntimeError(f"ingest answered {response.status}: {response.body[:300]!r}")
        return (time.perf_counter() - began) * 1000.0

    def publish(run: Run) -> None:
        _paced(run, lambda seq: run.post_ms.append(send(seq)))
        client.close()

    return publish


def reference_publisher(port: int) -> Any:
    from websockets.sync.client import connect

    def publish(run: Run) -> None:
        with connect(f"ws://127.0.0.1:{port}/pub", max_size=None) as ws:
            _paced(run, lambda seq: ws.send(f'{{"seq":{seq},"voltage":400.0}}'))

    return publish


# -- the reference server ----------------------------------------------------------
def reference_server(port: int) -> None:
    """A minimal broadcast server with the `websockets` library."""
    import asyncio

    import websockets
    from websockets.asyncio.server import broadcast, serve

    listeners: set[Any] = set()

    async def handler(ws: Any) -> None:
        if ws.request.path == "/pub":
            async for message in ws:
                broadcast(listeners, message)
            return
        listeners.add(ws)
        try:
            await ws.wait_closed()
        finally:
            listeners.discard(ws)

    async def main() -> None:
        # No compression, as Vigil declines it: a broadcast is then encoded once.
        async with serve(handler, "127.0.0.1", port, max_size=2**20, backlog=2048,
                         compression=None):  # fmt: skip
            await asyncio.Future()

    assert websockets
    asyncio.run(main())


# -- measuring ---------------------------------------------------------------------
def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its children (gunicorn's workers)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for p in [pid, *_children(pid)]:
        try:
            fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks
    return total


def _children(pid: int) -> list[int]:
    try:
        found = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(c) for c in found]


def threads_of(pid: int) -> int:
    return sum(len(os.listdir(f"/proc/{p}/task")) for p in [pid, *_children(pid)])


def report(name: str, run: Run) -> dict[str, Any]:
    expected = (run.window[1] - run.window[0]) * run.clients
    row = {
        "variant": name,
        "p50_ms": percentile(run.latencies, 0.50),
        "p99_ms": percentile(run.latencies, 0.99),
        "max_ms": max(run.latencies, default=float("nan")),
        "read_p50_ms": percentile(run.reads, 0.50),
        "read_p99_ms": percentile(run.reads, 0.99),
        "delivered": run.received,
        "expected": expected,
        "rate": run.received / run.seconds,
        "cpu": run.cpu / (run.seconds + 2),
        "threads": run.threads,
        "post_p50_ms": percentile(run.post_ms, 0.5) if run.post_ms else None,
        "post_max_ms": max(run.post_ms) if run.post_ms else None,
    }
    post = (
        f", POST p50 {row['post_p50_ms']:.1f} ms, max {row['post_max_ms']:.0f} ms"
        if run.post_ms
        else ""
    )
    print(
        f"  {name}: p50 {row['p50_ms']:.1f} ms, p99 {row['p99_ms']:.1f} ms, "
        f"max {row['max_ms']:.0f} ms at the socket (read: p50 {row['read_p50_ms']:.1f}, "
        f"p99 {row['read_p99_ms']:.1f} ms); {run.received:,}/{expected:,} delivered "
        f"({row['rate']:,.0f}/s); server CPU {row['cpu']:.2f} cores, {run.threads} threads{post}"
    )
    if run.unstamped:
        print(f"  ({run.unstamped:,} frames had no kernel time: their socket time is the read)")
    return row


def run_vigil(name: str, args: argparse.Namespace, ws: Any) -> dict[str, Any]:
    variant = VARIANTS[name]
    config = {"demo_data": False, **({"redis_url": REDIS} if variant["redis"] else {})}
    with serve(ws, name=name, env=variant["env"], **config) as server:
        server.wait_until_up()
        run = Run(args.clients, args.rate, args.seconds, server.pid, args.burst_pings)
        _clients(server.port, "/ws", run, True, vigil_publisher(server.port))
        return report(name, run)


def run_reference(args: argparse.Namespace) -> dict[str, Any]:
    port = free_port()
    proc = subprocess.Popen(
        [PYTHON, __file__, "--reference-server", str(port)], cwd=PROJECT_DIR, env=bench_env()
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                import socket

                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                time.sleep(0.1)
        run = Run(args.clients, args.rate, args.seconds, proc.pid, args.burst_pings)
        _clients(port, "/", run, False, reference_publisher(port))
        return report("reference (websockets)", run)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=1000)
    parser.add_argument("--rate", type=float, default=10.0, help="updates per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument(
        "--burst-pings", action="store_true", help="all clients ping at the same moment"
    )
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--reference-server", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.reference_server:
        reference_server(args.reference_server)
        return
    print(f"bench/live.py: {args.clients} clients x {args.rate:g} updates/s, {machine_note()}")
    rows = []
    with workspace(args.keep) as ws:
        load_demo(ws, days=0.05)
        for name in args.variants.split(","):
            print(f"{name}:")
            rows.append(run_reference(args) if name == "reference" else run_vigil(name, args, ws))
    for row in rows:
        ok = row["p50_ms"] < 20 and row["p99_ms"] < 100 and row["delivered"] == row["expected"]
        print(f"{row['variant']}: target p50 < 20 ms, p99 < 100 ms, nothing lost: {verdict(ok)}")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
