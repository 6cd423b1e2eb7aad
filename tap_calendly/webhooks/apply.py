"""Apply: merge journaled deliveries into the loader's tables, newest ``updated_at`` wins.

Rows land in the tables the batch loader created (``<schema>.event_invitees``,
``scheduled_events``, ``routing_form_submissions``) in the same shape: the table's own
columns and types, values converted by DuckDB's JSON reader exactly as the loader does
(nested objects become the same minified JSON text), ``_sdc_*`` columns filled the way
the loader fills them when present. A payload property the table has no column for is
dropped, as the batch path drops it.

Per primary key (``uri``) the newest version wins: among the deliveries of one run the
highest ``updated_at`` (then the latest arrival), and against the table only a strictly
newer ``updated_at`` replaces the row. So an old delivery arriving late, or a batch row
already as new as the delivery, is never overwritten, and re-applying changes nothing.

A table that does not exist yet is not created (only the tap's SCHEMA knows its full
layout): its deliveries stay journaled until a batch sync creates it, or are marked
applied without it under ``skip_missing_tables``. Applied deliveries are marked in the
journal (never read again) and deleted after ``retention_days``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import orjson

from tap_calendly.api.errors import CalendlyError, UsageError
from tap_calendly.webhooks.duckdb_lock import connect_when_free
from tap_calendly.webhooks.journal import FILENAME, Journal, Stored
from tap_calendly.webhooks.rows import TABLES, Record, rows_for

log = logging.getLogger("calendly.webhooks")

DEFAULT_SCHEMA = "calendly"
DEFAULT_LOCK_TIMEOUT = 60.0
DEFAULT_RETENTION_DAYS = 7.0
CHUNK = 10_000

KEY = "uri"
VERSION = "updated_at"
#: Loader metadata columns this module fills itself (``_sdc_table_version`` is kept).
EXTRACTED, RECEIVED, BATCHED = "_sdc_extracted_at", "_sdc_received_at", "_sdc_batched_at"
DELETED, SEQUENCE, TABLE_VERSION = "_sdc_deleted_at", "_sdc_sequence", "_sdc_table_version"
METADATA = (EXTRACTED, RECEIVED, BATCHED, DELETED, SEQUENCE, TABLE_VERSION)


class ApplyError(CalendlyError):
    """Apply could not merge (the journal stays as it was for the failed chunk)."""


@dataclass
class TableCounts:
    inserted: int = 0
    updated: int = 0
    kept: int = 0


@dataclass
class ApplyReport:
    """What one apply run did."""

    merged: int = 0
    ignored: int = 0
    skipped: int = 0
    waiting: int = 0
    purged: int = 0
    missing: set[str] = field(default_factory=set)
    tables: dict[str, TableCounts] = field(default_factory=dict)
    schema: str = DEFAULT_SCHEMA

    def summary(self) -> str:
        parts = [f"applied {self.merged} deliveries"]
        details = [
            f"{name}: {c.inserted} new, {c.updated} updated, {c.kept} not newer than the table"
            for name, c in sorted(self.tables.items())
        ]
        if details:
            parts[0] += " (" + "; ".join(details) + ")"
        if self.ignored:
            parts.append(f"{self.ignored} ignored (no table holds their event)")
        if self.skipped:
            parts.append(f"{self.skipped} applied without missing tables")
        if self.waiting:
            missing = ", ".join(f"{self.schema}.{t}" for t in sorted(self.missing))
            parts.append(
                f"{self.waiting} wait for missing table(s) {missing}: run a batch sync that "
                "creates them, or apply with --skip-missing-tables"
            )
        parts.append(f"purged {self.purged} applied deliveries past retention")
        return "; ".join(parts)


@dataclass(frozen=True)
class Layout:
    """A target table: three-part name and its columns with their DuckDB types."""

    name: str
    qualified: str
    columns: dict[str, str]

    @property
    def data_columns(self) -> list[str]:
        return [c for c in self.columns if c not in METADATA]


def apply_journal(
    journal_dir: Path,
    database: Path,
    *,
    schema: str = DEFAULT_SCHEMA,
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
    retention_days: float = DEFAULT_RETENTION_DAYS,
    skip_missing_tables: bool = False,
    chunk: int = CHUNK,
    clock: Callable[[], float] = time.time,
) -> ApplyReport:
    """Merge every pending delivery; see the module docstring for the rules."""
    if not (journal_dir / FILENAME).is_file():
        raise UsageError(
            f"no webhook journal in {journal_dir}: point --journal at the receiver's directory"
        )
    if not database.is_file():
        raise UsageError(
            f"DuckDB database {database} does not exist: run a batch sync into it first"
        )
    report = ApplyReport(schema=schema)
    with Journal(journal_dir) as journal:
        if not journal.pending(1):  # nothing to merge: leave the DuckDB lock to the loads
            report.purged = journal.purge(clock() - retention_days * 86_400)
            return report
        con = connect_when_free(database, lock_timeout)
        # Only deliveries received before the lock was taken: a batch load waiting for it
        # started later, so its tap reads data at least as new as those. One received now
        # may be newer than what that tap already read; the next apply merges it.
        upto = journal.newest()
        try:
            con.execute("SET TimeZone = 'UTC'")
            layouts = _layouts(con, schema)
            after = 0
            while True:
                batch = journal.pending(chunk, after, upto)
                if not batch:
                    break
                after = batch[-1].seq
                outcomes = _apply_chunk(
                    con, journal_dir, layouts, batch, report, clock(), skip_missing_tables
                )
                journal.mark(outcomes, clock())
        finally:
            con.close()
        report.purged = journal.purge(clock() - retention_days * 86_400)
    return report


def _layouts(con: duckdb.DuckDBPyConnection, schema: str) -> dict[str, Layout]:
    row = con.execute("SELECT current_database()").fetchone()
    catalog = str(row[0]) if row else "memory"
    found = con.execute(
        "SELECT table_name, column_name, data_type FROM information_schema.columns "
        "WHERE table_catalog = ? AND table_schema = ? ORDER BY table_name, ordinal_position",
        [catalog, schema],
    ).fetchall()
    columns: dict[str, dict[str, str]] = {}
    for table, column, kind in found:
        if table in TABLES:
            normal = "TIMESTAMPTZ" if kind == "TIMESTAMP WITH TIME ZONE" else str(kind)
            columns.setdefault(str(table), {})[str(column)] = normal
    layouts = {}
    for table, cols in columns.items():
        if KEY not in cols or VERSION not in cols:
            raise ApplyError(
                f"table {schema}.{table} has no {KEY} or {VERSION} column; it was not "
                "created by tap-calendly's loader"
            )
        qualified = ".".join(_quote(p) for p in (catalog, schema, table))
        layouts[table] = Layout(table, qualified, cols)
    return layouts


def _apply_chunk(
    con: duckdb.DuckDBPyConnection,
    workdir: Path,
    layouts: dict[str, Layout],
    batch: list[Stored],
    report: ApplyReport,
    now: float,
    skip_missing: bool,
) -> list[tuple[int, str]]:
    """Merge one chunk in one DuckDB transaction; return the journal outcomes."""
    staged: dict[str, list[bytes]] = {}
    outcomes: list[tuple[int, str]] = []
    for item in batch:
        envelope = orjson.loads(item.body)
        rows = rows_for(str(envelope["event"]), envelope["payload"])
        if not rows:
            report.ignored += 1
            outcomes.append((item.seq, "ignored"))
            continue
        absent = {table for table, _ in rows if table not in layouts}
        report.missing |= absent
        if absent and not skip_missing:
            report.waiting += 1
            continue
        for table, record in rows:
            if table in layouts:
                staged.setdefault(table, []).append(_line(item, record, layouts[table]))
        if absent:
            report.skipped += 1
            outcomes.append((item.seq, "applied without " + ",".join(sorted(absent))))
        else:
            report.merged += 1
            outcomes.append((item.seq, "applied"))
    if not staged:
        return outcomes
    try:
        con.execute("BEGIN")
        for table, lines in staged.items():
            counts = report.tables.setdefault(table, TableCounts())
            with _spool(workdir, lines) as spool:
                _merge(con, layouts[table], spool, max(map(len, lines)), counts, now)
        con.execute("COMMIT")
    except duckdb.Error as exc:
        with contextlib.suppress(duckdb.Error):
            con.execute("ROLLBACK")
        raise ApplyError(f"DuckDB refused the merge: {str(exc).splitlines()[0]}") from None
    return outcomes


def _line(item: Stored, record: Record, layout: Layout) -> bytes:
    row = {c: record[c] for c in layout.data_columns if c in record}
    return orjson.dumps({"s": item.seq, "x": item.received_at, "r": row})


@contextlib.contextmanager
def _spool(workdir: Path, lines: list[bytes]) -> Iterator[Path]:
    """Rows as NDJSON beside the journal (0700: payloads hold personal data)."""
    fd, name = tempfile.mkstemp(prefix="apply-", suffix=".ndjson", dir=workdir)
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(b"\n".join(lines))
            out.write(b"\n")
        yield Path(name)
    finally:
        with contextlib.suppress(OSError):
            os.unlink(name)


def _merge(
    con: duckdb.DuckDBPyConnection,
    layout: Layout,
    spool: Path,
    longest: int,
    counts: TableCounts,
    now: float,
) -> None:
    data = layout.data_columns
    struct = ", ".join(f"{_quote(c)} {layout.columns[c]}" for c in data)
    columns = {"s": "BIGINT", "x": "DOUBLE", "r": f"STRUCT({struct})"}
    spec = "{" + ", ".join(f"{_literal(k)}: {_literal(v)}" for k, v in columns.items()) + "}"
    picks = ", ".join(f"r.{_quote(c)} AS {_quote(c)}" for c in data)
    con.execute(
        f"CREATE OR REPLACE TEMP TABLE __webhook_stage AS SELECT s AS __seq, x AS __received, "
        f"{picks} FROM read_json({_literal(str(spool))}, format = 'newline_delimited', "
        f"columns = {spec}, maximum_object_size = {max(longest + 1024, 16 * 1024 * 1024)}) "
        f"QUALIFY row_number() OVER (PARTITION BY {_quote(KEY)} "
        f"ORDER BY {_quote(VERSION)} DESC NULLS LAST, __seq DESC) = 1"
    )
    key, version = _quote(KEY), _quote(VERSION)
    newer = f"(t.{version} IS NULL OR s.{version} > t.{version})"
    found = con.execute(
        f"SELECT count(*) FILTER (WHERE t.{key} IS NULL), "
        f"count(*) FILTER (WHERE t.{key} IS NOT NULL AND {newer}), count(*) "
        f"FROM temp.__webhook_stage AS s LEFT JOIN {layout.qualified} AS t ON t.{key} = s.{key}"
    ).fetchone()
    assert found is not None
    counts.inserted += int(found[0])
    counts.updated += int(found[1])
    counts.kept += int(found[2]) - int(found[0]) - int(found[1])

    values = {c: f"s.{_quote(c)}" for c in data}
    stamp = _literal(datetime.fromtimestamp(now, UTC).isoformat()) + "::TIMESTAMPTZ"
    meta = {
        EXTRACTED: "to_timestamp(s.__received)",
        RECEIVED: stamp,
        BATCHED: stamp,
        DELETED: "NULL",
        SEQUENCE: f"{int(now * 1_000_000)} + s.__seq",
    }
    values.update({c: expr for c, expr in meta.items() if c in layout.columns})
    updates = ", ".join(f"{_quote(c)} = {v}" for c, v in values.items() if c != KEY)
    names = ", ".join(_quote(c) for c in values)
    con.execute(
        f"MERGE INTO {layout.qualified} AS t USING temp.__webhook_stage AS s "
        f"ON t.{key} = s.{key} WHEN MATCHED AND {newer} THEN UPDATE SET {updates} "
        f"WHEN NOT MATCHED THEN INSERT ({names}) VALUES ({', '.join(values.values())})"
    )
    con.execute("DROP TABLE temp.__webhook_stage")


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def describe(report: ApplyReport) -> dict[str, Any]:
    """The report as JSON-ready data (for ``--json`` and tests)."""
    return {
        "merged": report.merged,
        "ignored": report.ignored,
        "skipped": report.skipped,
        "waiting": report.waiting,
        "purged": report.purged,
        "missing_tables": sorted(report.missing),
        "tables": {name: vars(c) for name, c in sorted(report.tables.items())},
    }
