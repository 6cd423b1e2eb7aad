"""stdout for humans and scripts: JSON (default) or an aligned table.

Lists are written as they arrive (one page in memory): JSON as an array printed item by
item, tables with column widths taken from the first rows and kept after that.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import islice
from typing import Any, TextIO

import click
import orjson

FORMATS = ("json", "table")
#: Rows read before the table's column widths are fixed.
WIDTH_SAMPLE = 100
MAX_WIDTH = 48
#: Preferred table columns, in order, when a command names none.
PREFERRED = (
    "uri",
    "name",
    "email",
    "status",
    "state",
    "role",
    "start_time",
    "end_time",
    "callback_url",
    "scope",
    "occurred_at",
    "created_at",
)


def _dump(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS).decode()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        text = value
    elif isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, int | float):
        text = str(value)
    else:
        text = orjson.dumps(value).decode()
    return " ".join(text.split())


def _fit(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


class Output:
    """Writes results in the chosen format to ``stream`` (stdout by default)."""

    def __init__(self, fmt: str = "json", stream: TextIO | None = None) -> None:
        self.fmt = fmt
        self.stream = stream

    def _echo(self, text: str) -> None:
        click.echo(text, file=self.stream)

    def one(self, record: Any) -> None:
        """One object (or any JSON value)."""
        if self.fmt == "json" or not isinstance(record, dict):
            self._echo(_dump(record))
            return
        width = max((len(k) for k in record), default=0)
        for key, value in record.items():
            self._echo(f"{key.ljust(width)}  {_cell(value)}")

    def many(self, rows: Iterable[Any], columns: Sequence[str] = ()) -> int:
        """A list, streamed; returns how many items were written."""
        if self.fmt == "json":
            return self._json_array(iter(rows))
        return self._table(iter(rows), columns)

    def _json_array(self, rows: Iterator[Any]) -> int:
        """``[`` ... ``]`` with one item held back, to know whether a comma follows."""
        count = 0
        held: str | None = None
        for row in rows:
            if held is None:
                self._echo("[")
            else:
                self._echo(held + ",")
            held = "\n".join("  " + line for line in _dump(row).splitlines())
            count += 1
        self._echo("[]" if held is None else held + "\n]")
        return count

    def _table(self, rows: Iterator[Any], columns: Sequence[str]) -> int:
        sample = list(islice(rows, WIDTH_SAMPLE))
        if not sample:
            return 0
        cols = list(columns) or _columns(sample)
        widths = {
            c: min(_cap(c), max(len(c), *(len(_cell(_get(r, c))) for r in sample))) for c in cols
        }
        self._echo("  ".join(c.upper().ljust(widths[c]) for c in cols).rstrip())
        count = 0
        for row in _chain(sample, rows):
            line = "  ".join(_fit(_cell(_get(row, c)), widths[c]).ljust(widths[c]) for c in cols)
            self._echo(line.rstrip())
            count += 1
        return count


def _cap(column: str) -> int:
    """URIs and URLs are identifiers: never cut them; cap other columns."""
    return 10_000 if column.endswith(("uri", "url")) else MAX_WIDTH


def _chain(first: list[Any], rest: Iterator[Any]) -> Iterator[Any]:
    yield from first
    yield from rest


def _get(row: Any, column: str) -> Any:
    """``column`` of ``row``; dotted names reach into nested objects (``user.email``)."""
    value = row
    for part in column.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def _columns(sample: list[Any]) -> list[str]:
    """Up to six scalar fields, preferred names first."""
    first = sample[0] if isinstance(sample[0], dict) else {}
    scalar = [k for k, v in first.items() if not isinstance(v, dict | list)]
    chosen = [k for k in PREFERRED if k in scalar]
    chosen += [k for k in scalar if k not in chosen]
    return chosen[:6] or ["value"]
