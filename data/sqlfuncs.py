"""Dialect-specific SQL pieces for time arithmetic, compiled per backend.

The M4 query needs "seconds since the epoch" and "which bucket" on every
database; each dialect spells them differently, so they are constructs that
compile per dialect instead of strings pasted into queries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Float, Integer
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement):  # noqa: N801 - reads like a SQL function
    """Seconds since 1970-01-01 UTC of a timestamp column, as a float."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


class floor_int(FunctionElement):  # noqa: N801
    """Largest integer not above a non-negative number."""

    type = Integer()
    inherit_cache = True
    name = "floor_int"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # julianday() parses the ISO text SQLAlchemy stores; 2440587.5 is 1970-01-01.
    return f"((julianday({compiler.process(element.clauses, **kw)}) - 2440587.5) * 86400.0)"


@compiles(epoch_seconds, "postgresql")
def _epoch_postgresql(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    return (
        f"CAST(EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)}) AS DOUBLE PRECISION)"
    )


@compiles(floor_int, "sqlite")
def _floor_sqlite(element: floor_int, compiler: Any, **kw: Any) -> str:
    # CAST truncates toward zero, which is floor for the non-negative offsets used here.
    return f"CAST({compiler.process(element.clauses, **kw)} AS INTEGER)"


@compiles(floor_int, "postgresql")
def _floor_postgresql(element: floor_int, compiler: Any, **kw: Any) -> str:
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS INTEGER)"
