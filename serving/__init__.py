"""What running in production needs beside the pages: health routes, request logs,
404s for bundles Dash does not serve, start-up checks.

`mount(server)` adds the first three to the Flask server; `startup.check_startup`
runs before gunicorn forks (gunicorn.conf.py) and before `serve` starts it.
"""

from __future__ import annotations

from flask import Flask

from serving import bundles, health, request_log


def mount(server: Flask) -> None:
    """Add /healthz, /readyz, the per-request JSON log line and bundle 404s to `server`."""
    server.register_blueprint(health.blueprint)
    request_log.install(server)
    bundles.install(server)
