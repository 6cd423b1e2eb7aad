"""Load the view definitions in ``sql/`` and create them in a DuckDB database.

Each SQL file starts with comment lines (the view's documentation) and a
``-- requires:`` line naming the tables or earlier views it reads. A view whose inputs
are missing (for example a stream that was deselected) is skipped, not fatal, so a
partial sync still gets every view it can support.
"""

from __future__ import annotations

import re
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


@dataclass
class CreateResult:
    """Which views were created and which were skipped for lack of inputs."""

    created: list[str] = field(default_factory=list)
    skipped: dict[str, list[str]] = field(default_factory=dict)


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


class CatalogClashError(ValueError):
    """The database file is named like the source schema (see :func:`check_no_catalog_clash`)."""


def check_no_catalog_clash(con: duckdb.DuckDBPyConnection, schema: str) -> None:
    """DuckDB names a database after its file, so ``calendly.duckdb`` holding schema
    ``calendly`` makes every ``calendly.<table>`` reference ambiguous (even views that
    qualify the catalog fail to bind). Say so plainly instead of a binder error."""
    row = con.execute("SELECT current_database()").fetchone()
    if row is not None and str(row[0]).lower() == schema.lower():
        raise CatalogClashError(
            f"the database file is named like the schema {schema!r}, which DuckDB cannot "
            f"resolve; rename the file (e.g. {schema}_dev.duckdb) or load into another schema"
        )


def create_views(
    con: duckdb.DuckDBPyConnection, *, source: str = "calendly", target: str = "analytics"
) -> CreateResult:
    """Create (or replace) every view whose inputs exist; report the rest as skipped."""
    check_no_catalog_clash(con, source)
    result = CreateResult()
    available = _tables(con, source)
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_ident(target)}")
    for view in load_views():
        missing = [n for n in view.requires if n not in available and n not in result.created]
        if missing:
            result.skipped[view.name] = missing
            con.execute(f"DROP VIEW IF EXISTS {quote_ident(target)}.{quote_ident(view.name)}")
            continue
        con.execute(view.sql(source=source, target=target))
        result.created.append(view.name)
    return result
