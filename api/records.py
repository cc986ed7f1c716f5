"""CRUD of the plant's reference tables: machines, element types, shifts, remarks, sensors,
batteries.

Writes take the UI's paths: the machine pages' tables through data/plant.py
(the domain's rules, then the store's records API), remarks through
`plant.add_remark`, sensors and batteries through the records API itself
(`Store.insert_row` / `update_row` / `delete_row`, data/records.py's checks).
Reading needs a viewer, changing an admin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any

from flask import Response, request
from pydantic import BaseModel, ConfigDict, Field, create_model

from api import blueprint
from api.access import caller, needs
from api.paging import page
from api.record_models import changes_model, new_model, row_model
from api.schemas import Paged, Time, text
from api.spec import validate
from context import runtime
from data import plant
from data.records import MAX_ROWS, fields_of
from data.schema import metadata
from errors import Conflict, NotFound


@dataclass(frozen=True)
class Resource:
    path: str  # under /api/v1
    table: str
    noun: str  # "machine", as messages say it

    @property
    def columns(self) -> list[Any]:
        # Plain str names: SQLAlchemy's quoted_name is not JSON to spectree.
        return [replace(c, name=str(c.name)) for c in fields_of(metadata.tables[self.table])]

    @property
    def key(self) -> str:
        return next(c.name for c in self.columns if c.primary)

    @property
    def model_name(self) -> str:
        return "".join(part.title() for part in self.noun.split())


RESOURCES = (
    Resource("machines", "machines", "machine"),
    Resource("element-types", "element_types", "element type"),
    Resource("shifts", "operator_shifts", "operator shift"),
    Resource("remarks", "machine_remarks", "remark"),
    Resource("sensors", "sensors", "sensor"),
    Resource("batteries", "batteries", "battery"),
)


class NewRemark(BaseModel):
    """A remark about a machine; its id, author and creation time are Vigil's."""

    model_config = ConfigDict(extra="forbid")
    machine_id: text(64, 1)  # type: ignore[valid-type]
    text: text(plant.MAX_REMARK, 1)  # type: ignore[valid-type]
    time: Time | None = Field(None, description="The moment the remark is about (default: now)")


def _page_model(name: str, row: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        f"{name}Page",
        items=(list[row], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, Field(description="Send as `cursor` for the next page")),
    )


def _existing(resource: Resource, key: str) -> dict[str, Any]:
    found = runtime().store.rows(resource.table, where={resource.key: key}, limit=1)
    if not found:
        raise NotFound(f"no {resource.noun} '{key}'")
    return found[0]


def _insert(resource: Resource, values: Mapping[str, Any], author: str) -> dict[str, Any]:
    store = runtime().store
    if resource.table == "machine_remarks":
        return plant.add_remark(
            store, values["machine_id"], values["text"], author, values.get("time")
        )
    key = values[resource.key]
    if store.rows(resource.table, where={resource.key: key}, limit=1):
        raise Conflict(f"{resource.noun} '{key}' already exists", {resource.key: "taken"})
    if resource.table in plant.EDITABLE:
        return plant.save(store, resource.table, values, new=True)
    return store.insert_row(resource.table, values)


def _update(resource: Resource, key: str, changes: Mapping[str, Any]) -> dict[str, Any]:
    store = runtime().store
    _existing(resource, key)
    if resource.table in plant.EDITABLE:
        return plant.save(store, resource.table, {**changes, resource.key: key}, new=False)
    return store.update_row(resource.table, {resource.key: key}, changes)


def _delete(resource: Resource, key: str) -> None:
    store = runtime().store
    _existing(resource, key)
    if resource.table in plant.EDITABLE:
        plant.delete(store, resource.table, key)
    else:
        store.delete_row(resource.table, {resource.key: key})


def _named(func: Callable[..., Any], name: str, doc: str) -> Callable[..., Any]:
    func.__name__ = func.__qualname__ = name
    func.__doc__ = doc
    return func


def register(resource: Resource) -> None:
    """The five routes of one resource: list, create, read, change, delete."""
    name, noun, base = resource.model_name, resource.noun, f"/{resource.path}"
    endpoint = resource.table
    row = row_model(name, resource.columns)
    new = (
        NewRemark
        if resource.table == "machine_remarks"
        else new_model(f"New{name}", resource.columns)
    )
    changes = changes_model(f"{name}Changes", resource.columns)
    listed = _page_model(name, row)
    tag = resource.path

    def list_rows(**_: Any) -> Any:
        query = request.context.query  # type: ignore[attr-defined]
        store = runtime().store

        def fetch(n: int) -> list[dict[str, Any]]:
            return store.rows(resource.table, order_by=[resource.key], limit=n)

        items, cursor = page(fetch, request.args, query.limit, query.cursor, MAX_ROWS)
        return listed(items=items, next_cursor=cursor)

    def create_row(**_: Any) -> Any:
        user = caller()
        body = request.context.json  # type: ignore[attr-defined]
        return row.model_validate(
            _insert(resource, body.model_dump(exclude_unset=True), user.name)
        ), 201

    def read_row(key: str) -> Any:
        return row.model_validate(_existing(resource, key))

    def change_row(key: str) -> Any:
        body = request.context.json  # type: ignore[attr-defined]
        return row.model_validate(_update(resource, key, body.model_dump(exclude_unset=True)))

    def delete_row(key: str) -> Any:
        _delete(resource, key)
        return Response(status=204)

    one = f"{base}/<key>"
    views = [  # method, rule, verb, role, summary, view, schema
        ("GET", base, "list", "viewer", f"Every {noun}, by {resource.key}, a page at a time.",
         list_rows, validate(tag, 200, listed, query=Paged, cacheable=True)),
        ("POST", base, "create", "admin", f"Add a {noun}.",
         create_row, validate(tag, 201, row, json=new)),
        ("GET", one, "read", "viewer", f"One {noun}.",
         read_row, validate(tag, 200, row, cacheable=True)),
        ("PATCH", one, "change", "admin", f"Change some columns of a {noun}.",
         change_row, validate(tag, 200, row, json=changes)),
        ("DELETE", one, "delete", "admin", f"Remove a {noun}.",
         delete_row, validate(tag, 204, None)),
    ]  # fmt: skip
    for method, rule, verb, role, doc, func, schema in views:
        view = needs(role)(schema(_named(func, f"{verb}_{endpoint}", doc)))
        blueprint.add_url_rule(rule, f"{verb}_{endpoint}", view, methods=[method])


for _resource in RESOURCES:
    register(_resource)
