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
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from tap_calendly.loader.bad_lines import BAD_EXTRACTED, BAD_INTEGER, locate
from tap_calendly.loader.batch import Batch
from tap_calendly.loader.errors import LoaderError
from tap_calendly.loader.lock_wait import connect_when_free
from tap_calendly.loader.schema_map import (
    BIGINT,
    DELETED_AT,
    JSON,
    METADATA_COLUMNS,
    TABLE_VERSION,
    TIMESTAMPTZ,
    Column,
    literal,
    quote,
    supertype,
)
from tap_calendly.loader.spool_sql import (
    DELETED,
    EXTRACTED,
    KEYS_TABLE,
    LAST_TABLE,
    NOT_OBJECT,
    ORD,
    SHAPE,
    STAGE_TABLE,
    TEMP_TABLES,
    VERSION,
    VERSION_TEXT,
    keys_sql,
    large_lines,
    missing,
    read_sql,
)
from tap_calendly.loader.unknown_fields import (
    column_type,
    new_columns,
    unknown_properties,
    value_types,
    value_types_in_python,
)

log = logging.getLogger("target_calendly_duckdb")

SMALL_BATCH = 5_000  # rows: below this, unknown properties are looked for in Python
STREAMS_PER_TRANSACTION = 100


def connect(
    database: str, *, memory_limit: str, threads: int | None, lock_timeout: float
) -> duckdb.DuckDBPyConnection:
    """Open the database for writing, waiting up to ``lock_timeout`` seconds while another
    process (``calendly webhooks apply``, a DuckDB shell) holds it."""
    path = Path(database).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise LoaderError(f"cannot open DuckDB database {database}: {exc}") from None
    con = connect_when_free(path, lock_timeout, log=log)
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
        self._columns: dict[str, dict[str, str]] = {}  # table -> column -> type, as planned
        self._pending_ddl: list[tuple[str, str, int]] = []  # statement, stream, SCHEMA line
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
        """Columns of ``table`` (name -> type), as planned: DDL waiting for the next commit
        counts. Cached: this process is the database's only writer while it runs."""
        columns = self._columns.get(table)
        if columns is None:
            try:
                rows = self.con.execute(
                    f"SELECT name, type FROM pragma_table_info({literal(self.qualified(table))})"
                ).fetchall()
            except duckdb.CatalogException:
                rows = []
            columns = self._columns[table] = {str(n): _normal_type(str(t)) for n, t in rows}
        return dict(columns)

    def prepare_table(
        self, stream: str, table: str, columns: list[Column], *, line: int
    ) -> list[Column]:
        """Plan creating or evolving ``table`` for ``columns``; return them with their table types.

        The DDL runs at the start of the next commit, in its transaction: one commit for any
        number of new streams instead of one each.
        """
        wanted: dict[str, str] = {c.name: c.type for c in columns}
        if self.options.add_record_metadata:
            wanted.update(METADATA_COLUMNS)
        statements, effective = self._evolve(stream, table, wanted)
        self._pending_ddl.extend((statement, stream, line) for statement in statements)
        return [Column(c.prop, c.name, effective[c.name], c.derived) for c in columns]

    @property
    def has_pending_ddl(self) -> bool:
        return bool(self._pending_ddl)

    def _run_ddl(self, ddl: list[tuple[str, str, int]]) -> None:
        for statement, stream, line in ddl:
            try:
                self.con.execute(statement)
            except duckdb.Error as exc:
                raise LoaderError(
                    f"cannot create or change the table of stream {stream!r}: {exc}",
                    line=line,
                    stream=stream,
                ) from None

    def _add_column(self, table: str, name: str, kind: str) -> None:
        self.con.execute(f"ALTER TABLE {self.qualified(table)} ADD COLUMN {quote(name)} {kind}")
        self._columns.setdefault(table, {})[name] = kind

    def _evolve(
        self, stream: str, table: str, wanted: dict[str, str]
    ) -> tuple[list[str], dict[str, str]]:
        """Statements that make ``table`` hold ``wanted`` columns, and each column's type then.

        New columns are added; a wider type widens the column (ALTER ... TYPE); a narrower or
        incompatible type keeps the existing column at the common supertype and logs it.
        Columns not wanted stay (their rows keep their values).
        """
        existing = self.table_columns(table)
        target = self.qualified(table)
        if not existing:
            body = ", ".join(f"{quote(name)} {kind}" for name, kind in wanted.items())
            self._columns[table] = dict(wanted)
            return [f"CREATE TABLE {target} ({body})"], dict(wanted)
        statements: list[str] = []
        effective: dict[str, str] = {}
        for name, kind in wanted.items():
            current = existing.get(name)
            if current is None:
                statements.append(f"ALTER TABLE {target} ADD COLUMN {quote(name)} {kind}")
                effective[name] = kind
                log.info("%s: new column %s %s", stream, name, kind)
                continue
            wider = supertype(current, kind)
            if wider != current:
                using = (
                    f"to_json({quote(name)})"
                    if wider == JSON
                    else f"CAST({quote(name)} AS {wider})"
                )
                statements.append(
                    f"ALTER TABLE {target} ALTER COLUMN {quote(name)} TYPE {wider} USING {using}"
                )
                log.info("%s: column %s widened from %s to %s", stream, name, current, wider)
            if wider != kind:
                log.warning(
                    "%s: %s asked for column %s, which holds %s; keeping %s so no existing "
                    "value is lost",
                    stream,
                    kind,
                    name,
                    current,
                    wider,
                )
            effective[name] = wider
        self._columns[table] = {**existing, **effective}
        return statements, effective

    # ---- loading ------------------------------------------------------------------------

    def load(self, batches: list[Batch]) -> None:
        """Load the batches (and run planned DDL) in one transaction: all commit, or none.

        DuckDB slows every statement of a transaction by the number of tables it has
        touched, so past ``STREAMS_PER_TRANSACTION`` streams the work is split into several
        transactions, still all committed before the STATE that covers them is released.
        """
        now = datetime.now(UTC)
        streams = list(
            dict.fromkeys([s for _, s, _ in self._pending_ddl] + [b.stream for b in batches])
        )
        by_stream = {b.stream: b for b in batches}
        ddl, self._pending_ddl = self._pending_ddl, []
        for start in range(0, len(streams), STREAMS_PER_TRANSACTION):
            chunk = set(streams[start : start + STREAMS_PER_TRANSACTION])
            self._load_chunk(
                [entry for entry in ddl if entry[1] in chunk],
                [
                    by_stream[s]
                    for s in streams[start : start + STREAMS_PER_TRANSACTION]
                    if s in by_stream
                ],
                now,
            )

    def _load_chunk(
        self, ddl: list[tuple[str, str, int]], batches: list[Batch], now: datetime
    ) -> None:
        try:
            self.con.execute("BEGIN")
            self._run_ddl(ddl)
            for batch in batches:
                if batch.rows:
                    self._load_one(batch, now)
            self.con.execute("COMMIT")
        except BaseException:
            self._columns.clear()  # the plan included what was rolled back
            with contextlib.suppress(duckdb.Error):
                self.con.execute("ROLLBACK")
            raise
        finally:
            with contextlib.suppress(duckdb.Error):  # never mask the load's own error
                for name in TEMP_TABLES:
                    self.con.execute(f"DROP TABLE IF EXISTS {name}")

    def _load_one(self, batch: Batch, now: datetime) -> None:
        """Two reads of the spool: a narrow one for keys, then one streamed into the table.

        The narrow pass (keys, version, _sdc_deleted_at, the record's shape) checks keys,
        finds repeated keys, finds properties the schema does not declare, and deletes the
        rows about to be replaced; the full pass goes straight from read_json into the
        table, so memory does not grow with the batch and DuckDB can write whole row groups
        to the file instead of the WAL.
        """
        version_count, repeated_keys, shapes = self._scan_keys(batch)
        self._add_unknown_properties(batch, shapes)
        table_cols = self.table_columns(batch.table)
        if version_count and TABLE_VERSION not in table_cols:
            self._add_column(batch.table, TABLE_VERSION, BIGINT)
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
                    f"error('{BAD_INTEGER}' || s.{ORD} || ':{index}') END"
                )
            values[column.name] = expr
        if DELETED_AT in table_cols:
            values[DELETED_AT] = f"s.{DELETED}"
        if TABLE_VERSION in table_cols:
            declared = values.get(TABLE_VERSION)  # a property of that name, if the schema has one
            values[TABLE_VERSION] = (
                f"coalesce(s.{VERSION}, {declared})" if declared else f"s.{VERSION}"
            )
        if self.options.add_record_metadata:
            stamp = literal(now.isoformat()) + "::TIMESTAMPTZ"
            values["_sdc_extracted_at"] = (
                f"CASE WHEN s.{EXTRACTED} IS NULL THEN NULL ELSE coalesce(TRY_CAST(s.{EXTRACTED} "
                f"AS TIMESTAMPTZ), error('{BAD_EXTRACTED}' || s.{ORD})) END"
            )
            values["_sdc_received_at"] = stamp
            values["_sdc_batched_at"] = stamp
            values["_sdc_sequence"] = f"{self._sequence} + s.{ORD}"
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
            filters.append(f"s.{ORD} IN (SELECT {ORD} FROM {LAST_TABLE})")
        if self.options.hard_delete:
            filters.append(f"s.{DELETED} IS NULL")
        where = f" WHERE {' AND '.join(filters)}" if filters else ""
        source = f"({read_sql(batch, with_extracted=self.options.add_record_metadata)})"
        on = " AND ".join(f"t.{quote(k)} = s.{quote(k)}" for k in batch.keys)

        if not keyed or set(table_cols) <= set(names):
            # The batch sets every column, so replacing a row equals updating it.
            if keyed:
                self.con.execute(f"DELETE FROM {target} AS t USING {KEYS_TABLE} AS s WHERE {on}")
            self._run(
                batch,
                f"INSERT INTO {target} ({insert_cols}) SELECT {insert_vals} FROM {source} AS s"
                f"{where}",
            )
            return

        # The table has columns this batch does not set (properties dropped from the
        # schema): update in place so their values survive.
        self._run(
            batch,
            f"CREATE OR REPLACE TEMP TABLE {STAGE_TABLE} AS SELECT * FROM {source} AS s{where}",
        )
        updates = ", ".join(f"{quote(n)} = {values[n]}" for n in names if n not in batch.keys)
        clauses = []
        if self.options.hard_delete:
            last = f" AND s.{ORD} IN (SELECT {ORD} FROM {LAST_TABLE})" if repeated_keys else ""
            self.con.execute(
                f"DELETE FROM {target} AS t USING {KEYS_TABLE} AS s WHERE {on}{last} "
                f"AND s.{DELETED} IS NOT NULL"
            )
        if updates:
            clauses.append(f"WHEN MATCHED THEN UPDATE SET {updates}")
        clauses.append(f"WHEN NOT MATCHED THEN INSERT ({insert_cols}) VALUES ({insert_vals})")
        self._run(
            batch, f"MERGE INTO {target} AS t USING {STAGE_TABLE} AS s ON {on} " + " ".join(clauses)
        )

    def _run(self, batch: Batch, sql: str) -> None:
        """Execute a statement that reads the spool; bad data becomes a LoaderError."""
        try:
            self.con.execute(sql)
        except (duckdb.InvalidInputException, duckdb.ConversionException) as exc:
            raise locate(batch, exc) from None  # other errors (OOM, IO) pass through

    def _scan_keys(self, batch: Batch) -> tuple[int, bool, list[int]]:
        """Key pass: reject non-objects, missing keys and bad versions; count versions;
        note whether keys repeat in the batch."""
        self._run(batch, f"CREATE OR REPLACE TEMP TABLE {KEYS_TABLE} AS {keys_sql(batch)}")
        checks = {
            "RECORD message has no 'record' object": f"{NOT_OBJECT}",
            "RECORD message's 'version' must be an integer": (
                f"{VERSION_TEXT} IS NOT NULL AND ({VERSION} IS NULL "
                f"OR TRY_CAST({VERSION_TEXT} AS DOUBLE) <> {VERSION}::DOUBLE)"
            ),
        }
        for key in batch.keys:
            prop = next(c.prop for c in batch.columns if c.name == key)
            checks[f"record does not match its schema: missing value for key property {prop!r}"] = (
                missing(key)
            )
        firsts = ", ".join(f"min({ORD}) FILTER (WHERE {cond})" for cond in checks.values())
        repeated = "0"
        if batch.keys:
            keys = ", ".join(quote(k) for k in batch.keys)
            repeated = f"count(*) - count(DISTINCT ({keys}, 0))"
        row = self.con.execute(
            f"SELECT count({VERSION}), {repeated}, list(DISTINCT {SHAPE}), {firsts} "
            f"FROM {KEYS_TABLE}"
        ).fetchone()
        assert row is not None
        failed = [
            (int(ord_), priority, reason)
            for priority, (ord_, reason) in enumerate(zip(row[3:], checks, strict=True))
            if ord_
        ]
        if failed:  # the first bad line; on it, the first check in the order above
            ord_, _, reason = min(failed)
            raise LoaderError(reason, line=batch.input_line(ord_ - 1), stream=batch.stream)
        repeated_keys = int(row[1]) > 0
        if repeated_keys:
            self.con.execute(
                f"CREATE OR REPLACE TEMP TABLE {LAST_TABLE} AS SELECT max({ORD}) AS {ORD} "
                f"FROM {KEYS_TABLE} GROUP BY {', '.join(quote(k) for k in batch.keys)}"
            )
        return int(row[0]), repeated_keys, [int(shape) for shape in row[2]]

    def _add_unknown_properties(self, batch: Batch, shapes: list[int]) -> None:
        """Give properties the schema does not declare their own columns (nothing is dropped).

        The key pass hashed each record's key list: when every shape was seen before for
        this stream, nothing more is read. Small batches (and batches with huge lines) are
        checked by decoding them in Python, cheaper there than more statements. Columns
        added this way follow their values: a later batch may widen them.
        """
        derived = [c for c in batch.columns if c.derived]
        large = large_lines(batch)  # its key pass computes no shapes
        if not derived and not large and all(shape in batch.shapes for shape in shapes):
            return
        if large or batch.rows <= SMALL_BATCH:
            kinds = value_types_in_python(batch)
        else:
            new = [
                int(ord_)
                for shape, ord_ in self.con.execute(
                    f"SELECT {SHAPE}, min({ORD}) FROM {KEYS_TABLE} GROUP BY {SHAPE}"
                ).fetchall()
                if shape not in batch.shapes
            ]
            unknown = unknown_properties(self.con, batch, set(new)) if new else []
            kinds = value_types(self.con, batch, [c.prop for c in derived] + unknown)
        known = {c.prop for c in batch.columns}
        added = new_columns(batch, {p: k for p, k in kinds.items() if p not in known})
        wanted = {c.name: c.type for c in added}
        for column in derived:
            seen = kinds.get(column.prop)
            if seen:
                wider = supertype(column.type, column_type(column.prop, seen))
                if wider != column.type:
                    wanted[column.name] = wider
        if wanted:
            statements, effective = self._evolve(batch.stream, batch.table, wanted)
            for statement in statements:
                self.con.execute(statement)
            batch.columns[:] = [
                Column(c.prop, c.name, effective.get(c.name, c.type), c.derived)
                for c in batch.columns
            ]
            for column in added:
                batch.columns.append(
                    Column(column.prop, column.name, effective[column.name], derived=True)
                )
                log.warning(
                    "%s: property %r is not in the stream's schema; loading it into column %s %s",
                    batch.stream,
                    column.prop,
                    column.name,
                    effective[column.name],
                )
        batch.shapes.update(shapes)

    # ---- ACTIVATE_VERSION ---------------------------------------------------------------

    def activate_version(self, stream: str, table: str, version: int) -> int:
        """Retire rows of older table versions: deleted (hard_delete) or given _sdc_deleted_at."""
        target = self.qualified(table)
        cols = self.table_columns(table)
        stale = f"({TABLE_VERSION} IS NULL OR {TABLE_VERSION} < {int(version)})"
        self.con.execute("BEGIN")
        try:
            if TABLE_VERSION not in cols:
                self._add_column(table, TABLE_VERSION, BIGINT)
            if self.options.hard_delete:
                row = self.con.execute(f"DELETE FROM {target} WHERE {stale}").fetchone()
            else:
                if DELETED_AT not in cols:
                    self._add_column(table, DELETED_AT, TIMESTAMPTZ)
                row = self.con.execute(
                    f"UPDATE {target} SET {DELETED_AT} = now() "
                    f"WHERE {stale} AND {DELETED_AT} IS NULL"
                ).fetchone()
            self.con.execute("COMMIT")
        except BaseException:
            self._columns.clear()
            self.con.execute("ROLLBACK")
            raise
        return int(row[0]) if row else 0


def _normal_type(kind: str) -> str:
    kind = kind.upper()
    return TIMESTAMPTZ if kind == "TIMESTAMP WITH TIME ZONE" else kind
