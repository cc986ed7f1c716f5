"""The page for any address Vigil does not know."""

from __future__ import annotations

from typing import Any

import dash
from dash import dcc, html

dash.register_page(__name__, path="/404", name="Not found", nav=False)


def layout(**_: Any) -> html.Div:
    return html.Div(
        [
            html.H3("Page not found", id="not-found-title"),
            html.P("There is no page at this address."),
            dcc.Link("Back to the overview", href="/"),
        ]
    )
