"""How a failure reads in a page: one alert with the error's own message."""

from __future__ import annotations

import dash_bootstrap_components as dbc

from errors import NotFound, Unavailable, VigilError


def error_alert(exc: VigilError, id: str | None = None) -> dbc.Alert:
    color = "warning" if isinstance(exc, NotFound) else "danger"
    title = "Store unavailable. " if isinstance(exc, Unavailable) else ""
    kwargs = {"id": id} if id else {}
    return dbc.Alert(title + exc.message, color=color, className="vigil-error", **kwargs)
