"""Small read-only tables of labelled values, shared by the plant pages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import dash_bootstrap_components as dbc
from dash import html


def simple_table(
    head: Sequence[str],
    rows: Sequence[Sequence[Any]],
    id: str | None = None,
    empty: str = "Nothing yet.",
    row_class: str | None = None,
) -> dbc.Table | html.P:
    """A compact table; `empty` says why there is none."""
    named = {"id": id} if id else {}
    if not rows:
        return html.P(empty, className="text-muted small", **named)
    return dbc.Table(
        [
            html.Thead(html.Tr([html.Th(h) for h in head])),
            html.Tbody([html.Tr([html.Td(c) for c in row], className=row_class) for row in rows]),
        ],
        size="sm",
        hover=True,
        responsive=True,
        **named,
    )
