"""The table catalog both stores share: when it looks again, what it refuses, what it keeps."""

from __future__ import annotations

import pytest

from data import catalog
from data.catalog import Catalog
from errors import NotFound


class Tables:
    """A store's table list that a test changes, counting how often it is asked."""

    def __init__(self, *names: str) -> None:
        self.names, self.listed, self.read = set(names), 0, []

    def list_names(self) -> set[str]:
        self.listed += 1
        return set(self.names)

    def schema_of(self, name: str) -> str:
        self.read.append(name)
        return f"schema of {name} #{len(self.read)}"


def test_a_table_made_since_the_last_look_is_found_at_once() -> None:
    tables = Tables("machine_readings")
    found = Catalog(tables.list_names, tables.schema_of)
    assert found.schema("machine_readings") == "schema of machine_readings #1"
    assert found.schema("machine_readings") == "schema of machine_readings #1"  # kept
    asked = tables.listed
    tables.names.add("battery_readings")
    assert found.schema("battery_readings") == "schema of battery_readings #2"
    assert tables.listed == asked + 1  # the miss looked again, once


def test_names_are_looked_up_again_after_the_ttl(monkeypatch: pytest.MonkeyPatch) -> None:
    tables = Tables("machine_readings")
    found = Catalog(tables.list_names, tables.schema_of)
    found.schema("machine_readings")
    asked = tables.listed
    assert found.has("machine_readings") and tables.listed == asked  # fresh: no I/O
    monkeypatch.setattr(catalog, "TTL_SECONDS", -1.0)
    tables.names.discard("machine_readings")
    assert not found.has("machine_readings")
    with pytest.raises(NotFound, match="unknown table 'machine_readings'"):
        found.schema("machine_readings")


def test_a_dropped_table_loses_its_schema_and_forget_rereads() -> None:
    tables = Tables("machines")
    found = Catalog(tables.list_names, tables.schema_of)
    assert found.schema("machines").endswith("#1")
    tables.names.clear()
    found.refresh()
    tables.names.add("machines")  # made again, maybe with other columns
    assert found.schema("machines").endswith("#2")
    found.forget("machines")
    assert found.schema("machines").endswith("#3")


@pytest.mark.parametrize("name", ["users", "api_tokens", "m4_rollups", "nope", 3, None])
def test_what_a_request_may_not_name_is_refused_before_any_read(name: object) -> None:
    tables = Tables("users", "api_tokens", "m4_rollups", "machines")
    found = Catalog(tables.list_names, tables.schema_of)
    with pytest.raises(NotFound, match="unknown table"):
        found.schema(name)  # type: ignore[arg-type]
    assert tables.read == []
    assert found.visible() == ["machines"]


def test_account_tables_only_with_accounts() -> None:
    tables = Tables("users", "machines")
    found = Catalog(tables.list_names, tables.schema_of)
    assert found.schema("users", accounts=True).startswith("schema of users")
    with pytest.raises(NotFound):
        found.schema("machines", accounts=True)
