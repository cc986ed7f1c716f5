"""The websocket routes (flask-sock): /ws, /ws/batteries and /live_recent_ws."""

from __future__ import annotations

from flask import Flask


def mount_websockets(server: Flask) -> None:
    """Add the websocket routes to `server`."""
