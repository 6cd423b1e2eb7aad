"""Everything that talks to DuckDB: tables, their evolution, and the per-batch load.

A batch is committed in ONE transaction per flush (all streams together): DuckDB parses
each stream's spooled RECORD lines itself with typed ``read_json`` into a temp staging
table, the loader checks keys and integers there, then ``MERGE INTO`` the target table
keeps one row per key (the last occurrence in the batch wins). Nothing is parsed in
Python on the happy path; Python only re-reads a spool to point at the bad line when
DuckDB rejects one.
"""

from __future__ import annotations

import contextlib
import logging
import re
from array import array
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from tap_calendly.loader.errors import LoaderError
from tap_calendly.loader.schema_map import (
    BIGINT,
    BOOLEAN,
    DATE,
    DELETED_AT,
    DOUBLE,
    JSON,
    METADATA_COLUMNS,
    TABLE_VERSION,
    TIMESTAMPTZ,
    VARCHAR,
    Column,
    literal,
    quote,
    read_type,
    supertype,
)

log = logging.getLogger("target_calendly_duckdb")

_LOCK_RE = re.compile(r"PID (\d+)")
_LINE_RE = re.compile(r"\bline (\d+)")
_SPOOL_RE = re.compile(r' in file "[^"]*",')


def connect(database: str, *, memory_limit: str, threads: int | None) -> duckdb.DuckDBPyConnection:
    """Open the database for writing; a held lock becomes one clear line."""
    try:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        con = duckdb.connect(str(Path(database).expanduser()))
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = _LOCK_RE.search(text)
            holder = f" (held by PID {pid.group(1)})" if pid else ""
            raise LoaderError(
                f"DuckDB database {database} is locked by another process{holder}; DuckDB allows "
                "one writer and no readers during a load: close other connections and re-run"
            ) from None
        raise LoaderError(f"cannot open DuckDB database {database}: {text}") from None
    except (duckdb.Error, OSError) as exc:
        raise LoaderError(f"cannot open DuckDB database {database}: {exc}") from None
    try:
        # stdout carries STATE messages: DuckDB's progress bar must never write there
        con.execute("SET enable_progress_bar = false")
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET memory_limit = {literal(memory_limit)}")
        # Row order comes from read_json's ordinality, never from physical order; letting
        # DuckDB drop order lets inserts and scans run in bounded memory.
        con.execute("SET preserve_insertion_order = false")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
    except duckdb.Error as exc:
        con.close()
        raise LoaderError(f"invalid DuckDB setting: {exc}") from None
    return con


@dataclass
class Batch:
    """One stream's pending records: a spool of raw RECORD lines and their input line numbers."""

    stream: str
    table: str
    columns: list[Column]  # current schema, with the table's effective types
    keys: list[str]  # key column names
    spool: Path
    lines: array[int] = field(default_factory=lambda: array("q"))
    max_line: int = 0

    @property
    def rows(self) -> int:
        return len(self.lines)


@dataclass
class Options:
    load_method: str
    add_record_metadata: bool
    hard_delete: bool


class Warehouse:
    """DuckDB side of the loader; one connection, used by one thread."""

    def __init__(self, con: duckdb.DuckDBPyConnection, schema: str, options: Options) -> None:
        self.con = con
        self.schema = schema
        self.options = options
        self._sequence = int(datetime.now(UTC).timestamp() * 1_000_000)
        self._overwritten: set[str] = set()
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(schema)}")
        except duckdb.Error as exc:
            raise LoaderError(f"cannot create schema {schema!r}: {exc}") from None

    def qualified(self, table: str) -> str:
        return f"{quote(self.schema)}.{quote(table)}"

    def table_columns(self, table: str) -> dict[str, str]:
        rows = self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            [self.schema, table],
        ).fetchall()
        return {str(name): _normal_type(str(kind)) for name, kind in rows}

    # ---- tables -------------------------------------------------------------------------

    def prepare_table(
        self, stream: str, table: str, columns: list[Column], *, line: int
    ) -> list[Column]:
        """Create or evolve ``table`` for ``columns``; return the columns with their table types.

        New properties add columns; a wider type widens the column (ALTER ... TYPE); a
        narrower or incompatible type keeps the existing column at the common supertype
        and logs it. Columns no longer in the schema stay (their rows keep their values).
        """
        wanted: dict[str, str] = {c.name: c.type for c in columns}
        if self.options.add_record_metadata:
            wanted.update(METADATA_COLUMNS)
        existing = self.table_columns(table)
        statements: list[str] = []
        effective: dict[str, str] = {}
        if not existing:
            body = ", ".join(f"{quote(name)} {kind}" for name, kind in wanted.items())
            statements.append(f"CREATE TABLE {self.qualified(table)} ({body})")
            effective = dict(wanted)
        else:
            for name, kind in wanted.items():
                current = existing.get(name)
                if current is None:
                    statements.append(
                        f"ALTER TABLE {self.qualified(table)} ADD COLUMN {quote(name)} {kind}"
                    )
                    effective[name] = kind
                    log.info("%s: new column %s %s", stream, name, kind)
                    continue
                target = supertype(current, kind)
                if target != current:
                    using = (
                        f"to_json({quote(name)})"
                        if target == JSON
                        else f"CAST({quote(name)} AS {target})"
                    )
                    statements.append(
                        f"ALTER TABLE {self.qualified(table)} ALTER COLUMN {quote(name)} "
                        f"TYPE {target} USING {using}"
                    )
                    log.info("%s: column %s widened from %s to %s", stream, name, current, target)
                if target != kind:
                    log.warning(
                        "%s: schema asks %s for column %s, which holds %s; keeping %s so no "
                        "existing value is lost",
                        stream,
                        kind,
                        name,
                        current,
                        target,
                    )
                effective[name] = target
        try:
            self.con.execute("BEGIN")
            for statement in statements:
                self.con.execute(statement)
            self.con.execute("COMMIT")
        except duckdb.Error as exc:
            self.con.execute("ROLLBACK")
            raise LoaderError(
                f"cannot create or change table {table}: {exc}", line=line, stream=stream
            ) from None
        return [Column(c.prop, c.name, effective[c.name]) for c in columns]

    # ---- loading ------------------------------------------------------------------------

    def load(self, batches: list[Batch]) -> None:
        """Load every batch in one transaction: all of them commit, or none."""
        now = datetime.now(UTC)
        try:
            self.con.execute("BEGIN")
            for batch in batches:
                if batch.rows:
                    self._load_one(batch, now)
            self.con.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise
        finally:
            self.con.execute("DROP TABLE IF EXISTS temp.__stg")

    def _load_one(self, batch: Batch, now: datetime) -> None:
        table_cols = self.table_columns(batch.table)
        self._stage(batch)
        version_count, repeated_keys = self._validate(batch)
        if version_count and TABLE_VERSION not in table_cols:
            self.con.execute(
                f"ALTER TABLE {self.qualified(batch.table)} ADD COLUMN {TABLE_VERSION} BIGINT"
            )
            table_cols[TABLE_VERSION] = BIGINT

        values: dict[str, str] = {}  # target column -> expression over staging alias s
        for column in batch.columns:
            if column.name in METADATA_COLUMNS and self.options.add_record_metadata:
                continue
            expr = f"s.{quote(column.name)}"
            values[column.name] = f"CAST({expr} AS BIGINT)" if column.type == BIGINT else expr
        if DELETED_AT in table_cols:
            values[DELETED_AT] = "s.__deleted"
        if TABLE_VERSION in table_cols:
            values[TABLE_VERSION] = "s.__version"
        if self.options.add_record_metadata:
            stamp = literal(now.isoformat()) + "::TIMESTAMPTZ"
            values["_sdc_extracted_at"] = "s.__extracted"
            values["_sdc_received_at"] = stamp
            values["_sdc_batched_at"] = stamp
            values["_sdc_sequence"] = f"{self._sequence} + s.__ord"
        self._sequence += batch.rows + 1

        target = self.qualified(batch.table)
        method = self.options.load_method
        if method == "overwrite" and batch.table not in self._overwritten:
            self.con.execute(f"DELETE FROM {target}")
            self._overwritten.add(batch.table)
        names = list(values)
        insert_cols = ", ".join(quote(n) for n in names)
        insert_vals = ", ".join(values[n] for n in names)
        skip_deleted = " WHERE s.__deleted IS NULL" if self.options.hard_delete else ""
        if method == "append-only" or not batch.keys:
            self.con.execute(
                f"INSERT INTO {target} ({insert_cols}) SELECT {insert_vals} FROM temp.__stg AS s"
                f"{skip_deleted} ORDER BY s.__ord"
            )
            return
        partition = ", ".join(quote(k) for k in batch.keys)
        source = "temp.__stg"
        if repeated_keys:  # the last occurrence in the batch wins
            source = (
                f"(SELECT * FROM temp.__stg QUALIFY row_number() OVER "
                f"(PARTITION BY {partition} ORDER BY __ord DESC) = 1)"
            )
        on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in batch.keys)
        updates = ", ".join(f"{quote(n)} = {values[n]}" for n in names if n not in batch.keys)
        clauses = []
        if self.options.hard_delete:
            clauses.append("WHEN MATCHED AND s.__deleted IS NOT NULL THEN DELETE")
        clauses.append(f"WHEN MATCHED THEN UPDATE SET {updates}" if updates else "")
        not_deleted = " AND s.__deleted IS NULL" if self.options.hard_delete else ""
        clauses.append(
            f"WHEN NOT MATCHED{not_deleted} THEN INSERT ({insert_cols}) VALUES ({insert_vals})"
        )
        self.con.execute(
            f"MERGE INTO {target} AS t USING {source} AS s ON {on} "
            + " ".join(c for c in clauses if c)
        )

    def _stage(self, batch: Batch) -> None:
        """Parse the spool with DuckDB into ``temp.__stg`` (typed; ``__ord`` = spool line)."""
        props = [c.prop for c in batch.columns]
        deleted_prop = next((c for c in batch.columns if c.prop == DELETED_AT), None)
        if deleted_prop is None:
            props.append(DELETED_AT)
        by_json = len({p.lower() for p in props}) < len(props)
        deleted_kind = read_type(deleted_prop.type) if deleted_prop else TIMESTAMPTZ
        selects = ["ordinality AS __ord", "version AS __version"]
        reads: dict[str, str] = {"version": "BIGINT"}
        if self.options.add_record_metadata:
            reads["time_extracted"] = TIMESTAMPTZ
            selects.append("time_extracted AS __extracted")
        fields = [(c.prop, c.name, read_type(c.type)) for c in batch.columns]
        if by_json:
            # STRUCT field names are case-insensitive in DuckDB: read the record as JSON
            # and pull each property by its exact JSON pointer instead.
            reads["record"] = JSON
            for prop, name, kind in fields:
                selects.append(f"{_json_field('record', prop, kind)} AS {quote(name)}")
            selects.append(f"{_json_field('record', DELETED_AT, deleted_kind)} AS __deleted")
        else:
            struct = [f"{quote(prop)} {kind}" for prop, _, kind in fields]
            if deleted_prop is None:
                struct.append(f"{quote(DELETED_AT)} {TIMESTAMPTZ}")
            reads["record"] = f"STRUCT({', '.join(struct)})"
            selects.extend(f"record.{quote(prop)} AS {quote(name)}" for prop, name, _ in fields)
            selects.append(f"record.{quote(DELETED_AT)} AS __deleted")
        columns_arg = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in reads.items()) + "}"
        sql = (
            f"CREATE OR REPLACE TEMP TABLE __stg AS SELECT {', '.join(selects)} FROM read_json("
            f"{literal(str(batch.spool))}, format = 'newline_delimited', columns = {columns_arg}, "
            f"maximum_object_size = {max(batch.max_line + 1024, 16 * 1024 * 1024)}) WITH ORDINALITY"
        )
        try:
            self.con.execute(sql)
        except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
            raise self._locate(batch, exc) from None  # bad data; other errors pass through

    def _validate(self, batch: Batch) -> tuple[int, bool]:
        """Reject records missing a key or holding a non-integer in an integer column.

        Returns how many records carry a table version, and whether keys repeat in the
        batch (only then is the last-one-wins dedupe worth its full-width sort).
        """
        checks: list[tuple[str, str]] = []
        for key in batch.keys:
            checks.append(
                (
                    f"missing value for key property {_prop_of(batch, key)!r}",
                    f"{quote(key)} IS NULL",
                )
            )
        for column in batch.columns:
            if column.type == BIGINT:
                c = quote(column.name)
                checks.append(
                    (
                        f"property {column.prop!r} must be an integer",
                        f"{c} IS NOT NULL AND (TRY_CAST({c} AS BIGINT) IS NULL OR "
                        f"TRY_CAST({c} AS DOUBLE) <> TRY_CAST({c} AS BIGINT))",
                    )
                )
        parts = [f"min(__ord) FILTER (WHERE {cond})" for _, cond in checks]
        distinct = "count(*)"
        if batch.keys:
            distinct = f"count(DISTINCT ({', '.join(quote(k) for k in batch.keys)}, 0))"
        row = self.con.execute(
            f"SELECT {', '.join([*parts, 'count(__version)', f'count(*) - {distinct}'])} "
            "FROM temp.__stg"
        ).fetchone()
        assert row is not None
        failures = [(ord_, checks[i][0]) for i, ord_ in enumerate(row[:-2]) if ord_ is not None]
        if failures:
            ord_, message = min(failures)
            raise LoaderError(
                f"record does not match its schema: {message}",
                line=batch.lines[ord_ - 1],
                stream=batch.stream,
            )
        return int(row[-2]), int(row[-1]) > 0

    def _locate(self, batch: Batch, exc: duckdb.Error) -> LoaderError:
        """DuckDB rejected the spool: find the exact bad line with a cheap Python pass."""
        found = _first_bad_line(batch)
        if found is not None:
            index, reason = found
            return LoaderError(reason, line=batch.lines[index], stream=batch.stream)
        hint = _LINE_RE.search(str(exc))
        line = None
        if hint and 0 < int(hint.group(1)) <= batch.rows:
            line = batch.lines[int(hint.group(1)) - 1]
        detail = _SPOOL_RE.sub("", str(exc).splitlines()[0])
        return LoaderError(
            f"record does not match its schema: {detail}",
            line=line,
            stream=batch.stream,
        )

    # ---- ACTIVATE_VERSION ---------------------------------------------------------------

    def activate_version(self, stream: str, table: str, version: int) -> int:
        """Retire rows of older table versions: deleted (hard_delete) or given _sdc_deleted_at."""
        target = self.qualified(table)
        cols = self.table_columns(table)
        stale = f"({TABLE_VERSION} IS NULL OR {TABLE_VERSION} < {int(version)})"
        self.con.execute("BEGIN")
        try:
            if TABLE_VERSION not in cols:
                self.con.execute(f"ALTER TABLE {target} ADD COLUMN {TABLE_VERSION} BIGINT")
            if self.options.hard_delete:
                row = self.con.execute(f"DELETE FROM {target} WHERE {stale}").fetchone()
            else:
                if DELETED_AT not in cols:
                    self.con.execute(f"ALTER TABLE {target} ADD COLUMN {DELETED_AT} TIMESTAMPTZ")
                row = self.con.execute(
                    f"UPDATE {target} SET {DELETED_AT} = now() "
                    f"WHERE {stale} AND {DELETED_AT} IS NULL"
                ).fetchone()
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return int(row[0]) if row else 0


def _normal_type(kind: str) -> str:
    kind = kind.upper()
    return TIMESTAMPTZ if kind == "TIMESTAMP WITH TIME ZONE" else kind


def _prop_of(batch: Batch, column_name: str) -> str:
    return next((c.prop for c in batch.columns if c.name == column_name), column_name)


def _json_field(source: str, prop: str, kind: str) -> str:
    pointer = literal("/" + prop.replace("~", "~0").replace("/", "~1"))
    if kind == JSON:
        value = f"json_extract({source}, {pointer})"
        return f"CASE WHEN json_type({source}, {pointer}) = 'NULL' THEN NULL ELSE {value} END"
    return f"CAST(json_extract_string({source}, {pointer}) AS {kind})"


def _first_bad_line(batch: Batch) -> tuple[int, str] | None:
    """Index and reason of the first spool line DuckDB could not have loaded, if Python sees it."""
    with batch.spool.open("rb") as spool:
        for index, raw in enumerate(spool):
            try:
                message = orjson.loads(raw)
            except orjson.JSONDecodeError as exc:
                return index, f"malformed JSON: {exc.msg} at character {exc.pos}"
            record = message.get("record") if isinstance(message, dict) else None
            if not isinstance(record, dict):
                return index, "RECORD message has no 'record' object"
            for column in batch.columns:
                value = record.get(column.prop)
                if value is not None and not _fits(value, column.type):
                    return index, (
                        f"record does not match its schema: property {column.prop!r} "
                        f"cannot be {column.type}: {_short(value)}"
                    )
    return None


def _fits(value: Any, kind: str) -> bool:
    if kind in (VARCHAR, JSON):
        return True
    if kind == BOOLEAN and isinstance(value, str):
        return value.strip().lower() in _BOOLEAN_TEXT
    if kind in (BIGINT, DOUBLE, BOOLEAN):
        if isinstance(value, bool | int | float):
            return kind != BIGINT or not isinstance(value, float) or value.is_integer()
        return isinstance(value, str)  # DuckDB casts numeric strings; rejects others itself
    if kind in (TIMESTAMPTZ, DATE):
        if not isinstance(value, str):
            return False
        try:
            (date if kind == DATE and len(value) == 10 else datetime).fromisoformat(value)
        except ValueError:
            return False
        return True
    return True


_BOOLEAN_TEXT = frozenset({"true", "false", "t", "f", "1", "0", "y", "n", "yes", "no"})


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."
