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

Before any worker starts, the store and Redis must answer (serving/startup.py);
any Vigil error here (a bad setting, an unreachable backend) ends gunicorn
with one line naming the setting, exit code 1, no traceback.

Shutdown (SIGTERM, as Cloud Run sends): each worker closes its websockets with
1001 (going away) at once, so clients reconnect to another instance, finishes
the requests under way and exits; Cloud Run kills after 10 s, so gunicorn's
own limit is below that.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from typing import Any

from errors import VigilError
from live.routes import close_websockets
from serving.startup import check_startup
from settings import load_config

try:
    _config = load_config()
    check_startup(_config)
except VigilError as exc:
    raise SystemExit(f"Vigil: {exc.message}") from None

bind = f"{_config.host}:{_config.port_number}"
worker_class = "gthread"
#: About a thousand websockets per worker, and room for page requests beside them.
threads = int(os.environ.get("GUNICORN_THREADS", "1200"))
#: Beyond `threads`, the idle keep-alive connections a worker holds in its poller
#: (gunicorn keeps worker_connections - threads of them; 0 would close every HTTP
#: connection after one response, and gunicorn warns about it).
worker_connections = threads * 2
workers = int(
    os.environ.get("WEB_CONCURRENCY") or (multiprocessing.cpu_count() if _config.redis_url else 1)
)
#: A worker silent this long is restarted; requests themselves have no time limit here.
timeout = 60
#: Requests still running this long after SIGTERM are cut: under Cloud Run's 10 s.
graceful_timeout = 8
keepalive = 5
#: serving/request_log.py writes one JSON line per request instead.
accesslog = None
errorlog = "-"
#: No runtime control socket (~/.gunicorn/gunicorn.ctl): nothing uses it, and every
#: gunicorn of a user would share the one path.
control_socket_disable = True


def post_worker_init(worker: object) -> None:
    """Move everything loaded so far (Dash, pandas, the pages) out of the garbage
    collector's sight: a full collection then walks only what requests create,
    instead of pausing every socket of the worker for a whole heap's walk.
    Then SIGTERM also closes the worker's websockets (see the module docstring)."""
    gc.freeze()
    stop = signal.getsignal(signal.SIGTERM)

    def going_away(signum: int, frame: Any) -> None:
        close_websockets(worker.wsgi)  # type: ignore[attr-defined]
        stop(signum, frame)  # type: ignore[operator]

    signal.signal(signal.SIGTERM, going_away)
