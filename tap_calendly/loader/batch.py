"""One stream's pending records: where they sit in the spool and which input lines they came from.

Records arrive in runs of consecutive input lines (a tap sends one stream at a time), so the
input line of each spooled record is kept as runs, not one number per record: a batch of
200,000 records from one stream costs two integers instead of 200,000.
"""

from __future__ import annotations

from array import array
from bisect import bisect_right
from dataclasses import dataclass, field
from pathlib import Path

from tap_calendly.loader.schema_map import Column


@dataclass
class Batch:
    """Spooled RECORD lines of one stream and the schema they load with."""

    stream: str
    table: str
    columns: list[Column]  # current schema, with the table's effective types
    keys: list[str]  # key column names
    spool: Path
    shapes: set[int] = field(default_factory=set)  # key shapes known to hold no new property
    rows: int = 0
    max_line: int = 0  # an upper bound of the longest spooled line, in bytes
    _run_rows: array[int] = field(default_factory=lambda: array("q"))
    _run_lines: array[int] = field(default_factory=lambda: array("q"))

    def add(self, first_line: int, count: int, longest: int) -> None:
        """Note ``count`` records spooled from input lines ``first_line`` onwards."""
        runs = self._run_rows
        if not runs or self._run_lines[-1] + (self.rows - runs[-1]) != first_line:
            runs.append(self.rows)
            self._run_lines.append(first_line)
        self.rows += count
        if longest > self.max_line:
            self.max_line = longest

    def input_line(self, index: int) -> int:
        """Input line number of the spooled record at 0-based ``index``."""
        run = bisect_right(self._run_rows, index) - 1
        return self._run_lines[run] + index - self._run_rows[run]
