"""The durable journal: SQLite in WAL mode, one row per distinct delivery.

Why SQLite and not the DuckDB file: a batch load holds DuckDB's single-writer lock for
its whole run, and the receiver must keep acknowledging meanwhile. Why
``synchronous=FULL``: in WAL mode that syncs the log on every commit, so a delivery the
receiver acknowledged survives a crash of the process *and* of the machine (``NORMAL``
would only survive the former). The cost, one fsync per commit, is shared by every
delivery in the commit (:mod:`tap_calendly.webhooks.group_commit`).

Rows are keyed by :attr:`Delivery.key` (UNIQUE), so a retried delivery is stored once.
``seq`` orders deliveries by arrival and is never reused. ``applied_at`` is NULL until
``apply`` merged the row; applied rows are deleted after the retention period.
The directory is created 0700 and the files 0600: payloads hold names and e-mails.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from tap_calendly.api.errors import CalendlyError
from tap_calendly.webhooks.envelope import Delivery

FILENAME = "journal.sqlite3"
_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    key BLOB NOT NULL UNIQUE,
    event TEXT NOT NULL,
    uri TEXT,
    updated_at TEXT,
    created_at TEXT NOT NULL,
    received_at REAL NOT NULL,
    body BLOB NOT NULL,
    applied_at REAL,
    outcome TEXT
);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (seq) WHERE applied_at IS NULL;
CREATE INDEX IF NOT EXISTS deliveries_applied ON deliveries (applied_at)
    WHERE applied_at IS NOT NULL;
"""


class JournalError(CalendlyError):
    """The journal cannot be opened or written (permissions, disk, not a journal)."""


@dataclass(frozen=True)
class Stored:
    """A journaled delivery as ``apply`` reads it."""

    seq: int
    event: str
    received_at: float
    body: bytes


def prepare_directory(directory: Path) -> Path:
    """Create ``directory`` (0700) if needed; refuse a path that is not a directory."""
    try:
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    except FileExistsError:
        raise JournalError(f"journal path {directory} exists and is not a directory") from None
    except OSError as exc:
        raise JournalError(f"cannot create journal directory {directory}: {exc.strerror}") from None
    if not directory.is_dir():
        raise JournalError(f"journal path {directory} is not a directory")
    return directory


class Journal:
    """One connection to the journal; use it from one thread (sqlite3's rule)."""

    def __init__(
        self, directory: Path, *, busy_timeout: float = 30.0, autocheckpoint: bool = True
    ) -> None:
        self.directory = prepare_directory(directory)
        self.path = directory / FILENAME
        try:
            _create_private(self.path)
            self.con = sqlite3.connect(
                self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False
            )
        except (OSError, sqlite3.Error) as exc:
            raise JournalError(f"cannot open journal {self.path}: {_reason(exc)}") from None
        try:
            self.con.execute("PRAGMA journal_mode = WAL")
            self.con.execute("PRAGMA synchronous = FULL")
            if not autocheckpoint:  # someone else checkpoints (see GroupWriter)
                self.con.execute("PRAGMA wal_autocheckpoint = 0")
            version = self.con.execute("PRAGMA user_version").fetchone()[0]
            if version not in (0, _VERSION):
                raise JournalError(
                    f"journal {self.path} has format {version}; this version reads {_VERSION}"
                )
            if version == 0:
                self.con.executescript(_SCHEMA)
                self.con.execute(f"PRAGMA user_version = {_VERSION}")
        except sqlite3.DatabaseError as exc:
            self.con.close()
            raise JournalError(f"{self.path} is not a usable journal: {_reason(exc)}") from None

    def close(self) -> None:
        with contextlib.suppress(sqlite3.Error):
            self.con.close()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- receiving ---------------------------------------------------------------------

    def append(self, deliveries: Sequence[Delivery], received_at: float) -> list[bool]:
        """Store deliveries in ONE durable transaction; True for each that was new.

        One multi-row INSERT instead of one per delivery: every SQLite call releases and
        re-takes the GIL, and under load each re-take can wait for the event loop thread.
        """
        if not deliveries:
            return []
        keys = [item.key for item in deliveries]
        marks = ", ".join("?" * len(keys))
        with self._transaction():
            known = {
                bytes(row[0])
                for row in self.con.execute(
                    f"SELECT key FROM deliveries WHERE key IN ({marks})", keys
                ).fetchall()
            }
            fresh: list[bool] = []
            values: list[object] = []
            for item in deliveries:
                new = item.key not in known
                fresh.append(new)
                if new:
                    known.add(item.key)  # the same delivery twice in one group
                    values += (
                        item.key,
                        item.event,
                        item.uri,
                        item.updated_at,
                        item.created_at,
                        received_at,
                        item.body,
                    )
            if values:
                rows = ", ".join(["(?, ?, ?, ?, ?, ?, ?)"] * (len(values) // 7))
                self.con.execute(
                    "INSERT INTO deliveries (key, event, uri, updated_at, created_at, "
                    f"received_at, body) VALUES {rows}",
                    values,
                )
        return fresh

    # -- applying ----------------------------------------------------------------------

    def pending(self, limit: int, after: int = 0, upto: int | None = None) -> list[Stored]:
        """Up to ``limit`` unapplied deliveries with ``after < seq <= upto``, oldest first."""
        rows = self.con.execute(
            "SELECT seq, event, received_at, body FROM deliveries "
            "WHERE applied_at IS NULL AND seq > ? AND seq <= coalesce(?, seq) ORDER BY seq LIMIT ?",
            (after, upto, limit),
        ).fetchall()
        return [Stored(int(s), str(e), float(r), bytes(b)) for s, e, r, b in rows]

    def newest(self) -> int:
        """The ``seq`` of the latest delivery received (0 for none)."""
        row = self.con.execute("SELECT coalesce(max(seq), 0) FROM deliveries").fetchone()
        return int(row[0])

    def mark(self, outcomes: Iterable[tuple[int, str]], applied_at: float) -> None:
        """Mark deliveries applied (``outcome`` says how) in one transaction."""
        with self._transaction():
            self.con.executemany(
                "UPDATE deliveries SET applied_at = ?, outcome = ? "
                "WHERE seq = ? AND applied_at IS NULL",
                [(applied_at, outcome, seq) for seq, outcome in outcomes],
            )

    def purge(self, applied_before: float) -> int:
        """Delete deliveries applied before ``applied_before``; never a pending one."""
        with self._transaction():
            cursor = self.con.execute(
                "DELETE FROM deliveries WHERE applied_at IS NOT NULL AND applied_at < ?",
                (applied_before,),
            )
        return int(cursor.rowcount)

    def checkpoint(self) -> None:
        """Copy committed WAL pages into the database file without blocking writers."""
        self.con.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()

    def counts(self) -> tuple[int, int]:
        """``(stored, pending)`` deliveries."""
        row = self.con.execute(
            "SELECT count(*), count(*) FILTER (WHERE applied_at IS NULL) FROM deliveries"
        ).fetchone()
        return int(row[0]), int(row[1])

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        try:
            self.con.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise JournalError(f"journal {self.path} is not writable: {_reason(exc)}") from None
        try:
            yield
            self.con.execute("COMMIT")
        except BaseException as exc:
            with contextlib.suppress(sqlite3.Error):
                self.con.execute("ROLLBACK")
            if isinstance(exc, sqlite3.Error):
                raise JournalError(f"journal {self.path} write failed: {_reason(exc)}") from None
            raise


def _create_private(path: Path) -> None:
    """Create the database file 0600 (SQLite gives its -wal/-shm the same mode).

    Only when it does not exist: opening and closing a database file outside SQLite
    drops every POSIX lock this process holds on it, including those of a connection
    in another thread, and that can corrupt the database.
    """
    if path.exists():
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, 0o600))


def _reason(exc: BaseException) -> str:
    text = getattr(exc, "strerror", None) or str(exc)
    return text.splitlines()[0] if text else type(exc).__name__
