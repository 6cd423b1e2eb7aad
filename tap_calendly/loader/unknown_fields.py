"""Properties present in records but absent from the stream's SCHEMA (an API adds a field).

They get their own columns, typed from the values in the batch, so nothing a tap sends is
dropped and the new field is queryable like any other. Only representative records (one
per new key shape) are listed, and the batch is scanned for types only when a property is
really new.
"""

from __future__ import annotations

import duckdb
import orjson

from tap_calendly.loader.batch import Batch
from tap_calendly.loader.schema_map import (
    BIGINT,
    BOOLEAN,
    DELETED_AT,
    DOUBLE,
    JSON,
    METADATA_COLUMNS,
    TIMESTAMPTZ,
    VARCHAR,
    Column,
    safe_name,
)
from tap_calendly.loader.spool_sql import objects, pointer

# json_type() names -> the narrowest column type holding all of them
_INTEGERS = frozenset({"BIGINT", "UBIGINT"})
_NUMBERS = _INTEGERS | {"DOUBLE"}


def unknown_properties(con: duckdb.DuckDBPyConnection, batch: Batch, ords: set[int]) -> list[str]:
    """Record keys of spool lines ``ords`` (one per new key shape) that no column holds."""
    rows = con.execute(
        "SELECT DISTINCT unnest(json_keys(json, " + pointer("record") + ")) AS key "
        f"FROM {objects(batch)} WHERE list_contains(?, ordinality) ORDER BY key",
        [sorted(ords)],
    ).fetchall()
    known = {c.prop for c in batch.columns}
    return [str(row[0]) for row in rows if row[0] not in known]


def value_types(
    con: duckdb.DuckDBPyConnection, batch: Batch, props: list[str]
) -> dict[str, set[str]]:
    """The JSON types (``json_type`` names, without NULL) each property takes in the batch."""
    if not props:
        return {}
    paths = ", ".join(pointer("record", p) for p in props)
    lists = ", ".join(f"list(DISTINCT t[{i}])" for i in range(1, len(props) + 1))
    row = con.execute(
        f"SELECT {lists} FROM (SELECT json_type(json, [{paths}]) AS t FROM {objects(batch)})"
    ).fetchone()
    assert row is not None
    return {
        p: {str(t) for t in (types or []) if t not in (None, "NULL")}
        for p, types in zip(props, row, strict=True)
    }


def value_types_in_python(batch: Batch) -> dict[str, set[str]]:
    """The same for every undeclared property, for batches with lines too large for DuckDB to
    parse twice within memory_limit: decode each line (the key pass has validated them)."""
    declared = {c.prop for c in batch.columns if not c.derived}
    kinds: dict[str, set[str]] = {}
    with batch.spool.open("rb") as spool:
        for raw in spool:
            record = orjson.loads(raw).get("record")
            for key, value in record.items():
                if key not in declared:
                    kinds.setdefault(key, set()).add(_python_type(value))
    return {k: kinds[k] - {"NULL"} for k in sorted(kinds)}


def _python_type(value: object) -> str:
    """json_type()'s name for a decoded JSON value."""
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "BOOLEAN"
    if isinstance(value, int):
        return "BIGINT"
    if isinstance(value, float):
        return "DOUBLE"
    if isinstance(value, str):
        return "VARCHAR"
    return "ARRAY" if isinstance(value, list) else "OBJECT"


def new_columns(batch: Batch, kinds: dict[str, set[str]]) -> list[Column]:
    """A uniquely named column for each property in ``kinds`` (in its order)."""
    taken = {c.name for c in batch.columns} | (set(METADATA_COLUMNS) - {DELETED_AT})
    found = []
    for prop, types in kinds.items():
        base = safe_name(prop)
        name, suffix = base, 2
        while name in taken:
            name, suffix = f"{base}__{suffix}", suffix + 1
        taken.add(name)
        found.append(Column(prop, name, column_type(prop, types), derived=True))
    return found


def column_type(prop: str, kinds: set[str]) -> str:
    """The narrowest column type holding every JSON type seen (JSON when they differ)."""
    if prop == DELETED_AT:
        return TIMESTAMPTZ  # the Singer deletion marker: an instant
    if not kinds:
        return JSON  # only nulls so far: JSON holds whatever comes later
    if kinds == {"VARCHAR"}:
        return VARCHAR
    if kinds <= _INTEGERS:
        return BIGINT
    if kinds <= _NUMBERS:
        return DOUBLE
    if kinds == {"BOOLEAN"}:
        return BOOLEAN
    return JSON  # objects, arrays, or a mix of types
