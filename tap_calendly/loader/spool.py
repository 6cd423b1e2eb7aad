"""Per-stream spool files: pending RECORD lines on disk, with a bounded number of open files.

A tap may send thousands of streams; keeping one open file per stream would run into the
process's file-descriptor limit (often 1,024), so at most ``max_open`` spools stay open and
the least recently written one is closed (and later reopened at its end) when more are needed.
A spool is overwritten in place by the next batch and cut to length when the batch is
committed: rewriting pages the OS already holds is several times cheaper than truncating the
file and growing it again.
"""

from __future__ import annotations

import os
import resource
from collections import OrderedDict
from pathlib import Path
from typing import BinaryIO

from tap_calendly.loader.errors import LoaderError

_BUFFER = 1 << 20


def default_max_open() -> int:
    """A quarter of the soft descriptor limit (DuckDB and the OS need the rest), 8 to 256."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 256
    return max(8, min(256, soft // 4))


class Spool:
    """One stream's spool file and how many bytes of the current batch it holds."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.size = 0
        self.file: BinaryIO | None = None


class Spools:
    """Open, write and finish spool files, keeping at most ``max_open`` of them open."""

    def __init__(self, directory: Path, max_open: int | None = None) -> None:
        self.directory = directory
        self.max_open = max_open or default_max_open()
        self._open: OrderedDict[int, Spool] = OrderedDict()

    def new(self, index: int) -> Spool:
        return Spool(self.directory / f"{index}.jsonl")

    def write(self, spool: Spool, data: bytes | bytearray | memoryview) -> None:
        try:
            handle = spool.file
            if handle is None:
                handle = self._reopen(spool)
            else:
                self._open.move_to_end(id(spool))
            handle.write(data)
        except OSError as exc:
            raise self._error(exc) from None
        spool.size += len(data)

    def _error(self, exc: OSError) -> LoaderError:
        return LoaderError(
            f"cannot write spool files in {self.directory.parent}: {exc.strerror}; free space "
            "there or set temp_dir to another directory (nothing of this batch was committed)"
        )

    def _reopen(self, spool: Spool) -> BinaryIO:
        while len(self._open) >= self.max_open:
            _, oldest = self._open.popitem(last=False)
            self._close(oldest)
        fd = os.open(spool.path, os.O_WRONLY | os.O_CREAT, 0o600)
        handle = os.fdopen(fd, "wb", buffering=_BUFFER)
        handle.seek(spool.size)
        spool.file = handle
        self._open[id(spool)] = spool
        return handle

    def _close(self, spool: Spool) -> None:
        if spool.file is not None:
            spool.file.close()
            spool.file = None

    def finish(self, spool: Spool) -> None:
        """Make the spool hold exactly this batch's lines, ready for DuckDB to read."""
        self._open.pop(id(spool), None)
        try:
            self._close(spool)
            os.truncate(spool.path, spool.size)
        except OSError as exc:
            raise self._error(exc) from None

    def reset(self, spool: Spool) -> None:
        """The batch is committed: the next one overwrites the file from its start."""
        spool.size = 0

    def close(self) -> None:
        for spool in self._open.values():
            self._close(spool)
        self._open.clear()
