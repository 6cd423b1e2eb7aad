"""JSON Schema -> DuckDB columns: names, types, and how a column type may evolve.

Types follow what the values need to round-trip: ``date-time`` strings become TIMESTAMPTZ
(an instant; the offset is applied, never dropped), nested objects/arrays and unions of
unrelated types become JSON (lossless), everything else maps to its natural scalar type.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from tap_calendly.loader.errors import LoaderError

BOOLEAN = "BOOLEAN"
BIGINT = "BIGINT"
DOUBLE = "DOUBLE"
DATE = "DATE"
TIMESTAMPTZ = "TIMESTAMPTZ"
VARCHAR = "VARCHAR"
JSON = "JSON"

KNOWN_TYPES = frozenset({BOOLEAN, BIGINT, DOUBLE, DATE, TIMESTAMPTZ, VARCHAR, JSON})
# Chains of types where each one holds every value of the ones before it.
_CHAINS = ((BOOLEAN, BIGINT, DOUBLE), (DATE, TIMESTAMPTZ))

DELETED_AT = "_sdc_deleted_at"
TABLE_VERSION = "_sdc_table_version"
# Metadata columns added by ``add_record_metadata`` (name -> type).
METADATA_COLUMNS: dict[str, str] = {
    "_sdc_extracted_at": TIMESTAMPTZ,
    "_sdc_received_at": TIMESTAMPTZ,
    "_sdc_batched_at": TIMESTAMPTZ,
    DELETED_AT: TIMESTAMPTZ,
    "_sdc_sequence": BIGINT,
    TABLE_VERSION: BIGINT,
}

_UNSAFE = re.compile(r"[^a-z0-9_]")


def safe_name(name: str) -> str:
    """Lower-case, and every character outside ``[a-z0-9_]`` becomes ``_``."""
    cleaned = _UNSAFE.sub("_", name.lower())
    return cleaned or "_"


@dataclass(frozen=True)
class Column:
    """One top-level property: its JSON key, its column name and the type its schema asks for.

    ``derived`` columns hold properties the schema does not declare; their type follows the
    values seen (and widens when later values need it).
    """

    prop: str
    name: str
    type: str
    derived: bool = False


def _types_of(schema: dict[str, Any]) -> tuple[set[str], set[str]]:
    """JSON types (without null) and string formats a property allows, anyOf/oneOf included."""
    types: set[str] = set()
    formats: set[str] = set()
    variants = schema.get("anyOf") or schema.get("oneOf")
    if isinstance(variants, list):
        for variant in variants:
            if isinstance(variant, dict):
                sub_types, sub_formats = _types_of(variant)
                types |= sub_types
                formats |= sub_formats
    declared = schema.get("type")
    if isinstance(declared, str):
        types.add(declared)
    elif isinstance(declared, list):
        types.update(t for t in declared if isinstance(t, str))
    if "string" in types or not types:
        fmt = schema.get("format")
        if isinstance(fmt, str):
            formats.add(fmt)
        elif "string" in types:
            formats.add("")  # a plain string variant
    types.discard("null")
    return types, formats


def column_type(schema: Any) -> str:
    """The DuckDB type for one property schema."""
    if not isinstance(schema, dict):
        return JSON
    types, formats = _types_of(schema)
    if types == {"string"}:
        if formats == {"date-time"}:
            return TIMESTAMPTZ
        if formats == {"date"}:
            return DATE
        return VARCHAR
    if types == {"integer"}:
        return BIGINT
    if types <= {"integer", "number"} and types:
        return DOUBLE
    if types == {"boolean"}:
        return BOOLEAN
    return JSON  # object, array, no type, or a union of unrelated types


def columns_for(stream: str, schema: Any, *, line: int) -> list[Column]:
    """Columns for a stream's top-level properties, in schema order, with unique safe names.

    Names that collide once sanitised (``camelCase`` and ``camelcase``) get ``__2``, ``__3``
    in sorted order of their original keys, so the mapping does not depend on schema order.
    """
    properties = schema.get("properties") if isinstance(schema, dict) else None
    if not isinstance(properties, dict) or not properties:
        raise LoaderError(
            "SCHEMA has no top-level 'properties'; cannot create a table", line=line, stream=stream
        )
    groups: dict[str, list[str]] = {}
    for prop in sorted(properties):
        groups.setdefault(safe_name(prop), []).append(prop)
    taken = set(groups)  # every natural name is reserved before suffixes are handed out
    names: dict[str, str] = {}
    for base, props in groups.items():
        names[props[0]] = base
        suffix = 2
        for prop in props[1:]:
            while f"{base}__{suffix}" in taken:
                suffix += 1
            names[prop] = f"{base}__{suffix}"
            taken.add(names[prop])
    return [Column(prop, names[prop], column_type(properties[prop])) for prop in properties]


def supertype(current: str, wanted: str) -> str:
    """Narrowest type holding every value of both: same chain -> the wider, else VARCHAR/JSON."""
    if current == wanted or current not in KNOWN_TYPES:
        return current  # a column this loader did not create keeps its type
    for chain in _CHAINS:
        if current in chain and wanted in chain:
            return max(current, wanted, key=chain.index)
    if JSON in (current, wanted):
        return JSON
    return VARCHAR


def read_type(column_type: str) -> str:
    """Type DuckDB's JSON reader uses for a column.

    Integers are read as text and checked before the cast, because the reader would
    silently truncate ``2.5`` to 2 for a BIGINT field.
    """
    return VARCHAR if column_type == BIGINT else column_type


def quote(identifier: str) -> str:
    """A DuckDB quoted identifier."""
    return '"' + identifier.replace('"', '""') + '"'


def literal(text: str) -> str:
    """A DuckDB string literal."""
    return "'" + text.replace("'", "''") + "'"
