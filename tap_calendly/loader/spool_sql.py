"""The SQL that reads a batch's spool: a narrow key pass and the full typed read.

Internal column names start with ``#``: table columns are sanitised to ``[a-z0-9_]``, so no
property, however it is named, can collide with them.
"""

from __future__ import annotations

from tap_calendly.loader.batch import Batch
from tap_calendly.loader.schema_map import (
    BIGINT,
    DELETED_AT,
    JSON,
    TIMESTAMPTZ,
    VARCHAR,
    literal,
    quote,
    read_type,
)

ORD = '"#ord"'  # the record's line in the spool, from 1
VERSION = '"#version"'
VERSION_TEXT = '"#version_text"'  # the raw value, to tell a bad version from none
DELETED = '"#deleted"'
EXTRACTED = '"#extracted"'
SHAPE = '"#shape"'  # hash of the record's key list: which properties it carries
NOT_OBJECT = '"#not_object"'
KEYS_TABLE = 'temp.main."#keys"'
LAST_TABLE = 'temp.main."#last"'  # the last occurrence of each key in the batch
STAGE_TABLE = 'temp.main."#stage"'
TEMP_TABLES = (KEYS_TABLE, LAST_TABLE, STAGE_TABLE)

# DuckDB sizes its read buffers from maximum_object_size: a 16 MB default made each read of
# a small spool cost 4 ms (thousands of small streams), so it is sized from the batch.
_MIN_OBJECT_SIZE = 64 * 1024
LARGE_LINE = 8 * 1024 * 1024


def pointer(*parts: str) -> str:
    """A JSON pointer literal (exact key match, unlike JSONPath's ``$.a.b``)."""
    return literal("".join("/" + p.replace("~", "~0").replace("/", "~1") for p in parts))


def objects(batch: Batch) -> str:
    """Each spooled line as one JSON value, numbered from 1 by ``ordinality``."""
    return (
        f"read_json_objects({literal(str(batch.spool))}, format = 'newline_delimited', "
        f"maximum_object_size = {object_size(batch)}) WITH ORDINALITY"
    )


def object_size(batch: Batch) -> int:
    """maximum_object_size for reading the spool: above its longest line (max_line bounds it)."""
    return max(batch.max_line + 1024, _MIN_OBJECT_SIZE)


def deleted_type(batch: Batch) -> str:
    declared = next((c for c in batch.columns if c.prop == DELETED_AT), None)
    return read_type(declared.type) if declared else TIMESTAMPTZ


def large_lines(batch: Batch) -> bool:
    """Whether the batch may hold a record too big to parse twice within a small memory_limit."""
    return batch.max_line > LARGE_LINE


def keys_sql(batch: Batch) -> str:
    """Key pass: keys, version, _sdc_deleted_at, the record's shape, and whether it is an object.

    One parse extracts the fields, one lists the record's keys (hashed: equal key lists,
    equal shape), so unknown properties are found without decoding records in Python.
    Batches with very large lines use one typed read instead and leave the shape to Python.
    """
    if large_lines(batch):
        return _keys_sql_typed(batch)
    key_columns = [c for c in batch.columns if c.name in batch.keys]
    paths = [pointer("version"), pointer("record", DELETED_AT)]
    paths += [pointer("record", c.prop) for c in key_columns]
    selects = [
        f"ordinality AS {ORD}",
        f"TRY_CAST(v[1] AS BIGINT) AS {VERSION}",
        f"v[1] AS {VERSION_TEXT}",
        f"TRY_CAST(v[2] AS {deleted_type(batch)}) AS {DELETED}",
        f"hash(k) AS {SHAPE}",
        # CASE, not AND: json_type parses the line again, only worth it for empty key lists
        f"CASE WHEN coalesce(len(k), 0) = 0 THEN coalesce(json_type(json, "
        f"{pointer('record')}), '') <> 'OBJECT' ELSE false END AS {NOT_OBJECT}",
    ]
    for index, column in enumerate(key_columns, start=3):
        if column.type == JSON:
            value = f"json_extract(json, {pointer('record', column.prop)})"
        else:
            value = f"TRY_CAST(v[{index}] AS {column.type})"
        selects.append(f"{value} AS {quote(column.name)}")
        # only the absence of the raw value means a missing key (a bad value fails the load)
        selects.append(f"v[{index}] IS NULL AS {missing(column.name)}")
    return (
        f"SELECT {', '.join(selects)} FROM (SELECT ordinality, json, "
        f"json_extract_string(json, [{', '.join(paths)}]) AS v, "
        f"json_keys(json, {pointer('record')}) AS k FROM {objects(batch)})"
    )


def _keys_sql_typed(batch: Batch) -> str:
    key_columns = [c for c in batch.columns if c.name in batch.keys]
    struct = [f"{quote(c.prop)} {read_type(c.type)}" for c in key_columns]
    if not any(c.prop == DELETED_AT for c in key_columns):
        struct.append(f"{quote(DELETED_AT)} {deleted_type(batch)}")
    selects = [
        f"ordinality AS {ORD}",
        f"TRY_CAST(version AS BIGINT) AS {VERSION}",
        f"version AS {VERSION_TEXT}",
        f"record.{quote(DELETED_AT)} AS {DELETED}",
        f"0::UBIGINT AS {SHAPE}",
        f"record IS NULL AS {NOT_OBJECT}",
    ]
    for column in key_columns:
        value = f"record.{quote(column.prop)}"
        if column.type == BIGINT:
            value = f"TRY_CAST({value} AS BIGINT)"
        selects.append(f"{value} AS {quote(column.name)}")
        selects.append(f"record.{quote(column.prop)} IS NULL AS {missing(column.name)}")
    columns = "{'version': 'VARCHAR', 'record': " + literal(f"STRUCT({', '.join(struct)})") + "}"
    return (
        f"SELECT {', '.join(selects)} FROM read_json({literal(str(batch.spool))}, "
        f"format = 'newline_delimited', columns = {columns}, "
        f"maximum_object_size = {object_size(batch)}) WITH ORDINALITY"
    )


def missing(name: str) -> str:
    """The key pass's flag column: the key property is absent or null."""
    return quote("#missing_" + name)


def read_sql(batch: Batch, *, with_extracted: bool) -> str:
    """Typed read of every column: DuckDB parses the spool with the schema's types."""
    props = [c.prop for c in batch.columns]
    declared_deleted = any(c.prop == DELETED_AT for c in batch.columns)
    if not declared_deleted:
        props.append(DELETED_AT)
    selects = [f"ordinality AS {ORD}", f"version AS {VERSION}"]
    reads: dict[str, str] = {"version": BIGINT}
    if with_extracted:
        reads["time_extracted"] = VARCHAR  # checked where it is inserted (a clear error)
        selects.append(f"time_extracted AS {EXTRACTED}")
    fields = [(c.prop, c.name, read_type(c.type)) for c in batch.columns]
    deleted_kind = deleted_type(batch)
    if len({p.lower() for p in props}) < len(props):
        # STRUCT field names are case-insensitive in DuckDB: read the record as JSON
        # and pull each property by its exact JSON pointer instead.
        reads["record"] = JSON
        for prop, name, kind in fields:
            selects.append(f"{_json_field(prop, kind)} AS {quote(name)}")
        selects.append(f"{_json_field(DELETED_AT, deleted_kind)} AS {DELETED}")
    else:
        struct = [f"{quote(prop)} {kind}" for prop, _, kind in fields]
        if not declared_deleted:
            struct.append(f"{quote(DELETED_AT)} {deleted_kind}")
        reads["record"] = f"STRUCT({', '.join(struct)})"
        selects.extend(f"record.{quote(prop)} AS {quote(name)}" for prop, name, _ in fields)
        selects.append(f"record.{quote(DELETED_AT)} AS {DELETED}")
    columns = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in reads.items()) + "}"
    return (
        f"SELECT {', '.join(selects)} FROM read_json({literal(str(batch.spool))}, "
        f"format = 'newline_delimited', columns = {columns}, "
        f"maximum_object_size = {object_size(batch)}) WITH ORDINALITY"
    )


def _json_field(prop: str, kind: str) -> str:
    path = pointer(prop)
    if kind == JSON:
        value = f"json_extract(record, {path})"
        return f"CASE WHEN json_type(record, {path}) = 'NULL' THEN NULL ELSE {value} END"
    return f"CAST(json_extract_string(record, {path}) AS {kind})"
