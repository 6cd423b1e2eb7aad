"""Turn DuckDB's rejection of a spool into one line naming the input line, stream and property.

DuckDB reports a bad value without saying which record held it in a form a user can act on,
so Python re-reads the spool (only on this failure path) to find the first line DuckDB could
not have loaded and say why, in the same words for every path a record can take.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import duckdb
import orjson

from tap_calendly.loader.batch import Batch
from tap_calendly.loader.errors import LoaderError
from tap_calendly.loader.schema_map import (
    BIGINT,
    BOOLEAN,
    DATE,
    DELETED_AT,
    DOUBLE,
    JSON,
    TIMESTAMPTZ,
    VARCHAR,
)

# Markers our SQL raises with error(), followed by the spool line (and the column index)
BAD_INTEGER = "target-calendly-duckdb:not-an-integer:"
BAD_EXTRACTED = "target-calendly-duckdb:bad-time-extracted:"
_BAD_INTEGER_RE = re.compile(re.escape(BAD_INTEGER) + r"(\d+):(\d+)")
_BAD_EXTRACTED_RE = re.compile(re.escape(BAD_EXTRACTED) + r"(\d+)")
_LINE_RE = re.compile(r"\bline (\d+)")
_SPOOL_RE = re.compile(r' in file "[^"]*",')
_BOOLEAN_TEXT = frozenset({"true", "false", "t", "f", "1", "0", "y", "n", "yes", "no"})


def locate(batch: Batch, exc: duckdb.Error) -> LoaderError:
    """DuckDB rejected the spool: find the exact bad line with a cheap Python pass."""
    flagged = _BAD_INTEGER_RE.search(str(exc))
    if flagged:  # our integer check, raised with DuckDB's error()
        ord_, index = int(flagged.group(1)), int(flagged.group(2))
        return LoaderError(
            "record does not match its schema: "
            f"property {batch.columns[index].prop!r} must be an integer",
            line=batch.input_line(ord_ - 1),
            stream=batch.stream,
        )
    flagged = _BAD_EXTRACTED_RE.search(str(exc))
    if flagged:
        return LoaderError(
            "RECORD message's 'time_extracted' must be a date-time",
            line=batch.input_line(int(flagged.group(1)) - 1),
            stream=batch.stream,
        )
    found = first_bad_line(batch)
    if found is not None:
        index, reason = found
        return LoaderError(reason, line=batch.input_line(index), stream=batch.stream)
    hint = _LINE_RE.search(str(exc))
    line = None
    if hint and 0 < int(hint.group(1)) <= batch.rows:
        line = batch.input_line(int(hint.group(1)) - 1)
    detail = _SPOOL_RE.sub("", str(exc).splitlines()[0])
    return LoaderError(
        f"record does not match its schema: {detail}", line=line, stream=batch.stream
    )


def first_bad_line(batch: Batch) -> tuple[int, str] | None:
    """0-based spool index and reason of the first line DuckDB could not have loaded."""
    declared_deleted = any(c.prop == DELETED_AT for c in batch.columns)
    with batch.spool.open("rb") as spool:
        for index, raw in enumerate(spool):
            reason = _problem(raw, batch, check_deleted=not declared_deleted)
            if reason is not None:
                return index, reason
    return None


def _problem(raw: bytes, batch: Batch, *, check_deleted: bool) -> str | None:
    try:
        message = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        return f"malformed JSON: {exc.msg} at character {exc.pos}"
    record = message.get("record") if isinstance(message, dict) else None
    if not isinstance(record, dict):
        return "RECORD message has no 'record' object"
    version = message.get("version")
    if version is not None and not fits(version, BIGINT):
        return "RECORD message's 'version' must be an integer"
    for column in batch.columns:
        value = record.get(column.prop)
        if value is not None and not fits(value, column.type):
            expected = "must be an integer" if column.type == BIGINT else f"cannot be {column.type}"
            return (
                f"record does not match its schema: property {column.prop!r} "
                f"{expected}: {_short(value)}"
            )
    deleted = record.get(DELETED_AT)
    if check_deleted and deleted is not None and not fits(deleted, TIMESTAMPTZ):
        return f"property {DELETED_AT!r} must be a date-time: {_short(deleted)}"
    return None


def fits(value: Any, kind: str) -> bool:
    """Whether DuckDB loads ``value`` into a column of type ``kind`` (Python's view of it)."""
    if kind in (VARCHAR, JSON):
        return True
    if kind == BOOLEAN and isinstance(value, str):
        return value.strip().lower() in _BOOLEAN_TEXT
    if kind == BIGINT and not isinstance(value, bool | int):
        try:  # the same rule as the SQL check: a number with no fractional part
            number = float(value)
        except (TypeError, ValueError):
            return False
        return number.is_integer() and abs(number) < 2**63
    if kind in (BIGINT, DOUBLE, BOOLEAN):
        return isinstance(value, bool | int | float | str)  # DuckDB casts numeric strings
    if kind in (TIMESTAMPTZ, DATE):
        if not isinstance(value, str):
            return False
        try:
            (date if kind == DATE and len(value) == 10 else datetime).fromisoformat(value)
        except ValueError:
            return False
        return True
    return True


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."
