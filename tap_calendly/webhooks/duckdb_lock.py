"""Opening the DuckDB file for writing while a batch load may hold its lock.

DuckDB allows one writing process per file, and the loader holds the file for its whole
run. ``apply`` therefore waits, with a bounded timeout, instead of failing at once; the
deliveries stay journaled whatever happens here.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from tap_calendly.api.errors import CalendlyError

log = logging.getLogger("calendly.webhooks")

_PID = re.compile(r"PID (\d+)")


class DatabaseBusy(CalendlyError):
    """The DuckDB file stayed locked by another process past the timeout."""


def connect_when_free(
    database: Path,
    timeout: float,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> duckdb.DuckDBPyConnection:
    """A writable connection, waiting up to ``timeout`` seconds for another writer."""
    deadline = clock() + timeout
    delay = 0.05
    waited = False
    while True:
        try:
            return duckdb.connect(str(database))
        except duckdb.IOException as exc:
            text = str(exc)
            if "lock" not in text.lower():
                raise CalendlyError(
                    f"cannot open DuckDB database {database}: {text.splitlines()[0]}"
                ) from None
            pid = _PID.search(text)
            holder = f"PID {pid.group(1)}" if pid else "another process"
            left = deadline - clock()
            if left <= 0:
                raise DatabaseBusy(
                    f"DuckDB database {database} stayed locked by {holder} (a batch load?) "
                    f"for {timeout:g} s; the deliveries stay journaled: run apply again after "
                    "the load, or raise --lock-timeout"
                ) from None
            if not waited:
                log.info("waiting up to %g s for the DuckDB lock held by %s", timeout, holder)
                waited = True
            sleep(min(delay, left))
            delay = min(delay * 2, 1.0)
        except duckdb.Error as exc:
            raise CalendlyError(
                f"cannot open DuckDB database {database}: {str(exc).splitlines()[0]}"
            ) from None
