"""Admin: the users (create, change role, disable or enable, reset a password) and the
audit log (logins, label saves, admin actions: who, when, from where).

Admins only: the layout shows others a refusal, and every callback here is an
`admin-` component, which auth/callback_roles.py gives to admins alone. A new
password (for a new user or a reset) is random and shown once.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, callback, ctx, html, no_update

from auth import ROLES, current_user, request_user, require
from auth.accounts import Accounts
from auth.gate import gate
from auth.passwords import random_password
from components.alerts import error_alert
from errors import Forbidden, InvalidInput, VigilError

dash.register_page(
    __name__, path="/admin", name="Admin", order=9, min_role="admin", needs_accounts=True
)

AUDIT_ROWS = 200


def _accounts() -> Accounts:
    found = gate().accounts
    if found is None:
        raise InvalidInput("accounts are off (auth: false): there are no users to manage")
    return found


def _users_table(accounts: Accounts) -> dbc.Table:
    rows = [
        html.Tr(
            [
                html.Td(a.username),
                html.Td(a.role),
                html.Td(f"{a.created:%Y-%m-%d %H:%M}"),
                html.Td("disabled" if a.disabled else "active"),
            ],
            id={"type": "admin-user-row", "user": a.username},
        )
        for a in accounts.users()
    ]
    head = html.Thead(html.Tr([html.Th(t) for t in ("user", "role", "created (UTC)", "state")]))
    return dbc.Table([head, html.Tbody(rows)], size="sm", striped=True, id="admin-users-table")


def _audit_table(accounts: Accounts) -> dbc.Table:
    rows = [
        html.Tr(
            [
                html.Td(f"{e['time']:%Y-%m-%d %H:%M:%S}"),
                html.Td(e["username"]),
                html.Td(e["action"]),
                html.Td(e["address"]),
                html.Td((e["detail"] or "")[:200], className="text-break small"),
            ]
        )
        for e in accounts.audit(AUDIT_ROWS)
    ]
    head = html.Thead(
        html.Tr([html.Th(t) for t in ("time (UTC)", "who", "action", "from", "detail")])
    )
    return dbc.Table([head, html.Tbody(rows)], size="sm", id="admin-audit-table")


def layout(**_query: Any) -> html.Div:
    """The page; for anyone but an admin (and with `auth: false`) a refusal, with the
    controls hidden and empty: Dash's validation layout must know every id."""
    try:
        user = request_user()
        if user is None or user.role != "admin":
            raise Forbidden("this page needs the admin role")
        accounts = _accounts()
    except (Forbidden, InvalidInput) as exc:
        refused = error_alert(exc, id="admin-refused")
        return html.Div([html.H3("Admin"), refused, html.Div(_controls(), hidden=True)])
    return html.Div([html.H3("Admin"), *_controls(_users_table(accounts), _audit_table(accounts))])


def _controls(users: Any = None, audit: Any = None) -> list:
    roles = [{"label": r, "value": r} for r in ROLES]
    buttons = [
        dbc.Button("Create user", id="admin-create", className="me-2"),
        dbc.Button("Set role", id="admin-set-role", className="me-2"),
        dbc.Button("Disable", id="admin-disable", color="warning", className="me-2"),
        dbc.Button("Enable", id="admin-enable", className="me-2"),
        dbc.Button("Reset password", id="admin-reset", color="danger"),
    ]
    return [
        html.H5("Users", className="mt-3"),
        dbc.Row(
            [
                dbc.Col(dbc.Input(id="admin-username", placeholder="username", maxlength=64), md=3),
                dbc.Col(dbc.Select(id="admin-role", options=roles, value="viewer"), md=2),
                dbc.Col(buttons, md=7),
            ],
            className="g-2 mb-2",
        ),
        html.Div(id="admin-message"),
        html.Div(users, id="admin-users"),
        html.H5("Audit log", className="mt-4"),
        html.P(f"The latest {AUDIT_ROWS} events.", className="text-muted small"),
        html.Div(audit, id="admin-audit"),
    ]


def act(action: str, username: Any, role: Any, by: str) -> Any:
    """Do one button's action; the message to show (a new password shown once)."""
    accounts = _accounts()
    if not isinstance(username, str) or not username.strip():
        raise InvalidInput("type a username first")
    username = username.strip()
    if action == "admin-create":
        password = random_password()
        accounts.create(username, password, role)
        detail, said = f"{username} as {role}", f"User {username} ({role}) created."
    elif action == "admin-reset":
        password = random_password()
        accounts.change(username, password=password)
        detail, said = username, f"Password of {username} reset."
    else:
        password = None
        if username == by and action in ("admin-disable", "admin-set-role"):
            raise InvalidInput("an admin cannot disable or demote themselves here")
        changes: dict[str, Any] = {
            "admin-set-role": {"role": role},
            "admin-disable": {"disabled": True},
            "admin-enable": {"disabled": False},
        }[action]
        accounts.change(username, **changes)
        detail = f"{username}: {changes}"
        said = f"User {username}: {', '.join(f'{k} {v}' for k, v in changes.items())}."
    gate().audit(action.removeprefix("admin-").replace("-", " "), detail, username=by)
    if password is None:
        return dbc.Alert(said, color="success", id="admin-ok")
    return dbc.Alert(
        [said, " Password (shown this once): ", html.Code(password, id="admin-password")],
        color="success",
        id="admin-ok",
    )


@callback(
    Output("admin-message", "children"),
    Output("admin-users", "children"),
    Output("admin-audit", "children"),
    Input("admin-create", "n_clicks"),
    Input("admin-set-role", "n_clicks"),
    Input("admin-disable", "n_clicks"),
    Input("admin-enable", "n_clicks"),
    Input("admin-reset", "n_clicks"),
    State("admin-username", "value"),
    State("admin-role", "value"),
    prevent_initial_call=True,
)
def on_action(*args: Any) -> tuple:
    """Any button: the action, then both tables read again."""
    username, role = args[-2:]
    if not ctx.triggered_id or not ctx.triggered[0].get("value"):
        return no_update, no_update, no_update
    try:
        user = require("admin", current_user())
        message = act(str(ctx.triggered_id), username, role, user.name)
    except VigilError as exc:
        message = error_alert(exc, id="admin-error")
    accounts = _accounts()
    return message, _users_table(accounts), _audit_table(accounts)
