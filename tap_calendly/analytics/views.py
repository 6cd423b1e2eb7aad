"""Load the view definitions in ``sql/`` and create them in a DuckDB database.

Each SQL file starts with comment lines (the view's documentation) and a
``-- requires:`` line naming the tables or earlier views it reads. A view whose inputs
are missing (for example a stream that was deselected) is skipped, not fatal, so a
partial sync still gets every view it can support.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import resources

import duckdb

_REQUIRES = re.compile(r"^--\s*requires:\s*(?P<names>.+)$", re.MULTILINE)


@dataclass(frozen=True)
class View:
    """One analytics view: its name, inputs, documentation and SQL template.

    The template uses ``{source}`` (schema of the synced tables) and ``{target}``
    (schema of the views).
    """

    name: str
    requires: tuple[str, ...]
    doc: str
    template: str

    def sql(self, *, source: str, target: str) -> str:
        return self.template.format(source=quote_ident(source), target=quote_ident(target))

    def unqualified_sql(self) -> str:
        """The view with bare table and view names, for creation inside the source schema."""
        return self.template.replace("{source}.", "").replace("{target}.", "")


@dataclass
class CreateResult:
    """Which views were created (in ``schema``) and which were skipped for lack of inputs."""

    schema: str
    created: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)
    #: The database is named like the source schema, so the views went next to the tables.
    beside_tables: bool = False


def quote_ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _parse(filename: str, text: str) -> View:
    match = _REQUIRES.search(text)
    if match is None:
        raise ValueError(f"{filename}: missing '-- requires:' line")
    requires = tuple(n.strip() for n in match.group("names").split(",") if n.strip())
    doc_lines: list[str] = []
    for line in text.splitlines():
        if not line.startswith("--") or _REQUIRES.match(line):
            break
        doc_lines.append(line.removeprefix("--").strip())
    name_match = re.search(r"VIEW\s+\{target\}\.(?P<name>\w+)", text)
    if name_match is None:
        raise ValueError(f"{filename}: no 'CREATE OR REPLACE VIEW {{target}}.<name>'")
    return View(name_match.group("name"), requires, " ".join(doc_lines), text)


def load_views() -> list[View]:
    """All view definitions, in file order (later views may read earlier ones)."""
    folder = resources.files("tap_calendly.analytics") / "sql"
    entries = sorted((e for e in folder.iterdir() if e.name.endswith(".sql")), key=lambda e: e.name)
    return [_parse(e.name, e.read_text(encoding="utf-8")) for e in entries]


def _tables(con: duckdb.DuckDBPyConnection, schema: str) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
    ).fetchall()
    return {str(r[0]) for r in rows}


def catalog_clash(con: duckdb.DuckDBPyConnection, schema: str) -> bool:
    """Is the database named like ``schema``? DuckDB names a database after its file, so
    ``calendly.duckdb`` holding schema ``calendly`` makes ``calendly.<table>`` ambiguous,
    and DuckDB 2.0 cannot create a view over it even with three-part names."""
    row = con.execute("SELECT current_database()").fetchone()
    return row is not None and str(row[0]).lower() == schema.lower()


def create_views(
    con: duckdb.DuckDBPyConnection, *, source: str = "calendly", target: str = "analytics"
) -> CreateResult:
    """Create (or replace) every view whose inputs exist; report the rest as skipped.

    Normally the views go into ``target``. When the database is named like ``source``
    (the loader's defaults, ``calendly.duckdb`` + ``calendly``) they go into ``source``
    itself, written with bare names, which DuckDB binds against the view's own schema.
    """
    available = _tables(con, source)
    if not catalog_clash(con, source):
        result = CreateResult(schema=target)
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(target)}")
        prefix = f"{quote_ident(target)}."
        _create_each(con, result, available, lambda v: v.sql(source=source, target=target), prefix)
        return result
    result = CreateResult(schema=source, beside_tables=True)
    row = con.execute("SELECT current_database(), current_schema()").fetchone()
    assert row is not None
    catalog, previous_schema = str(row[0]), str(row[1])
    con.execute(f"USE {quote_ident(catalog)}.{quote_ident(source)}")
    try:
        _create_each(con, result, available, View.unqualified_sql, "")
    finally:
        con.execute(f"USE {quote_ident(catalog)}.{quote_ident(previous_schema)}")
    return result


def _create_each(
    con: duckdb.DuckDBPyConnection,
    result: CreateResult,
    available: set[str],
    render: Callable[[View], str],
    prefix: str,
) -> None:
    for view in load_views():
        missing = [n for n in view.requires if n not in available and n not in result.created]
        if missing:
            result.skipped[view.name] = missing
            con.execute(f"DROP VIEW IF EXISTS {prefix}{quote_ident(view.name)}")
            continue
        con.execute(render(view))
        result.created.append(view.name)
