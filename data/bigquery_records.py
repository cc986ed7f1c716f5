"""Row-by-row reads and writes of reference tables on BigQuery: one DML job each.

data/records.py checks every name and value first. BigQuery enforces no
primary key, so an insert is `INSERT ... SELECT ... WHERE NOT EXISTS` on the
key: one job that adds the row whole or not at all, and a second insert of
the same key adds nothing. Only reference tables (those with a primary key)
come here; readings keep arriving by load jobs.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from google.cloud.bigquery import ScalarQueryParameter

from data import records
from data.bigquery_store import BigQueryStore, Scan, quote
from data.records import Field, Kind
from errors import InvalidInput, NotFound

PARAM_TYPES: dict[Kind, str] = {
    "text": "STRING",
    "int": "INT64",
    "float": "FLOAT64",
    "bool": "BOOL",
    "date": "DATE",
    "timestamp": "TIMESTAMP",
}
#: BigQuery type names to the kinds of data/records.py (user tables).
BIGQUERY_KINDS: dict[str, Kind] = {
    "STRING": "text",
    "INT64": "int",
    "INTEGER": "int",
    "FLOAT64": "float",
    "FLOAT": "float",
    "NUMERIC": "float",
    "BIGNUMERIC": "float",
    "BOOL": "bool",
    "BOOLEAN": "bool",
    "DATE": "date",
    "TIMESTAMP": "timestamp",
}


class BigQueryRecords:
    """The records API of one BigQuery store."""

    def __init__(self, store: BigQueryStore, accounts: bool = False) -> None:
        self.store = store
        #: Reaches the account tables, and only them (Store.accounts()).
        self.accounts = accounts

    def _fields(self, table: str) -> list[Field]:
        info = self.store._info(table, self.accounts)  # NotFound: a table the catalog lacks

        def catalog() -> list[Field]:
            return [
                Field(
                    f.name,
                    BIGQUERY_KINDS[f.field_type],
                    f.mode != "REQUIRED",
                    f.name in info.primary,
                    f.max_length if f.field_type == "STRING" else None,
                )
                for f in info.fields.values()
                if f.field_type in BIGQUERY_KINDS
            ]

        return records.fields_for(table, catalog)

    def _conditions(
        self, fields: Sequence[Field], where: Mapping[str, Any], prefix: str, params: list[Any]
    ) -> list[str]:

        kinds = {f.name: f.kind for f in fields}
        conds = []
        for i, (name, value) in enumerate(where.items()):
            if value is None:
                conds.append(f"{quote(name)} IS NULL")
                continue
            conds.append(f"{quote(name)} = @{prefix}{i}")
            params.append(ScalarQueryParameter(f"{prefix}{i}", PARAM_TYPES[kinds[name]], value))
        return conds or ["TRUE"]

    def _select(self, table: str, fields: Sequence[Field]) -> str:

        columns = ", ".join(quote(f.name) for f in fields)
        return f"SELECT {columns} FROM {self.store._ref(table)}"

    def rows(
        self,
        table: str,
        where: Mapping[str, Any] | None,
        order_by: Sequence[str] | None,
        limit: int,
    ) -> list[dict[str, Any]]:

        fields = self._fields(table)
        chosen = records.clean_where(table, fields, where)
        order = records.clean_order(table, fields, order_by)
        limit = records.clean_limit(limit)
        params: list[Any] = [ScalarQueryParameter("limit", "INT64", limit)]
        conds = self._conditions(fields, chosen, "w", params)
        ordering = ", ".join(f"{quote(n)}{' DESC' if d else ''}" for n, d in order)
        sql = (
            f"{self._select(table, fields)} WHERE {' AND '.join(conds)} "
            f"ORDER BY {ordering} LIMIT @limit"
        )
        found = self.store._query("rows", sql, params, [Scan(table, tuple(f.name for f in fields))])
        return [records.stored(fields, dict(r.items())) for r in found]

    def insert(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:

        fields = self._fields(table)
        row = records.clean_values(table, fields, values)
        key = {n: row[n] for n in records.primary_key(table, fields)}
        params = _values(fields, row)
        conds = self._conditions(fields, key, "k", params)
        target = self.store._ref(table)
        sql = (
            f"INSERT INTO {target} ({', '.join(quote(n) for n in row)}) "
            f"SELECT {', '.join(f'@v{i}' for i in range(len(row)))} FROM UNNEST([1]) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {target} WHERE {' AND '.join(conds)})"
        )
        added = self.store._dml("insert-row", sql, params, [Scan(table, tuple(key))])
        self.store.rollups.forget(table)
        if not added:
            raise InvalidInput(
                f"a row with {records.key_text(key)} already exists in table '{table}'"
            )
        return records.stored(fields, row)

    def update(
        self, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
    ) -> dict[str, Any]:

        fields = self._fields(table)
        key = records.clean_key(table, fields, key)
        changes = records.clean_changes(table, fields, values)
        params = _values(fields, changes)
        sets = ", ".join(f"{quote(n)} = @v{i}" for i, n in enumerate(changes))
        conds = self._conditions(fields, key, "k", params)
        sql = f"UPDATE {self.store._ref(table)} SET {sets} WHERE {' AND '.join(conds)}"
        self._change("update-row", table, sql, params, key)
        return self.rows(table, key, None, 1)[0]

    def delete(self, table: str, key: Mapping[str, Any]) -> None:
        fields = self._fields(table)
        key = records.clean_key(table, fields, key)
        params: list[Any] = []
        conds = self._conditions(fields, key, "k", params)
        sql = f"DELETE FROM {self.store._ref(table)} WHERE {' AND '.join(conds)}"
        self._change("delete-row", table, sql, params, key)

    def _change(
        self, purpose: str, table: str, sql: str, params: list[Any], key: Mapping[str, Any]
    ) -> None:
        """Run an UPDATE or DELETE of the row named by `key`; NotFound when none was."""
        touched = self.store._dml(purpose, sql, params, [Scan(table, tuple(key))])
        self.store.rollups.forget(table)
        if not touched:
            raise NotFound(f"no row with {records.key_text(key)} in table '{table}'")


def _values(fields: Sequence[Field], values: Mapping[str, Any]) -> list[Any]:
    """@v0, @v1, ...: one parameter per value, typed by its column."""
    kinds = {f.name: f.kind for f in fields}
    return [
        ScalarQueryParameter(f"v{i}", PARAM_TYPES[kinds[name]], value)
        for i, (name, value) in enumerate(values.items())
    ]
