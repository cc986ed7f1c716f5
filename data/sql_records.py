"""Row-by-row reads and writes of reference tables on SQLite and PostgreSQL.

data/records.py checks every name and value first; each write here is one
statement in one transaction, so a row is written whole or not at all.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from sqlalchemy import Table, and_, select, true
from sqlalchemy import exc as sa_exc

from data import records
from data.readpath import first_line
from data.records import Field
from errors import InvalidInput, NotFound

if TYPE_CHECKING:
    from data.sql_store import SQLStore


class SQLRecords:
    """The records API of one SQL store."""

    def __init__(self, store: SQLStore, accounts: bool = False) -> None:
        self.store = store
        #: Reaches the account tables, and only them (Store.accounts()).
        self.accounts = accounts

    def _fields(self, tbl: Table) -> list[Field]:
        return records.fields_for(tbl.name, lambda: records.fields_of(tbl))

    def _bind(self, fields: Sequence[Field], values: Mapping[str, Any]) -> dict[str, Any]:
        kinds = {f.name: f.kind for f in fields}
        return {
            name: self.store._bind_time(v) if kinds[name] == "timestamp" and v is not None else v
            for name, v in values.items()
        }

    def _match(self, tbl: Table, fields: Sequence[Field], where: Mapping[str, Any]) -> Any:
        bound = self._bind(fields, where)
        return and_(
            true(), *[tbl.c[n].is_(None) if v is None else tbl.c[n] == v for n, v in bound.items()]
        )

    def rows(
        self,
        table: str,
        where: Mapping[str, Any] | None,
        order_by: Sequence[str] | None,
        limit: int,
    ) -> list[dict[str, Any]]:
        tbl = self.store._table(table, self.accounts)
        fields = self._fields(tbl)
        chosen = records.clean_where(table, fields, where)
        order = records.clean_order(table, fields, order_by)
        limit = records.clean_limit(limit)
        query = (
            select(*[tbl.c[f.name] for f in fields])
            .where(self._match(tbl, fields, chosen))
            .order_by(*[tbl.c[n].desc() if d else tbl.c[n].asc() for n, d in order])
            .limit(limit)
        )
        with self.store._connect() as conn:
            found = conn.execute(query).all()
        return [records.stored(fields, r._mapping) for r in found]

    def insert(self, table: str, values: Mapping[str, Any]) -> dict[str, Any]:
        tbl = self.store._table(table, self.accounts)
        fields = self._fields(tbl)
        row = records.clean_values(table, fields, values)
        key = {n: row[n] for n in records.primary_key(table, fields)}
        try:
            with self.store._connect(write=True) as conn:
                conn.execute(tbl.insert().values(**self._bind(fields, row)))
        except sa_exc.IntegrityError:
            raise InvalidInput(
                f"a row with {records.key_text(key)} already exists in table '{table}'"
            ) from None
        except sa_exc.StatementError as exc:
            raise InvalidInput(f"row refused by table '{table}': {_reason(exc)}") from None
        return records.stored(fields, row)

    def update(
        self, table: str, key: Mapping[str, Any], values: Mapping[str, Any]
    ) -> dict[str, Any]:
        tbl = self.store._table(table, self.accounts)
        fields = self._fields(tbl)
        key = records.clean_key(table, fields, key)
        changes = records.clean_changes(table, fields, values)
        try:
            with self.store._connect(write=True) as conn:
                done = conn.execute(
                    tbl.update()
                    .where(self._match(tbl, fields, key))
                    .values(**self._bind(fields, changes))
                )
                if done.rowcount == 0:
                    raise NotFound(f"no row with {records.key_text(key)} in table '{table}'")
                found = conn.execute(
                    select(*[tbl.c[f.name] for f in fields]).where(self._match(tbl, fields, key))
                ).one()
        except sa_exc.StatementError as exc:
            raise InvalidInput(f"row refused by table '{table}': {_reason(exc)}") from None
        return records.stored(fields, found._mapping)

    def delete(self, table: str, key: Mapping[str, Any]) -> None:
        tbl = self.store._table(table, self.accounts)
        fields = self._fields(tbl)
        key = records.clean_key(table, fields, key)
        with self.store._connect(write=True) as conn:
            done = conn.execute(tbl.delete().where(self._match(tbl, fields, key)))
            if done.rowcount == 0:
                raise NotFound(f"no row with {records.key_text(key)} in table '{table}'")


def _reason(exc: sa_exc.StatementError) -> str:
    return first_line(getattr(exc, "orig", None) or exc)
