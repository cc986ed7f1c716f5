"""The per-process objects every request handler needs: the config, the Store and the Hub.

They hang on the Flask app (`server.extensions["vigil"]`), so pages, the API
and the websockets reach them through the request's app instead of module
globals, and a test can build an app with its own store beside another.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from data.store import Store
from live.hub import Hub
from settings import Config

EXTENSION = "vigil"


@dataclass(frozen=True)
class Runtime:
    config: Config
    store: Store
    #: Live updates: in-process, or Redis pub/sub when `redis_url` is set.
    hub: Hub


def attach(server: Flask, runtime: Runtime) -> None:
    server.extensions[EXTENSION] = runtime


def runtime() -> Runtime:
    """The Runtime of the app serving the current request."""
    return current_app.extensions[EXTENSION]
