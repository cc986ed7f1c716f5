"""The top bar: one link per registered page, in the pages' `order`."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc

from components.label_drafts import pending_badge


def navbar() -> dbc.Navbar:
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)
        if page.get("nav", True) and page["path"] != "/404"
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Vigil", href="/", className="fw-bold"),
                dbc.Nav(links, navbar=True, id="navbar-links", className="me-auto"),
                pending_badge(),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        id="navbar",
    )
