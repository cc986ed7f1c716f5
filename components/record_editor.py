"""A form that adds, changes and deletes the rows of one reference table.

One editor per table, its ids dictionaries keyed by the table, so several
editors share one page and one set of callbacks (registered here, MATCH on
the table). A page declares the form with `Form` and `register`, and puts
`editor(form, ...)` in its layout. Saving goes through `data.plant.save`
(the domain's rules, then one row written whole by the store's records API);
it and deleting need the admin role. The list under the form is read from
the store again after every change, so two admins see each other's work.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

import dash_bootstrap_components as dbc
from dash import ALL, MATCH, Input, Output, State, callback, ctx, dcc, html, no_update

from auth import current_user, require
from components.alerts import error_alert
from components.tables import simple_table
from context import runtime
from data import plant
from data.store import Store
from errors import InvalidInput, NotFound, VigilError

Kind = Literal["text", "number", "date", "choice"]


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: Kind = "text"
    required: bool = False
    placeholder: str = ""
    #: For choices: the values offered, read from the store when the form is drawn.
    choices: Callable[[Store], list[str]] | None = None


@dataclass(frozen=True)
class Form:
    table: str
    noun: str  # "machine", as messages say it
    fields: tuple[FormField, ...]
    #: Columns shown in the list, in order (default: every field).
    listed: tuple[str, ...] = ()
    order_by: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return plant.EDITABLE[self.table]


FORMS: dict[str, Form] = {}


def register(form: Form) -> Form:
    """Make a form known to the editor's callbacks (once, at import of the page)."""
    FORMS[form.table] = form
    return form


def _id(kind: str, table: str, **more: str) -> dict[str, str]:
    return {"type": f"editor-{kind}", "table": table, **more}


def _shown(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def rows_table(form: Form, rows: list[dict[str, Any]], editable: bool) -> Any:
    listed = form.listed or tuple(f.name for f in form.fields)
    labels = {f.name: f.label for f in form.fields}

    def edit(row: dict[str, Any]) -> Any:
        if not editable:
            return ""
        key = str(row[form.key])
        return dbc.Button(
            "Edit", id=_id("edit", form.table, key=key), size="sm", color="link", className="p-0"
        )

    return simple_table(
        [labels.get(c, c) for c in listed] + [""],
        [[*(_shown(row.get(c)) for c in listed), edit(row)] for row in rows],
        empty=f"No {form.noun} yet.",
        row_class="editor-row",
    )


def _input(form: Form, f: FormField, store: Store) -> Any:
    if f.kind == "choice":
        options = f.choices(store) if f.choices else []
        return dcc.Dropdown(
            options, None, id=_id("choice", form.table, field=f.name), placeholder=f.placeholder
        )
    return dbc.Input(
        id=_id("field", form.table, field=f.name),
        type={"number": "number", "date": "date"}.get(f.kind, "text"),
        placeholder=f.placeholder,
        step="any" if f.kind == "number" else None,
    )


def editor(form: Form, store: Store) -> html.Div:
    """The list of rows and, for admins, the form that edits them."""
    editable = current_user().role == "admin"
    rows = store.rows(form.table, order_by=list(form.order_by), limit=10_000)
    listing = html.Div(rows_table(form, rows, editable), id=_id("rows", form.table))
    if not editable:
        return html.Div([listing, html.P(f"Only admins change {form.noun}s.", className="small")])
    inputs = [
        dbc.Col(
            [
                dbc.Label(f.label + (" *" if f.required or f.name == form.key else "")),
                _input(form, f, store),
            ],
            md=3,
            className="mb-2",
        )
        for f in form.fields
    ]
    buttons = html.Div(
        [
            dbc.Button("Save", id=_id("save", form.table), color="primary", className="me-2"),
            dbc.Button(
                f"New {form.noun}",
                id=_id("new", form.table),
                color="secondary",
                outline=True,
                className="me-2",
            ),
            dbc.Button("Delete", id=_id("delete", form.table), color="danger", outline=True),
        ]
    )
    return html.Div(
        [
            listing,
            dbc.Card(
                dbc.CardBody(
                    [
                        html.H6(f"Add or change a {form.noun}", id=_id("title", form.table)),
                        dbc.Row(inputs, className="g-2"),
                        buttons,
                        html.Div(id=_id("message", form.table), className="mt-2"),
                    ]
                ),
                className="mt-2",
            ),
            dcc.Store(id=_id("key", form.table)),
        ]
    )


def _values(form: Form, ids: list[dict], values: list[Any]) -> dict[str, Any]:
    """The form's values as the store takes them: empty inputs are missing values."""
    kinds = {f.name: f.kind for f in form.fields}
    found = {}
    for spec, value in zip(ids, values, strict=True):
        name = spec["field"]
        if isinstance(value, str):
            value = value.strip()
        if value == "":
            value = None
        if kinds.get(name) == "number" and isinstance(value, str):
            value = _number(value)
        found[name] = value
    return found


def _number(text: str) -> Any:
    try:
        return float(text)
    except ValueError:
        return text  # the records API names the column and the value


@callback(
    Output(_id("field", MATCH, field=ALL), "value"),
    Output(_id("field", MATCH, field=ALL), "disabled"),
    Output(_id("choice", MATCH, field=ALL), "value"),
    Output(_id("key", MATCH), "data"),
    Output(_id("message", MATCH), "children"),
    Output(_id("rows", MATCH), "children"),
    Input(_id("edit", MATCH, key=ALL), "n_clicks"),
    Input(_id("new", MATCH), "n_clicks"),
    Input(_id("save", MATCH), "n_clicks"),
    Input(_id("delete", MATCH), "n_clicks"),
    State(_id("field", MATCH, field=ALL), "id"),
    State(_id("field", MATCH, field=ALL), "value"),
    State(_id("choice", MATCH, field=ALL), "id"),
    State(_id("choice", MATCH, field=ALL), "value"),
    State(_id("key", MATCH), "data"),
    prevent_initial_call=True,
)
def act(
    _edits: list,
    _new: int | None,
    _save: int | None,
    _delete: int | None,
    field_ids: list[dict],
    field_values: list[Any],
    choice_ids: list[dict],
    choice_values: list[Any],
    editing: str | None,
) -> tuple:
    """Edit, New, Save or Delete: what the button says, then the list read again."""
    trigger = ctx.triggered_id
    if not trigger or not ctx.triggered[0].get("value"):
        return (no_update,) * 6  # a button drawn anew, not pressed
    keep = (
        [no_update] * len(field_ids),
        [no_update] * len(field_ids),
        [no_update] * len(choice_ids),
    )
    form = FORMS.get(trigger.get("table"))
    if form is None:  # a crafted request: only the forms a page declared are edited
        refused = InvalidInput(f"table '{trigger.get('table')}' is not edited here")
        return (*keep, no_update, error_alert(refused), no_update)
    store = runtime().store

    def locked(key_editing: bool) -> list[bool]:
        return [spec["field"] == form.key and key_editing for spec in field_ids]

    def filled(row: dict[str, Any]) -> tuple[list, list]:
        return (
            [_shown(row.get(s["field"])) or None for s in field_ids],
            [row.get(s["field"]) for s in choice_ids],
        )

    def listing() -> Any:
        rows = store.rows(form.table, order_by=list(form.order_by), limit=10_000)
        return rows_table(form, rows, editable=True)

    def cleared(message: Any, rows: Any) -> tuple:
        """An empty form for a new row."""
        return (
            [None] * len(field_ids),
            locked(False),
            [None] * len(choice_ids),
            None,
            message,
            rows,
        )

    try:
        if trigger["type"] == "editor-new":
            return cleared(None, no_update)
        if trigger["type"] == "editor-edit":
            found = store.rows(form.table, where={form.key: trigger["key"]}, limit=1)
            if not found:
                raise NotFound(f"{form.noun} '{trigger['key']}' is gone")
            values, choices = filled(found[0])
            return values, locked(True), choices, trigger["key"], None, no_update
        require("admin")
        if trigger["type"] == "editor-delete":
            if editing is None:
                raise NotFound(f"choose a {form.noun} to delete (Edit in the list)")
            plant.delete(store, form.table, editing)
            message = dbc.Alert(
                f"Deleted {form.noun} '{editing}'.", color="success", className="editor-done"
            )
            return cleared(message, listing())
        values = {
            **_values(form, field_ids, field_values),
            **_values(form, choice_ids, choice_values),
        }
        if editing is not None:
            values[form.key] = editing
        saved = plant.save(store, form.table, values, new=editing is None)
        message = dbc.Alert(
            f"Saved {form.noun} '{saved[form.key]}'.", color="success", className="editor-done"
        )
        values_shown, choices_shown = filled(saved)
        return (values_shown, locked(True), choices_shown, saved[form.key], message, listing())
    except VigilError as exc:
        return (*keep, no_update, error_alert(exc), no_update)
