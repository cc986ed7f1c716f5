"""The top bar: one link per registered page, in the pages' `order`."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import html
from flask import has_request_context

from auth import ROLES, request_user
from auth.gate import gate
from components.label_drafts import pending_badge


def _account() -> list:
    """Who is logged in, and the way out (none with `auth: false`)."""
    if not has_request_context() or gate().off:
        return []
    user = request_user()
    if user is None:
        return []
    return [
        html.Span(f"{user.name} ({user.role})", id="navbar-user", className="navbar-text me-2"),
        dbc.NavLink("Log out", href="/logout", external_link=True, id="navbar-logout"),
    ]


def navbar() -> dbc.Navbar:
    """Links to the pages the user's role may open (a page's `min_role`; default viewer);
    with `auth: false` none of the pages about accounts (`needs_accounts`)."""
    user = request_user()
    level = ROLES.index(user.role) if user else -1
    accounts = has_request_context() and not gate().off
    links = [
        dbc.NavItem(dbc.NavLink(page["name"], href=page["relative_path"], active="exact"))
        for page in sorted(dash.page_registry.values(), key=lambda p: p.get("order") or 0)
        if page.get("nav", True)
        and page["path"] != "/404"
        and ROLES.index(page.get("min_role", "viewer")) <= level
        and (accounts or not page.get("needs_accounts"))
    ]
    return dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand("Vigil", href="/", className="fw-bold"),
                dbc.Nav(links, navbar=True, id="navbar-links", className="me-auto"),
                pending_badge(),
                *_account(),
            ],
            fluid=True,
        ),
        color="primary",
        dark=True,
        id="navbar",
    )
