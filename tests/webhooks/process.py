"""Run ``python -m tap_calendly.webhooks serve`` as a child process and find its port."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

_LISTENING = re.compile(r"listening on (http://\S+)")


class ServeProcess:
    """The receiver in its own process; ``lines`` collects its stderr."""

    def __init__(self, args: Sequence[str], env: dict[str, str] | None = None) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tap_calendly.webhooks", "serve", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, **(env or {})},
        )
        self.lines: list[str] = []
        self._urls: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._drain, daemon=True).start()
        self.url = self._urls.get(timeout=60) or ""
        if not self.url:
            self.proc.wait(timeout=10)
            raise AssertionError("receiver did not start:\n" + self.stderr)

    def _drain(self) -> None:
        assert self.proc.stderr is not None
        for line in self.proc.stderr:
            self.lines.append(line)
            found = _LISTENING.search(line)
            if found:
                self._urls.put(found.group(1))
        self._urls.put(None)

    @property
    def stderr(self) -> str:
        return "".join(self.lines)

    def wait(self, timeout: float = 30) -> int:
        return self.proc.wait(timeout=timeout)


def journal_keys(journal: Path) -> set[bytes]:
    import sqlite3

    con = sqlite3.connect(journal / "journal.sqlite3")
    try:
        return {bytes(row[0]) for row in con.execute("SELECT key FROM deliveries")}
    finally:
        con.close()
