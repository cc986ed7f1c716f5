"""The label form: is it real, what kind, a comment; Save, Save & next, Undo.

The form's values are plain strings ("yes"/"no", text) as the browser holds
them; `label_fields` turns them into the label's fields and `form_key` into
the idempotency key of that exact content, so a double click or a retry of
the same content stores one event while an edit makes a new one.
"""

from __future__ import annotations

import hashlib
import json

import dash_bootstrap_components as dbc
from dash import html

from errors import InvalidInput

#: Keyboard shortcuts (assets/shortcuts.js), as the page lists them.
SHORTCUTS = (
    ("y", "real anomaly"),
    ("n", "not an anomaly"),
    ("t", "type"),
    ("c", "comment"),
    ("s", "save"),
    ("shift+s", "save & next"),
    ("u", "undo"),
    ("j / k", "next / previous"),
    ("Esc", "leave a text field"),
)
VERDICTS = {"yes": True, "no": False}


def label_fields(
    verdict: str | None, anomaly_type: str | None, comment: str | None
) -> tuple[bool | None, str | None, str | None]:
    """(verified, anomaly_type, comment) from the form; empty text is no value."""
    if verdict is not None and verdict not in VERDICTS:
        raise InvalidInput("choose 'real' or 'not real'")
    for name, value in (("anomaly type", anomaly_type), ("comment", comment)):
        if value is not None and not isinstance(value, str):
            raise InvalidInput(f"the {name} must be text")
    kind = (anomaly_type or "").strip() or None
    note = (comment or "").strip() or None
    return VERDICTS.get(verdict) if verdict else None, kind, note


def form_verdict(verified: bool | None) -> str | None:
    return {True: "yes", False: "no"}.get(verified)  # type: ignore[arg-type]


def form_key(anomaly_id: str, base_event: str | None, content: object, author: str) -> str:
    """The idempotency key of saving `content` over the label `base_event` showed."""
    raw = json.dumps([anomaly_id, base_event or "", content, author], sort_keys=True)
    return "form-" + hashlib.sha256(raw.encode()).hexdigest()[:40]


def label_form(prefix: str, save_next: bool = True) -> html.Div:
    """The form's fields and buttons; ids `{prefix}-verified`, `-type`, `-comment`,
    `-save`, `-save-next`, `-undo`, `-type-options`."""
    buttons = [
        dbc.Button("Save (s)", id=f"{prefix}-save", color="primary", className="me-2"),
    ]
    if save_next:
        buttons += [
            dbc.Button("Save & next (S)", id=f"{prefix}-save-next", color="primary", outline=True),
            dbc.Button(
                "Undo (u)",
                id=f"{prefix}-undo",
                color="secondary",
                outline=True,
                className="ms-auto",
            ),
        ]
    return html.Div(
        [
            dbc.Label("Is it a real anomaly?", html_for=f"{prefix}-verified"),
            dbc.RadioItems(
                id=f"{prefix}-verified",
                options=[
                    {"label": "Real (y)", "value": "yes"},
                    {"label": "Not real (n)", "value": "no"},
                ],
                inline=True,
                className="mb-2",
            ),
            dbc.Label("Anomaly type (t)", html_for=f"{prefix}-type"),
            dbc.Input(
                id=f"{prefix}-type",
                list=f"{prefix}-type-options",
                maxLength=200,
                placeholder="spike, drift, dropout, …",
                autoComplete="off",
                className="mb-2",
            ),
            html.Datalist(id=f"{prefix}-type-options"),
            dbc.Label("Comment (c)", html_for=f"{prefix}-comment"),
            dbc.Textarea(id=f"{prefix}-comment", maxLength=5000, rows=3, className="mb-2"),
            html.Div(buttons, className="d-flex"),
        ],
        id=f"{prefix}-form",
        className="vigil-label-form",
    )


def shortcut_legend(id: str) -> html.Div:
    return html.Div(
        [
            html.Span([html.Kbd(key), f" {what}"], className="me-3 text-nowrap")
            for key, what in SHORTCUTS
        ],
        id=id,
        className="small text-muted",
    )


def type_options(types: list[str]) -> list[html.Option]:
    return [html.Option(value=t) for t in types]
