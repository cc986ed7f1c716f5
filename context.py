"""The per-process objects every request handler needs: the config and the Store.

They hang on the Flask app (`server.extensions["vigil"]`), so pages, the API
and the websockets reach them through the request's app instead of module
globals, and a test can build an app with its own store beside another.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Flask, current_app

from data.store import Store
from settings import Config

EXTENSION = "vigil"


@dataclass(frozen=True)
class Runtime:
    config: Config
    store: Store


def attach(server: Flask, runtime: Runtime) -> None:
    server.extensions[EXTENSION] = runtime


def runtime() -> Runtime:
    """The Runtime of the app serving the current request."""
    return current_app.extensions[EXTENSION]
