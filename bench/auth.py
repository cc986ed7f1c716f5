"""Logins and the gate's cost: what a wrong password answers in, for a user that exists
and one that does not (they must match), and what accounts add to every request.

Run from the project folder with the project's venv:

    .venv/bin/python bench/auth.py [--runs 30] [--postgresql]

In-process (Flask's test client on the real app and a real store: SQLite in a
temp folder, or with --postgresql a fresh schema of the tests' database), so
the figures are the server's own work without the network. Rows:
  * login: a wrong password for an existing user, for an unknown user, and the
    right password (each from its own address, so the rate limit stays out);
  * per request: `/_dash-layout` and a bearer-token ingest of one reading with
    `auth: true`, next to the same requests on an app with `auth: false`.
"""

from __future__ import annotations

import argparse
import itertools
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from contextlib import ExitStack
from datetime import timedelta
from pathlib import Path

# the project, not bench/ (whose pages.py would shadow the pages package)
sys.path[0] = str(Path(__file__).resolve().parent.parent)

from app import create_app  # noqa: E402
from data import open_store  # noqa: E402
from data.demo.load import write_demo  # noqa: E402
from data.demo.simulator import MIN_DAYS, simulate  # noqa: E402
from data.times import utc_now  # noqa: E402
from settings import load_config  # noqa: E402
from tests.conftest import postgres_schema  # noqa: E402

PASSWORD = "correct horse battery staple"
ADDRESSES = itertools.count(1)


def timed(runs: int, call: Callable[[], object]) -> tuple[float, float]:
    """Median and p90 in milliseconds, after two warm-up calls."""
    for _ in range(2):
        call()
    took = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        took.append((time.perf_counter() - started) * 1000)
    took.sort()
    return statistics.median(took), took[int(len(took) * 0.9) - 1]


def app_for(folder: Path, backend: str | None, auth: bool):
    config_path = folder / "config.json"
    config_path.write_text('{"backend": "sqlite:///vigil.db", "port_number": 8080}')
    overrides = {"auth": auth, "demo_data": False, **({"backend": backend} if backend else {})}
    config = load_config(config_path, env={}, overrides=overrides)
    store = open_store(config)
    store.create_schema()
    if store.is_empty():
        write_demo(store, simulate(days=MIN_DAYS, seed=3))
    return create_app(config, store), store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--postgresql", action="store_true", help="PostgreSQL, not SQLite")
    args = parser.parse_args()
    with ExitStack() as stack:
        tmp = stack.enter_context(tempfile.TemporaryDirectory(prefix="vigil-bench-auth-"))
        args.backend = stack.enter_context(postgres_schema()) if args.postgresql else None
        app, store = app_for(Path(tmp), args.backend, auth=True)
        accounts = app.server.extensions["vigil-auth"].accounts
        # a user per wrong attempt: the rate limit (5 a minute per username) stays out
        users = [f"bench-user-{i}" for i in range(args.runs + 2)]
        for name in ["bench-user", *users]:
            if accounts.find(name, fresh=True) is None:
                accounts.create(name, PASSWORD, "labeller")
        token = accounts.issue_token("bench-user", days=1)[0]

        def login(names: Callable[[], str], password: str, expect: int) -> Callable[[], object]:
            def call() -> object:
                username = names()
                client = app.server.test_client()
                n = next(ADDRESSES)
                client.environ_base["REMOTE_ADDR"] = f"10.7.{n // 250 % 250}.{1 + n % 250}"
                page = client.get("/login").text
                csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
                form = {"username": username, "password": password, "csrf_token": csrf}
                answer = client.post("/login", data=form)
                assert answer.status_code == expect, answer.status_code
                return answer

            return call

        print(
            f"store: {store.url.split('?')[0]}; {args.runs} runs each; times in ms (median / p90)"
        )
        rows = [
            (
                "login, wrong password, existing user",
                login(iter(users).__next__, "wrong password!!", 401),
            ),
            (
                "login, wrong password, unknown user",
                login(lambda: f"nobody-{next(ADDRESSES)}", "wrong password!!", 401),
            ),
            ("login, right password", login(lambda: "bench-user", PASSWORD, 302)),
        ]
        found = {}
        for name, call in rows:
            found[name] = timed(args.runs, call)
            print(f"  {name:<42} {found[name][0]:7.1f} / {found[name][1]:7.1f}")
        known, unknown = (found[rows[0][0]][0], found[rows[1][0]][0])
        print(f"  existing / unknown user: {known / unknown:.2f} (1.00 = indistinguishable)")

        session = app.server.test_client()
        session.environ_base["REMOTE_ADDR"] = "10.6.0.1"
        page = session.get("/login").text
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {"username": "bench-user", "password": PASSWORD, "csrf_token": csrf}
        assert session.post("/login", data=form).status_code == 302
        (Path(tmp) / "off").mkdir()
        off_app, off_store = app_for(Path(tmp) / "off", args.backend, auth=False)
        plain = off_app.server.test_client()

        def ingest(client, headers: dict[str, str]) -> Callable[[], object]:
            def call() -> object:
                reading = {
                    "machine_id": "M1",
                    "time": (utc_now() - timedelta(seconds=1)).isoformat(),
                    "current": 40.0,
                    "voltage": 400.0,
                }
                answer = client.post(
                    "/api/v1/readings", json={"readings": [reading]}, headers=headers
                )
                assert answer.status_code == 201, answer.status_code
                return answer

            return call

        def layout(client) -> Callable[[], object]:
            return lambda: client.get("/_dash-layout")

        print("per request, auth on (session or token) vs auth off:")
        for name, on, off in (
            ("GET /_dash-layout", layout(session), layout(plain)),
            (
                "POST /api/v1/readings (1 reading)",
                ingest(app.server.test_client(), {"Authorization": f"Bearer {token}"}),
                ingest(plain, {}),
            ),
        ):
            with_auth, without = timed(args.runs, on), timed(args.runs, off)
            print(
                f"  {name:<42} on {with_auth[0]:6.2f} / {with_auth[1]:6.2f}   "
                f"off {without[0]:6.2f} / {without[1]:6.2f}"
            )
        store.close()
        off_store.close()


if __name__ == "__main__":
    main()
