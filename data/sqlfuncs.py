"""Dialect-specific SQL pieces for time arithmetic, compiled per backend.

The M4 query needs "seconds since the epoch" and "which bucket" on every
database; each dialect spells them differently, so they are constructs that
compile per dialect instead of strings pasted into queries.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Float
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement


class epoch_seconds(FunctionElement):  # noqa: N801 - reads like a SQL function
    """Seconds since 1970-01-01 UTC of a timestamp column, as a float."""

    type = Float()
    inherit_cache = True
    name = "epoch_seconds"


class floor_int(FunctionElement):  # noqa: N801
    """Largest integer not above a non-negative number."""

    type = BigInteger()
    inherit_cache = True
    name = "floor_int"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element: epoch_seconds, compiler: Any, **kw: Any) -> str:
    # Whole seconds from unixepoch() plus the stored fraction ('.123456'): exact,
    # where julianday() arithmetic is off by ~40 µs and moves rows across bucket edges.
    t = compiler.process(element.clauses, **kw)
    return f"(unixepoch({t}) + CAST(substr({t}, 20) AS REAL))"


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
    return f"CAST(FLOOR({compiler.process(element.clauses, **kw)}) AS BIGINT)"
