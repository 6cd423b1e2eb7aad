"""Opening a DuckDB file for writing while another process may hold its lock.

DuckDB lets one process open a file and no other process open it at all. A batch load
holds the file for its whole run and ``calendly webhooks apply`` for short merges, so each
waits a bounded time for the other instead of failing at once. This is the one waiting
loop both use: the webhooks import it from here, the loader imports nothing of theirs.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from tap_calendly.loader.errors import LoaderError

_PID = re.compile(r"PID (\d+)")
FIRST_DELAY = 0.05  # seconds; doubled after every refused attempt ...
MAX_DELAY = 1.0  # ... up to this, so a released lock is taken within a second
REMIND_EVERY = 30.0  # seconds between "still waiting" lines

#: The waiting loop's time source when the caller passes none (tests replace them).
monotonic: Callable[[], float] = time.monotonic
pause: Callable[[float], None] = time.sleep


class DatabaseLocked(LoaderError):
    """Another process held the file past the timeout; ``holder`` is ``PID N`` or None."""

    def __init__(self, database: str, holder: str | None, timeout: float) -> None:
        self.database = database
        self.holder = holder
        self.timeout = timeout
        held = f" (held by {holder})" if holder else ""
        if timeout > 0:
            waited = f" and stayed locked past lock_timeout ({timeout:g} s)"
            hint = "raise lock_timeout"
        else:
            waited = "; lock_timeout is 0, so the load did not wait"
            hint = "set lock_timeout to wait for it"
        super().__init__(
            f"DuckDB database {database} is locked by another process{held}{waited}; DuckDB "
            f"allows one writer and no readers during a load: close other connections and "
            f"re-run, or {hint}"
        )


def connect_when_free(
    database: str | Path,
    timeout: float,
    *,
    log: logging.Logger,
    clock: Callable[[], float] | None = None,
    sleep: Callable[[float], None] | None = None,
) -> duckdb.DuckDBPyConnection:
    """A writable connection, waiting up to ``timeout`` seconds while another process holds
    the file; 0 tries once. Logs the holder when the wait starts and every 30 s after."""
    clock = clock or monotonic
    sleep = sleep or pause
    start = clock()
    delay = FIRST_DELAY
    logged: float | None = None  # when the last waiting line was written
    while True:
        try:
            return duckdb.connect(str(database))
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise _cannot_open(database, exc) from None
            found = _PID.search(text)
            holder = f"PID {found.group(1)}" if found else None
        except duckdb.Error as exc:
            raise _cannot_open(database, exc) from None
        now = clock()
        left = start + timeout - now
        if left <= 0:
            raise DatabaseLocked(str(database), holder, timeout)
        if logged is None:
            log.info(
                "waiting up to %g s for the DuckDB lock held by %s",
                timeout,
                holder or "another process",
            )
            logged = now
        elif now - logged >= REMIND_EVERY:
            log.info(
                "still waiting for the DuckDB lock held by %s (%.0f of %g s)",
                holder or "another process",
                now - start,
                timeout,
            )
            logged = now
        sleep(min(delay, left))
        delay = min(delay * 2, MAX_DELAY)


def _cannot_open(database: str | Path, exc: duckdb.Error) -> LoaderError:
    first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return LoaderError(f"cannot open DuckDB database {database}: {first}")
