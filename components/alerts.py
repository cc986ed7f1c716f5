"""How a failure reads in a page: one alert with the error's own message."""

from __future__ import annotations

import dash_bootstrap_components as dbc
from dash import dcc, html

from errors import NotFound, Unavailable, VigilError


def error_alert(exc: VigilError, id: str | None = None) -> dbc.Alert:
    color = "warning" if isinstance(exc, NotFound) else "danger"
    title = "Store unavailable. " if isinstance(exc, Unavailable) else ""
    kwargs = {"id": id} if id else {}
    return dbc.Alert(title + exc.message, color=color, className="vigil-error", **kwargs)


def not_found_view(prefix: str, title: str, exc: VigilError, back: tuple[str, str]) -> html.Div:
    """The page for a machine, battery or sensor the URL names and the store does not know;
    `back` is (link text, address) of the list to go back to."""
    return html.Div(
        [
            html.H3(title, id=f"{prefix}-not-found"),
            error_alert(exc, id=f"{prefix}-not-found-message"),
            dcc.Link(back[0], href=back[1]),
        ]
    )
