"""Apply a data-compliance erasure to a DuckDB database loaded by our loader.

The loader keeps one table per stream (``event_invitees``, ``scheduled_events``,
``routing_form_submissions`` ...), nested objects as JSON columns. Calendly's erasure
does not reach a copy, so this does, in one transaction:

* invitees by e-mail: every row of every table whose text or JSON columns hold one of
  the addresses (an invitee, a guest inside ``event_guests``, an answer inside
  ``questions_and_answers``, an activity entry, a membership ...) is deleted; then rows
  of other tables that reference a deleted *invitee* by URI (its routing form
  submission, its no-show) are deleted too. Rows matched only through embedded data
  (an event that listed the address as a guest) do not cascade: the event's other
  invitees are other people.
* events by start time: ``scheduled_events`` rows starting in [start, end), then, level
  by level, rows of other tables that reference a deleted row by URI (the events'
  invitees, then those invitees' submissions and no-shows).

Matching is case-insensitive and bounded, so ``ann@x.io`` never matches
``joann@x.io``. DuckDB narrows the candidates (``contains`` over each row's text);
Python confirms each one. Rows are addressed by ``rowid`` and deleted in one
transaction, so a failure leaves the database as it was.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

from tap_calendly.api.errors import CalendlyError, UsageError

#: Tables whose rows are the people and the events the API erases.
INVITEES_TABLE = "event_invitees"
EVENTS_TABLE = "scheduled_events"
_SCALAR_TEXT = ("VARCHAR", "JSON")
_LOCK = re.compile(r"lock", re.IGNORECASE)


def _is_text(data_type: str) -> bool:
    kind = data_type.upper()
    return kind in _SCALAR_TEXT or kind.startswith(("STRUCT", "MAP", "UNION")) or "[" in kind


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def email_pattern(address: str) -> re.Pattern[str]:
    """``address`` as a whole e-mail inside any text (no longer local part or domain)."""
    return re.compile(r"(?<![\w.%+-])" + re.escape(address) + r"(?![\w-]|\.[\w-])", re.IGNORECASE)


@dataclass
class Table:
    schema: str
    name: str
    columns: dict[str, str]  # name -> DuckDB type

    @property
    def label(self) -> str:
        return f"{self.schema}.{self.name}"

    @property
    def ref(self) -> str:
        return f"{_quote(self.schema)}.{_quote(self.name)}"

    @property
    def text_columns(self) -> list[str]:
        return [c for c, t in self.columns.items() if _is_text(t)]

    @property
    def varchar_columns(self) -> list[str]:
        return [c for c, t in self.columns.items() if t.upper() == "VARCHAR"]


@dataclass
class Plan:
    """Rows to delete: rowids per table, and the URIs of those rows."""

    rows: dict[str, set[int]] = field(default_factory=dict)
    uris: dict[str, set[str]] = field(default_factory=dict)

    def add(self, table: Table, rowid: int, uri: str | None) -> bool:
        bucket = self.rows.setdefault(table.label, set())
        if rowid in bucket:
            return False
        bucket.add(rowid)
        if uri:
            self.uris.setdefault(table.label, set()).add(uri)
        return True

    def counts(self) -> dict[str, int]:
        return {label: len(ids) for label, ids in sorted(self.rows.items()) if ids}


class Warehouse:
    """One DuckDB database file opened for an erasure (read-only for a dry run)."""

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path).expanduser()
        if not self.path.is_file():
            raise UsageError(f"--duckdb {self.path}: no such database file")
        try:
            self.con = duckdb.connect(str(self.path), read_only=read_only)
        except duckdb.Error as exc:
            if _LOCK.search(str(exc)):
                raise CalendlyError(
                    f"DuckDB database {self.path} is in use by another process (a running "
                    "load?): run the erasure when it has finished"
                ) from None
            raise CalendlyError(f"cannot open DuckDB database {self.path}: {exc}") from None
        self.read_only = read_only
        self.tables = self._tables()

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self.con.close()

    def _tables(self) -> list[Table]:
        found = self.con.execute(
            "SELECT t.table_schema, t.table_name, c.column_name, c.data_type "
            "FROM information_schema.tables t JOIN information_schema.columns c "
            "ON c.table_catalog = t.table_catalog AND c.table_schema = t.table_schema "
            "AND c.table_name = t.table_name "
            "WHERE t.table_type = 'BASE TABLE' AND t.table_catalog = current_database() "
            "ORDER BY t.table_schema, t.table_name, c.ordinal_position"
        ).fetchall()
        tables: dict[tuple[str, str], Table] = {}
        for schema, name, column, data_type in found:
            key = (str(schema), str(name))
            tables.setdefault(key, Table(key[0], key[1], {})).columns[str(column)] = str(data_type)
        return list(tables.values())

    # -- finding rows ------------------------------------------------------------------

    def _candidates(
        self, table: Table, needles: list[str], columns: list[str]
    ) -> list[tuple[Any, ...]]:
        """Rows whose lower-cased text contains any needle: (rowid, uri, *column texts)."""
        if not columns or not needles:
            return []
        texts = ", ".join(f"CAST({_quote(c)} AS VARCHAR) AS c{i}" for i, c in enumerate(columns))
        blob = " || chr(31) || ".join(
            f"coalesce(lower(CAST({_quote(c)} AS VARCHAR)), '')" for c in columns
        )
        uri = _quote("uri") if "uri" in table.columns else "NULL"
        tests = " OR ".join("contains(blob, ?)" for _ in needles)
        names = ", ".join(f"c{i}" for i in range(len(columns)))
        sql = (
            f"SELECT rid, uri, {names} FROM ("
            f"SELECT rowid AS rid, CAST({uri} AS VARCHAR) AS uri, {texts}, {blob} AS blob "
            f"FROM {table.ref}) WHERE {tests}"
        )
        return self.con.execute(sql, [n.lower() for n in needles]).fetchall()

    def _referencing(self, table: Table, uris: set[str]) -> list[tuple[int, str | None]]:
        """Rows whose VARCHAR columns equal, or whose JSON quotes, one of ``uris``."""
        tests = [f"{_quote(c)} IN (SELECT ref FROM refs)" for c in table.varchar_columns]
        nested = [c for c in table.text_columns if c not in table.varchar_columns]
        for column in nested:
            tests.append(
                "rowid IN (SELECT rid FROM (SELECT rowid AS rid, unnest(regexp_extract_all("
                f'CAST({_quote(column)} AS VARCHAR), \'"(https?://[^"]*)"\', 1)) AS v '
                f"FROM {table.ref}) WHERE v IN (SELECT ref FROM refs))"
            )
        if not tests:
            return []
        uri = _quote("uri") if "uri" in table.columns else "NULL"
        sql = (
            "WITH refs AS (SELECT unnest(?::VARCHAR[]) AS ref) "
            f"SELECT rowid, CAST({uri} AS VARCHAR) FROM {table.ref} WHERE " + " OR ".join(tests)
        )
        return [(int(r), u) for r, u in self.con.execute(sql, [sorted(uris)]).fetchall()]

    def plan_invitees(self, emails: Iterable[str]) -> Plan:
        """Every row holding one of ``emails``, plus rows depending on erased invitees."""
        addresses = list(dict.fromkeys(e.strip() for e in emails if e.strip()))
        patterns = [email_pattern(a) for a in addresses]
        wanted = {a.lower() for a in addresses}
        plan = Plan()
        roots: set[str] = set()
        for table in self.tables:
            columns = table.text_columns
            for rid, uri, *values in self._candidates(table, addresses, columns):
                if not any(isinstance(v, str) and p.search(v) for v in values for p in patterns):
                    continue
                plan.add(table, int(rid), uri)
                own = any(
                    str(values[i] or "").strip().lower() in wanted
                    for i, c in enumerate(columns)
                    if c in table.varchar_columns
                )
                if own and table.name == INVITEES_TABLE and uri:
                    roots.add(uri)
        self._cascade(plan, roots, {t.label for t in self.tables if t.name == INVITEES_TABLE})
        return plan

    def plan_events(self, start: datetime, end: datetime) -> Plan:
        """Events starting in [start, end) and, level by level, the rows depending on them."""
        plan = Plan()
        roots: set[str] = set()
        sources: set[str] = set()
        for table in self.tables:
            if table.name != EVENTS_TABLE or "start_time" not in table.columns:
                continue
            sources.add(table.label)
            uri = _quote("uri") if "uri" in table.columns else "NULL"
            found = self.con.execute(
                f"SELECT rowid, CAST({uri} AS VARCHAR) FROM {table.ref} "
                "WHERE TRY_CAST(start_time AS TIMESTAMPTZ) >= ? "
                "AND TRY_CAST(start_time AS TIMESTAMPTZ) < ?",
                [start, end],
            ).fetchall()
            for rid, row_uri in found:
                plan.add(table, int(rid), row_uri)
                if row_uri:
                    roots.add(str(row_uri))
        self._cascade(plan, roots, sources)
        return plan

    def _cascade(self, plan: Plan, roots: set[str], sources: set[str]) -> None:
        """Delete rows of other tables that reference ``roots``; repeat with what that
        deleted, never searching a table that already served as a source."""
        frontier = set(roots)
        used = set(sources)
        while frontier:
            found: set[str] = set()
            level_tables: set[str] = set()
            for table in self.tables:
                if table.label in used:
                    continue
                for rid, uri in self._referencing(table, frontier):
                    if plan.add(table, rid, uri) and uri:
                        found.add(uri)
                        level_tables.add(table.label)
            used |= level_tables
            frontier = found

    # -- deleting ----------------------------------------------------------------------

    def apply(self, plan: Plan) -> dict[str, int]:
        """Delete the planned rows in one transaction; return the counts per table."""
        if self.read_only:
            raise CalendlyError("the database was opened read-only (dry run)")
        by_label = {t.label: t for t in self.tables}
        self.con.execute("BEGIN TRANSACTION")
        try:
            for label, rowids in plan.rows.items():
                if rowids:
                    self.con.execute(
                        f"DELETE FROM {by_label[label].ref} WHERE rowid IN "
                        "(SELECT unnest(?::BIGINT[]))",
                        [sorted(rowids)],
                    )
            self.con.execute("COMMIT")
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        return plan.counts()


def report(path: Path, counts: dict[str, int], *, dry_run: bool) -> dict[str, Any]:
    key = "would_delete" if dry_run else "deleted"
    return {"database": str(path), key: counts, "rows": sum(counts.values())}
