"""`python app.py simulate`: feed a running Vigil live readings through its ingest API.

As seed 002's and 004's generators did, over HTTP: the demo simulator
(data/demo/simulator.py) makes an hour of plant at a time, and its rows are
replayed at `--rate` simulated seconds per second, each stamped with the wall
time it is sent at (`--rate 10` sends ten readings a second per machine, one a
second per battery, and the sensors' heartbeats ten times as often as in the
demo). Every reading goes through POST /api/v1/readings or /heartbeats, so
it is checked, stored and published like any device's.
"""

from __future__ import annotations

import http.client
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import click
import numpy as np
import pandas as pd

from commands import cli, config_from
from data.demo.simulator import MIN_DAYS
from data.demo.simulator import simulate as simulate_plant

#: Simulated rows are sent in a batch every TICK seconds.
TICK = 0.1
ROUTES = {
    "machine_readings": ("/api/v1/readings", "readings"),
    "battery_readings": ("/api/v1/readings", "readings"),
    "heartbeats": ("/api/v1/heartbeats", "heartbeats"),
}
#: The list's key in each route's body.
LIST_KEY = {path: key for path, key in ROUTES.values()}
RETRY_SECONDS = 2.0


class Feeder:
    """A keep-alive HTTP connection to one Vigil that POSTs JSON and raises on refusal."""

    def __init__(self, url: str, token: str | None) -> None:
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise click.UsageError(f"--url must look like http://HOST:PORT, not {url!r}")
        self.url = url
        self.https = parts.scheme == "https"
        self.host, self.port = parts.hostname, parts.port
        self.headers = {"Content-Type": "application/json"}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.conn: http.client.HTTPConnection | None = None

    def post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        data = json.dumps(body).encode()
        while True:
            try:
                if self.conn is None:
                    kind = http.client.HTTPSConnection if self.https else http.client.HTTPConnection
                    self.conn = kind(self.host, self.port, timeout=30)
                self.conn.request("POST", path, body=data, headers=self.headers)
                response = self.conn.getresponse()
                answer = json.loads(response.read() or b"{}")
            except (OSError, http.client.HTTPException) as exc:
                self.close()
                click.echo(f"Vigil at {self.url} is not answering ({exc}); retrying", err=True)
                time.sleep(RETRY_SECONDS)
                continue
            if response.status != 201:
                error = answer.get("error", {}) if isinstance(answer, dict) else {}
                fields = "; ".join(
                    f"{k}: {v}" for k, v in list(error.get("fields", {}).items())[:3]
                )
                hint = ""
                if "unknown " in fields:
                    hint = (
                        ". The simulator feeds the demo's machines, batteries and sensors: "
                        "load them into that Vigil's store with `python app.py load-demo`"
                    )
                raise click.ClickException(
                    f"Vigil refused the readings ({response.status}): "
                    f"{error.get('message', answer)}" + (f" [{fields}]" if fields else "") + hint
                )
            return answer

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def plant(seed: int) -> Iterator[dict[str, pd.DataFrame]]:
    """Hour after hour of the demo plant's readings, each hour from the next seed."""
    hour = 0
    while True:
        frames = simulate_plant(days=MIN_DAYS, seed=seed + hour)
        # The simulator writes one entity after another; replay needs time order.
        yield {
            table: frames[table].sort_values("time", kind="stable", ignore_index=True)
            for table in ROUTES
        }
        hour += 1


def timeline(frames: dict[str, pd.DataFrame]) -> dict[str, np.ndarray]:
    """Each table's rows' offsets from the hour's start, in simulated seconds (sorted)."""
    start = min(frame["time"].min() for frame in frames.values())
    return {
        table: (frame["time"] - start).dt.total_seconds().to_numpy()
        for table, frame in frames.items()
    }


def items(frame: pd.DataFrame, sent_at: np.ndarray) -> list[dict[str, Any]]:
    """Rows as the API takes them, each stamped with the wall time it is sent at."""
    out = []
    for row, at in zip(frame.to_dict("records"), sent_at, strict=True):
        item = {k: v for k, v in row.items() if v is not None and not _missing(v)}
        item["time"] = datetime.fromtimestamp(at, UTC).isoformat()
        if "payload" in item:
            item["payload"] = json.loads(item["payload"])
        out.append(item)
    return out


def _missing(value: Any) -> bool:
    return isinstance(value, float) and np.isnan(value)


@cli.command()
@click.option(
    "--rate",
    type=click.FloatRange(min=0.01, max=1000),
    default=1.0,
    show_default=True,
    help="Simulated seconds per second: 10 sends ten readings a second per machine.",
)
@click.option("--url", help="The Vigil to feed (default: http://HOST:PORT of the settings).")
@click.option("--seed", type=int, help="Simulator seed (default: demo_seed).")
@click.option("--seconds", type=float, help="Stop after this long (default: until Ctrl-C).")
@click.option("--token", envvar="VIGIL_TOKEN", help="Bearer token for the ingest API.")
@click.pass_context
def simulate(
    ctx: click.Context,
    rate: float,
    url: str | None,
    seed: int | None,
    seconds: float | None,
    token: str | None,
) -> None:
    """Feed simulated machine, battery and sensor readings to a running Vigil."""
    config = config_from(ctx)
    host = "127.0.0.1" if config.host in ("0.0.0.0", "::") else config.host
    feeder = Feeder(url or f"http://{host}:{config.port_number}", token)
    click.echo(f"Feeding {feeder.url} at {rate:g} simulated seconds per second (Ctrl-C stops)")
    began = time.monotonic()
    sent = {table: 0 for table in ROUTES}
    last_report = began
    try:
        for frames in plant(config.demo_seed if seed is None else seed):
            offsets = timeline(frames)
            done = {table: 0 for table in frames}
            hour_began = time.monotonic()
            wall_began = time.time()
            while any(done[t] < len(frames[t]) for t in frames):
                now = time.monotonic()
                if seconds is not None and now - began >= seconds:
                    return
                due_until = (now - hour_began) * rate
                batches: dict[str, list[dict[str, Any]]] = {}
                for table, frame in frames.items():
                    upto = int(np.searchsorted(offsets[table], due_until, side="right"))
                    if upto > done[table]:
                        rows = frame.iloc[done[table] : upto]
                        at = wall_began + offsets[table][done[table] : upto] / rate
                        batches.setdefault(ROUTES[table][0], []).extend(items(rows, at))
                        sent[table] += upto - done[table]
                        done[table] = upto
                for path, batch in batches.items():
                    feeder.post(path, {LIST_KEY[path]: batch})
                if now - last_report >= 10:
                    last_report = now
                    click.echo(", ".join(f"{n:,} {table}" for table, n in sent.items()))
                time.sleep(max(0.0, TICK - (time.monotonic() - now)))
    except KeyboardInterrupt:
        pass
    finally:
        feeder.close()
        click.echo("Sent " + ", ".join(f"{n:,} {table}" for table, n in sent.items()) + ".")
