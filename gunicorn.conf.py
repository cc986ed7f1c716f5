"""gunicorn's settings for Vigil. The production command (README) is

    gunicorn --config gunicorn.conf.py app:server

and `python app.py serve` runs the same after filling an empty store with the
demo. Worker class gthread: every websocket holds one of a worker's threads
for its lifetime (plus simple-websocket's reader thread), so `threads` bounds
the websockets and requests one worker serves at once; database drivers
release the GIL while they wait, so a slow query never stalls the other
sockets (under gevent it would stall the whole worker). bench/live.py
measured gthread against gevent (bench/README.md).

Workers: several only with Redis (`redis_url`), which carries live updates
between them; without it one worker, or updates would reach only the clients
of the worker that took the reading. WEB_CONCURRENCY and GUNICORN_THREADS
override both.
"""

from __future__ import annotations

import gc
import multiprocessing
import os

from errors import ConfigError
from settings import load_config

try:
    _config = load_config()
except ConfigError as exc:
    raise SystemExit(f"Vigil: {exc.message}") from None

bind = f"{_config.host}:{_config.port_number}"
worker_class = "gthread"
#: About a thousand websockets per worker, and room for page requests beside them.
threads = int(os.environ.get("GUNICORN_THREADS", "1200"))
worker_connections = threads
workers = int(
    os.environ.get("WEB_CONCURRENCY") or (multiprocessing.cpu_count() if _config.redis_url else 1)
)
#: A worker silent this long is restarted; requests themselves have no time limit here.
timeout = 60
#: Websockets never finish by themselves: on shutdown they are closed after this.
graceful_timeout = 10
keepalive = 5
accesslog = None
errorlog = "-"


def post_worker_init(worker: object) -> None:
    """Move everything loaded so far (Dash, pandas, the pages) out of the garbage
    collector's sight: a full collection then walks only what requests create,
    instead of pausing every socket of the worker for a whole heap's walk."""
    gc.freeze()
