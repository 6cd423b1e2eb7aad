"""User-facing loader errors: each renders as one line naming the input line and stream."""

from __future__ import annotations


class LoaderError(Exception):
    """An error the user can fix (bad input, bad config, locked database); no traceback shown."""

    def __init__(self, message: str, *, line: int | None = None, stream: str | None = None) -> None:
        self.message = " ".join(message.split())  # DuckDB messages span lines; keep one
        self.line = line
        self.stream = stream
        super().__init__(self.render())

    def render(self) -> str:
        where = []
        if self.line is not None:
            where.append(f"line {self.line}")
        if self.stream is not None:
            where.append(f"stream {self.stream!r}")
        prefix = f"input {', '.join(where)}: " if where else ""
        return prefix + self.message
