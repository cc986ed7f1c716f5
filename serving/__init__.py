"""What running in production needs beside the pages: health routes, request logs,
start-up checks.

`mount(server)` adds the first two to the Flask server; `startup.check_startup`
runs before gunicorn forks (gunicorn.conf.py) and before `serve` starts it.
"""

from __future__ import annotations

from flask import Flask

from serving import health, request_log


def mount(server: Flask) -> None:
    """Add /healthz, /readyz and the per-request JSON log line to `server`."""
    server.register_blueprint(health.blueprint)
    request_log.install(server)
