"""What serving/ costs and how fast the production command stops.

1. The JSON request log line: GET /healthz through Flask's test client, in
   process, with serving/request_log.py's hooks installed (writing to
   /dev/null) next to the same app with them removed; the difference is the
   per-request cost of timing, the request id, current_user() and the line.
   Then the line alone: `write_line` next to the usual alternative, a
   `logging` logger with a JSON formatter writing the same object.
2. Shutdown: the production command (`python -m gunicorn --config
   gunicorn.conf.py app:server`, one worker, SQLite, PORT given as on Cloud
   Run) with N websockets open on /ws; SIGTERM; seconds until every client
   got its close frame (1001 checked) and until the process exited, next to
   Cloud Run's 10 s and gunicorn's graceful_timeout (8 s), which is what open
   websockets would have cost without the going-away close.

    .venv/bin/python bench/serving.py [--requests 5000] [--sockets 1,100,500]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

# the project first, in place of bench/ (whose pages.py would shadow the pages package)
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from bench._server import bench_env, free_port  # noqa: E402
from commands.serve import gunicorn_command  # noqa: E402
from settings import PROJECT_DIR, load_config  # noqa: E402


def log_line_cost(requests: int, rounds: int = 5) -> None:
    from app import create_app
    from serving import request_log

    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        config_path = Path(tmp) / "config.json"
        config_path.write_text('{"backend": "sqlite:///vigil.db", "port_number": 8080}')
        app = create_app(load_config(config_path, env={}))
        server = app.server
        client = server.test_client()
        hooks = (server.before_request_funcs[None], server.after_request_funcs[None])

        def timed(logged: bool) -> float:
            if not logged:
                hooks[0].remove(request_log._start)
                hooks[1].remove(request_log._finish)
            started = time.perf_counter()
            for _ in range(requests):
                client.get("/healthz")
            seconds = time.perf_counter() - started
            if not logged:
                hooks[0].append(request_log._start)
                hooks[1].append(request_log._finish)
            return seconds / requests * 1e6

        with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
            timed(True), timed(False)  # warm up
            runs = {True: [], False: []}
            for _ in range(rounds):
                for logged in (True, False):
                    runs[logged].append(timed(logged))
    with_log, without = statistics.median(runs[True]), statistics.median(runs[False])
    print(f"GET /healthz in process, {requests} requests x {rounds} rounds (median):")
    print(f"  without the request log: {without:8.1f} µs/request")
    print(f"  with the JSON log line:  {with_log:8.1f} µs/request")
    print(f"  cost of the log line:    {with_log - without:8.1f} µs/request")


class _JsonFormatter(logging.Formatter):
    """The alternative: the same object, built by a logging.Formatter."""

    def format(self, record: logging.LogRecord) -> str:
        return json.dumps({"time": datetime.fromtimestamp(record.created, UTC).isoformat(
            timespec="milliseconds"), "severity": record.levelname,
            "message": record.getMessage(), **record.fields}, default=str)  # fmt: skip


def line_cost(lines: int = 20_000, rounds: int = 5) -> None:
    from serving.request_log import write_line

    fields = {"method": "GET", "path": "/healthz", "status": 200, "latency_ms": 0.512,
              "user": "analyst", "request_id": uuid.uuid4().hex}  # fmt: skip
    logger = logging.getLogger("bench.requests")
    logger.propagate = False
    logger.setLevel(logging.INFO)
    runs: dict[str, list[float]] = {"write_line": [], "logging": []}
    with open(os.devnull, "w") as null, contextlib.redirect_stdout(null):
        handler = logging.StreamHandler(null)
        handler.setFormatter(_JsonFormatter())
        logger.addHandler(handler)
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(lines):
                write_line("GET /healthz 200", fields)
            runs["write_line"].append((time.perf_counter() - started) / lines * 1e6)
            started = time.perf_counter()
            for _ in range(lines):
                logger.info("GET /healthz 200", extra={"fields": fields})
            runs["logging"].append((time.perf_counter() - started) / lines * 1e6)
    print(f"One request's line alone, {lines} lines x {rounds} rounds (median):")
    for name, values in runs.items():
        print(f"  {name:10s} {statistics.median(values):6.1f} µs/line")


async def _open(port: int, count: int) -> list:
    from websockets.asyncio.client import connect

    sockets = []
    for _ in range(count):
        ws = await connect(f"ws://127.0.0.1:{port}/ws", open_timeout=30, max_queue=None)
        await ws.recv()
        sockets.append(ws)
    return sockets


async def _closed(ws) -> tuple[float, int | None]:
    from websockets.exceptions import ConnectionClosed

    try:
        while True:
            await ws.recv()
    except ConnectionClosed as exc:
        return time.perf_counter(), exc.rcvd.code if exc.rcvd else None


def shutdown(count: int) -> None:
    with tempfile.TemporaryDirectory(prefix="vigil-bench-") as tmp:
        port = free_port()
        config = Path(tmp) / "config.json"
        config.write_text(json.dumps({"backend": f"sqlite:///{tmp}/vigil.db", "port_number": 1,
                                      "demo_data": False}))  # fmt: skip
        env = {**bench_env(), "VIGIL_CONFIG": str(config), "PORT": str(port)}
        env.pop("WEB_CONCURRENCY", None)
        log = open(Path(tmp) / "server.log", "wb")  # noqa: SIM115 - closed below
        proc = subprocess.Popen([sys.executable, *gunicorn_command()], cwd=PROJECT_DIR, env=env,
                                stdout=log, stderr=subprocess.STDOUT)  # fmt: skip
        try:
            import urllib.request

            deadline = time.monotonic() + 90
            while True:
                with contextlib.suppress(OSError):
                    urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5)
                    break
                assert time.monotonic() < deadline and proc.poll() is None, "server did not start"
                time.sleep(0.2)

            async def run() -> tuple[float, float, list[int | None]]:
                sockets = await _open(port, count)
                waits = [asyncio.ensure_future(_closed(ws)) for ws in sockets]
                started = time.perf_counter()
                proc.send_signal(signal.SIGTERM)
                results = await asyncio.gather(*waits)
                last = max(t for t, _ in results) - started
                while proc.poll() is None:
                    await asyncio.sleep(0.01)
                return last, time.perf_counter() - started, [code for _, code in results]

            last, exited, codes = asyncio.run(run())
        finally:
            if proc.poll() is None:
                proc.kill()
            proc.wait()
            log.close()
    ok = "all 1001" if set(codes) == {1001} else f"codes {sorted(set(codes), key=str)}"
    print(f"  {count:5d} websockets: last close frame {last:5.2f} s, process exited "
          f"{exited:5.2f} s after SIGTERM ({ok}, exit code {proc.returncode})")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--sockets", default="1,100,500")
    args = parser.parse_args()
    log_line_cost(args.requests)
    line_cost()
    print(
        "SIGTERM under the production command (Cloud Run kills at 10 s; gunicorn's "
        "graceful_timeout, what open websockets cost without the 1001 close, is 8 s):"
    )
    for count in (int(n) for n in args.sockets.split(",")):
        shutdown(count)


if __name__ == "__main__":
    main()
