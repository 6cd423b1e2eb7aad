"""Opening the DuckDB file for writing while a batch load may hold its lock.

DuckDB allows one writing process per file, and the loader holds the file for its whole
run. ``apply`` therefore waits, with a bounded timeout, instead of failing at once; the
deliveries stay journaled whatever happens here. The waiting loop is the loader's own
(one loop for both sides); this module only words its outcome for ``apply``.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

import duckdb

from tap_calendly.api.errors import CalendlyError
from tap_calendly.loader.errors import LoaderError
from tap_calendly.loader.lock_wait import DatabaseLocked
from tap_calendly.loader.lock_wait import connect_when_free as wait_for_lock

log = logging.getLogger("calendly.webhooks")


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
    try:
        return wait_for_lock(database, timeout, log=log, clock=clock, sleep=sleep)
    except DatabaseLocked as exc:
        raise DatabaseBusy(
            f"DuckDB database {database} stayed locked by {exc.holder or 'another process'} "
            f"(a batch load?) for {timeout:g} s; the deliveries stay journaled: run apply "
            "again after the load, or raise --lock-timeout"
        ) from None
    except LoaderError as exc:
        raise CalendlyError(exc.message) from None
