"""A request for a bundle Dash does not serve is a 404, not a server error.

Dash answers a path under /_dash-component-suites/ it has not registered by
raising DependencyException, which Flask turns into a 500 and a traceback in
the log: what a browser gets when it asks, from a page cached before an
upgrade, for a file the new versions no longer have.
"""

from __future__ import annotations

from dash.exceptions import DependencyException
from flask import Flask, Response, jsonify

from errors import NotFound


def install(server: Flask) -> None:
    server.register_error_handler(DependencyException, _not_served)


def _not_served(_exc: DependencyException) -> tuple[Response, int]:
    return jsonify(NotFound("no such bundle: reload the page").to_dict()), NotFound.status
