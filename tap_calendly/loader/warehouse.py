"""Everything that talks to DuckDB: tables, their evolution, and the per-batch load.

A flush commits every pending batch in ONE transaction. DuckDB parses each stream's
spooled RECORD lines itself with a typed ``read_json``: a narrow pass reads keys (checks
them, finds keys repeated in the batch, deletes the rows being replaced), then a full
pass streams straight into the table, keeping the last occurrence of each key. Nothing
is parsed in Python on the happy path; Python re-reads a spool only to point at the bad
line when DuckDB rejects one.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
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
_BAD_INTEGER = "target-calendly-duckdb:not-an-integer:"
_BAD_INTEGER_RE = re.compile(re.escape(_BAD_INTEGER) + r"(\d+):(\d+)")


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
        # Each batch commits on its own; checkpointing after every one of them (the 16 MB
        # default) doubled the load time. The WAL is replayed after a crash either way.
        con.execute("SET checkpoint_threshold = '256MB'")
        if threads:
            con.execute(f"SET threads = {int(threads)}")
    except duckdb.Error as exc:
        con.close()
        raise LoaderError(f"invalid DuckDB setting: {exc}") from None
    return con


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
        # Three-part names: the file calendly.duckdb is also a catalog named "calendly".
        row = con.execute("SELECT current_database()").fetchone()
        self.catalog = str(row[0]) if row else "memory"
        try:
            con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self.catalog)}.{quote(schema)}")
        except duckdb.Error as exc:
            raise LoaderError(f"cannot create schema {schema!r}: {exc}") from None

    def qualified(self, table: str) -> str:
        return f"{quote(self.catalog)}.{quote(self.schema)}.{quote(table)}"

    def table_columns(self, table: str) -> dict[str, str]:
        rows = self.con.execute(
            "SELECT column_name, data_type FROM information_schema.columns "
            "WHERE table_catalog = ? AND table_schema = ? AND table_name = ? "
            "ORDER BY ordinal_position",
            [self.catalog, self.schema, table],
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
            with contextlib.suppress(duckdb.Error):  # never mask the load's own error
                for name in ("__keys", "__win", "__stg"):
                    self.con.execute(f"DROP TABLE IF EXISTS temp.{name}")

    def _load_one(self, batch: Batch, now: datetime) -> None:
        """Two reads of the spool: a narrow one for keys, then one streamed into the table.

        The narrow pass (keys, version, _sdc_deleted_at) checks keys, finds repeated keys
        and deletes the rows about to be replaced; the full pass goes straight from
        read_json into the table, so memory does not grow with the batch and DuckDB can
        write whole row groups to the file instead of the WAL.
        """
        table_cols = self.table_columns(batch.table)
        version_count, repeated_keys = self._scan_keys(batch)
        if version_count and TABLE_VERSION not in table_cols:
            self.con.execute(
                f"ALTER TABLE {self.qualified(batch.table)} ADD COLUMN {TABLE_VERSION} BIGINT"
            )
            table_cols[TABLE_VERSION] = BIGINT

        values: dict[str, str] = {}  # target column -> expression over the read alias s
        for index, column in enumerate(batch.columns):
            if column.name in METADATA_COLUMNS and self.options.add_record_metadata:
                continue
            expr = f"s.{quote(column.name)}"
            if column.type == BIGINT:  # read as text: reject 2.5 instead of truncating it
                expr = (
                    f"CASE WHEN {expr} IS NULL THEN NULL WHEN TRY_CAST({expr} AS DOUBLE) = "
                    f"TRY_CAST({expr} AS BIGINT) THEN CAST({expr} AS BIGINT) ELSE "
                    f"error('{_BAD_INTEGER}' || s.__ord || ':{index}') END"
                )
            values[column.name] = expr
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
        keyed = bool(batch.keys) and method != "append-only"
        filters = []
        if keyed and repeated_keys:  # the last occurrence in the batch wins
            filters.append("s.__ord IN (SELECT __ord FROM temp.__win)")
        if self.options.hard_delete:
            filters.append("s.__deleted IS NULL")
        where = f" WHERE {' AND '.join(filters)}" if filters else ""
        source = f"({self._read_sql(batch)})"
        on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in batch.keys)

        if not keyed or set(table_cols) <= set(names):
            # The batch sets every column, so replacing a row equals updating it.
            if keyed:
                self.con.execute(f"DELETE FROM {target} AS t USING temp.__keys AS s WHERE {on}")
            self._run(
                batch,
                f"INSERT INTO {target} ({insert_cols}) SELECT {insert_vals} FROM {source} AS s"
                f"{where}",
            )
            return

        # The table has columns this batch does not set (properties dropped from the
        # schema): update in place so their values survive.
        self._run(
            batch, f"CREATE OR REPLACE TEMP TABLE __stg AS SELECT * FROM {source} AS s{where}"
        )
        updates = ", ".join(f"{quote(n)} = {values[n]}" for n in names if n not in batch.keys)
        clauses = []
        if self.options.hard_delete:
            self.con.execute(
                f"DELETE FROM {target} AS t USING temp.__keys AS s WHERE {on} "
                "AND s.__ord IN (SELECT __ord FROM temp.__win) AND s.__deleted IS NOT NULL"
                if repeated_keys
                else f"DELETE FROM {target} AS t USING temp.__keys AS s WHERE {on} "
                "AND s.__deleted IS NOT NULL"
            )
        if updates:
            clauses.append(f"WHEN MATCHED THEN UPDATE SET {updates}")
        clauses.append(f"WHEN NOT MATCHED THEN INSERT ({insert_cols}) VALUES ({insert_vals})")
        self._run(
            batch, f"MERGE INTO {target} AS t USING temp.__stg AS s ON {on} " + " ".join(clauses)
        )

    def _read_sql(self, batch: Batch, *, keys_only: bool = False) -> str:
        """SELECT over DuckDB's typed read of the spool; ``__ord`` is the spool line number."""
        columns = batch.columns
        if keys_only:
            columns = [c for c in batch.columns if c.name in batch.keys]
        props = [c.prop for c in batch.columns]
        deleted_prop = next((c for c in batch.columns if c.prop == DELETED_AT), None)
        if deleted_prop is None:
            props.append(DELETED_AT)
        by_json = len({p.lower() for p in props}) < len(props)
        deleted_kind = read_type(deleted_prop.type) if deleted_prop else TIMESTAMPTZ
        selects = ["ordinality AS __ord", "version AS __version"]
        reads: dict[str, str] = {"version": "BIGINT"}
        if self.options.add_record_metadata and not keys_only:
            reads["time_extracted"] = TIMESTAMPTZ
            selects.append("time_extracted AS __extracted")
        fields = [(c.prop, c.name, read_type(c.type)) for c in columns]
        if by_json:
            # STRUCT field names are case-insensitive in DuckDB: read the record as JSON
            # and pull each property by its exact JSON pointer instead.
            reads["record"] = JSON
            for prop, name, kind in fields:
                selects.append(f"{_json_field('record', prop, kind)} AS {quote(name)}")
            selects.append(f"{_json_field('record', DELETED_AT, deleted_kind)} AS __deleted")
        else:
            struct = [f"{quote(prop)} {kind}" for prop, _, kind in fields]
            if not any(prop == DELETED_AT for prop, _, _ in fields):
                struct.append(f"{quote(DELETED_AT)} {deleted_kind}")
            reads["record"] = f"STRUCT({', '.join(struct)})"
            selects.extend(f"record.{quote(prop)} AS {quote(name)}" for prop, name, _ in fields)
            selects.append(f"record.{quote(DELETED_AT)} AS __deleted")
        columns_arg = "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in reads.items()) + "}"
        return (
            f"SELECT {', '.join(selects)} FROM read_json({literal(str(batch.spool))}, "
            f"format = 'newline_delimited', columns = {columns_arg}, "
            f"maximum_object_size = {max(batch.max_line + 1024, 16 * 1024 * 1024)}) WITH ORDINALITY"
        )

    def _run(self, batch: Batch, sql: str) -> None:
        """Execute a statement that reads the spool; bad data becomes a LoaderError."""
        try:
            self.con.execute(sql)
        except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
            raise self._locate(batch, exc) from None  # other errors (OOM, IO) pass through

    def _scan_keys(self, batch: Batch) -> tuple[int, bool]:
        """Narrow pass: reject missing keys; count versions; note keys repeated in the batch."""
        self._run(
            batch, f"CREATE OR REPLACE TEMP TABLE __keys AS {self._read_sql(batch, keys_only=True)}"
        )
        if not batch.keys:
            row = self.con.execute("SELECT NULL, count(__version), 0 FROM temp.__keys").fetchone()
        else:
            keys = ", ".join(quote(k) for k in batch.keys)
            missing = " OR ".join(f"{quote(k)} IS NULL" for k in batch.keys)
            row = self.con.execute(
                f"SELECT min(__ord) FILTER (WHERE {missing}), count(__version), "
                f"count(*) - count(DISTINCT ({keys}, 0)) FROM temp.__keys"
            ).fetchone()
        assert row is not None
        if row[0] is not None:
            record = self._record_at(batch, int(row[0]))
            absent = next(
                (
                    c.prop
                    for c in batch.columns
                    if c.name in batch.keys and record.get(c.prop) is None
                ),
                batch.keys[0],
            )
            raise LoaderError(
                f"record does not match its schema: missing value for key property {absent!r}",
                line=batch.input_line(int(row[0]) - 1),
                stream=batch.stream,
            )
        repeated = int(row[2]) > 0
        if repeated:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE __win AS SELECT max(__ord) AS __ord "
                f"FROM temp.__keys GROUP BY {', '.join(quote(k) for k in batch.keys)}"
            )
        return int(row[1]), repeated

    def _record_at(self, batch: Batch, ord_: int) -> dict[str, Any]:
        with batch.spool.open("rb") as spool:
            for index, raw in enumerate(spool, start=1):
                if index == ord_:
                    record = orjson.loads(raw).get("record")
                    return record if isinstance(record, dict) else {}
        return {}

    def _locate(self, batch: Batch, exc: duckdb.Error) -> LoaderError:
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
        found = _first_bad_line(batch)
        if found is not None:
            index, reason = found
            return LoaderError(reason, line=batch.input_line(index), stream=batch.stream)
        hint = _LINE_RE.search(str(exc))
        line = None
        if hint and 0 < int(hint.group(1)) <= batch.rows:
            line = batch.input_line(int(hint.group(1)) - 1)
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
                    expected = (
                        "must be an integer"
                        if column.type == BIGINT
                        else f"cannot be {column.type}"
                    )
                    return index, (
                        f"record does not match its schema: property {column.prop!r} "
                        f"{expected}: {_short(value)}"
                    )
    return None


def _fits(value: Any, kind: str) -> bool:
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


_BOOLEAN_TEXT = frozenset({"true", "false", "t", "f", "1", "0", "y", "n", "yes", "no"})


def _short(value: Any) -> str:
    text = orjson.dumps(value).decode()
    return text if len(text) <= 60 else text[:57] + "..."
