"""The Singer message loop: route lines, spool records, commit batches, release STATE.

Why not singer-sdk's Target/Sink: they decode and validate every record in Python
(about 45 µs per 1.2 KB record with ``json``), which caps a load near 20,000 records/s,
while DuckDB parses the same NDJSON at over 200,000 records/s. So RECORD lines are
never decoded here on the happy path. The input is read in 4 MiB blocks (reader.py); at a
line that starts like a RECORD of a known stream, one regular-expression search finds where
that stream's run of RECORD lines ends, and the whole run goes to the stream's spool file in
one write. DuckDB reads the spool with explicit types when the batch is committed (see
warehouse.py). Every other line is decoded and handled on its own (the general path); both
paths end in the same checks, so they report the same errors.

STATE ordering: a STATE is written to stdout only once every record received before
it is committed; while records are pending only the newest STATE is kept, and it is
released right after the commit that covers it. Data and the state it covers thus
commit together: a crash before the commit loses both (the tap re-sends), a crash
after it re-sends records that the upsert absorbs.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, BinaryIO

import orjson

from tap_calendly.loader.batch import Batch
from tap_calendly.loader.errors import LoaderError
from tap_calendly.loader.reader import blocks
from tap_calendly.loader.schema_map import Column, columns_for, safe_name
from tap_calendly.loader.settings import LoaderConfig
from tap_calendly.loader.spool import Spool, Spools
from tap_calendly.loader.warehouse import Options, Warehouse, connect

log = logging.getLogger("target_calendly_duckdb")

# The exact prefixes singer-sdk and singer-python write; anything else takes the general path.
_PREFIXES = (b'{"type":"RECORD","stream":"', b'{"type": "RECORD", "stream": "')


def _run_end(encoded: bytes) -> re.Pattern[bytes]:
    """A newline NOT followed by a RECORD of this stream: where a run of its records ends."""
    alternatives = b"|".join(re.escape(prefix + encoded + b'"') for prefix in _PREFIXES)
    return re.compile(b"\n(?!" + alternatives + b")")


@dataclass
class StreamInfo:
    """What the loader knows about a stream from its latest SCHEMA message."""

    name: str
    table: str
    schema: Any
    key_properties: list[str]
    columns: list[Column]
    key_columns: list[str]
    spool: Spool
    run_end: re.Pattern[bytes]
    shapes: set[int] = field(default_factory=set)
    batch: Batch = field(init=False)

    def __post_init__(self) -> None:
        self.batch = self.new_batch()

    def new_batch(self) -> Batch:
        return Batch(
            self.name, self.table, self.columns, self.key_columns, self.spool.path, self.shapes
        )


class Loader:
    """One run of the target over one input."""

    def __init__(self, config: LoaderConfig, out: IO[str]) -> None:
        self.config = config
        self.out = out
        self.con = connect(
            config.database,
            memory_limit=config.memory_limit,
            threads=config.threads,
            lock_timeout=config.lock_timeout,
        )
        options = Options(config.load_method, config.add_record_metadata, config.hard_delete)
        try:
            self.warehouse = Warehouse(self.con, config.schema, options)
            self.spools = Spools(Path(_spool_dir(config.temp_dir)))
        except BaseException:
            self.con.close()
            raise
        self.streams: dict[str, StreamInfo] = {}
        self._fast: dict[bytes, StreamInfo] = {}
        self._tables: dict[str, str] = {}
        self.line_number = 0
        self.pending_rows = 0
        self.pending_bytes = 0
        self._oldest: float | None = None
        self.pending_state: Any = None
        self._has_pending_state = False
        self.records_loaded = 0
        self.states_emitted = 0

    def close(self) -> None:
        self.spools.close()
        shutil.rmtree(self.spools.directory, ignore_errors=True)
        self.con.close()

    def __enter__(self) -> Loader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- the loop -----------------------------------------------------------------------

    def run(self, source: BinaryIO | Iterable[bytes]) -> None:
        """Load a binary stream of Singer messages (or, for tests, an iterable of lines)."""
        started = time.monotonic()
        for buffer, end in blocks(source):
            self._feed(buffer, end)
        self.flush()
        log.info(
            "loaded %d records from %d lines in %.1f s; %d states emitted",
            self.records_loaded,
            self.line_number,
            time.monotonic() - started,
            self.states_emitted,
        )

    def _feed(self, buffer: bytearray, end: int) -> None:
        """Handle ``buffer[:end]``: whole lines, each ending in a newline."""
        wait_limit = self.config.batch_wait_limit_seconds
        pos = 0
        while pos < end:
            if (
                wait_limit is not None
                and self._oldest is not None
                and time.monotonic() - self._oldest >= wait_limit
            ):
                self.flush()
            info = self._fast_stream(buffer, pos, end)
            if info is not None:
                match = info.run_end.search(buffer, pos, end)
                stop = match.end() if match else end
                with memoryview(buffer) as view:
                    pos = self._spool_run(info, view, buffer, pos, stop)
                continue
            stop = buffer.index(b"\n", pos, end) + 1
            self.line_number += 1
            self._slow(bytes(buffer[pos:stop]), self.line_number)
            pos = stop

    def _fast_stream(self, buffer: bytearray, pos: int, end: int) -> StreamInfo | None:
        """The stream of a RECORD line written the way Singer libraries write it, if known."""
        for prefix in _PREFIXES:
            if buffer.startswith(prefix, pos):
                start = pos + len(prefix)
                quote = buffer.find(b'"', start, end)
                return self._fast.get(bytes(buffer[start:quote]))
        return None

    def _spool_run(
        self, info: StreamInfo, view: memoryview, buffer: bytearray, pos: int, stop: int
    ) -> int:
        """Spool RECORD lines ``buffer[pos:stop]`` up to the batch limits; return where it ended."""
        config = self.config
        count = buffer.count(b"\n", pos, stop)
        rows_left = config.batch_size_rows - self.pending_rows
        if count > rows_left:  # end the run at the line that fills the batch
            cut = pos
            for _ in range(rows_left):
                cut = buffer.index(b"\n", cut, stop) + 1
            stop, count = cut, rows_left
        bytes_left = config.batch_size_bytes - self.pending_bytes
        if stop - pos > bytes_left:  # ... or at the line that reaches the byte limit
            stop = buffer.index(b"\n", pos + max(bytes_left, 1) - 1, stop) + 1
            count = buffer.count(b"\n", pos, stop)
        self._append(info, view[pos:stop], self.line_number + 1, count)
        self.line_number += count
        return stop

    def _append(
        self, info: StreamInfo, data: memoryview | bytes, first_line: int, count: int
    ) -> None:
        self.spools.write(info.spool, data)
        info.batch.add(first_line, count, len(data))
        self.pending_rows += count
        self.pending_bytes += len(data)
        if self._oldest is None:
            self._oldest = time.monotonic()
        if (
            self.pending_rows >= self.config.batch_size_rows
            or self.pending_bytes >= self.config.batch_size_bytes
        ):
            self.flush()

    def _slow(self, line: bytes, line_number: int) -> None:
        if not line.strip():
            return
        try:
            message = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise LoaderError(
                f"malformed JSON: {exc.msg} at character {exc.pos}", line=line_number
            ) from None
        if not isinstance(message, dict):
            raise LoaderError("a Singer message must be a JSON object", line=line_number)
        kind = message.get("type")
        if kind == "RECORD":
            info = self._stream_for(message, line_number, "RECORD")
            if not isinstance(message.get("record"), dict):
                raise LoaderError(
                    "RECORD message has no 'record' object", line=line_number, stream=info.name
                )
            self._append(info, line, line_number, 1)
        elif kind == "SCHEMA":
            self._schema(message, line_number)
        elif kind == "STATE":
            if "value" not in message:
                raise LoaderError("STATE message has no 'value'", line=line_number)
            self._state(message["value"])
        elif kind == "ACTIVATE_VERSION":
            self._activate_version(message, line_number)
        elif kind == "BATCH":
            stream = message.get("stream")
            raise LoaderError(
                "BATCH messages are not supported; run the tap without batch_config "
                "so it sends RECORD messages",
                line=line_number,
                stream=stream if isinstance(stream, str) else None,
            )
        elif kind is None:
            raise LoaderError("Singer message has no 'type'", line=line_number)
        else:
            raise LoaderError(f"unknown Singer message type {kind!r}", line=line_number)

    def _stream_for(self, message: dict[str, Any], line_number: int, kind: str) -> StreamInfo:
        stream = message.get("stream")
        if not isinstance(stream, str) or not stream:
            raise LoaderError(f"{kind} message has no 'stream' name", line=line_number)
        info = self.streams.get(stream)
        if info is None:
            raise LoaderError(
                f"{kind} received before the stream's SCHEMA message",
                line=line_number,
                stream=stream,
            )
        return info

    # ---- messages other than RECORD -----------------------------------------------------

    def _schema(self, message: dict[str, Any], line_number: int) -> None:
        stream = message.get("stream")
        if not isinstance(stream, str) or not stream:
            raise LoaderError("SCHEMA message has no 'stream' name", line=line_number)
        schema = message.get("schema")
        keys = message.get("key_properties")
        if keys is None:
            keys = []
        if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
            raise LoaderError(
                "key_properties must be a list of property names", line=line_number, stream=stream
            )
        if not keys and self.config.primary_key_required:
            raise LoaderError(
                "the stream has no key_properties and primary_key_required is true: its rows "
                "could only be appended, so every re-run would add them again; give the stream "
                "key properties or set primary_key_required to false",
                line=line_number,
                stream=stream,
            )
        current = self.streams.get(stream)
        if current is not None and current.schema == schema and current.key_properties == keys:
            return  # taps repeat SCHEMA (e.g. once per parent of a child stream)
        columns = columns_for(stream, schema, line=line_number)
        by_prop = {c.prop: c for c in columns}
        missing = [k for k in keys if k not in by_prop]
        if missing:
            raise LoaderError(
                f"key property {missing[0]!r} is not in the schema's properties",
                line=line_number,
                stream=stream,
            )
        table = safe_name(stream)
        owner = self._tables.setdefault(table, stream)
        if owner != stream:
            raise LoaderError(
                f"streams {owner!r} and {stream!r} both map to table {table!r}",
                line=line_number,
                stream=stream,
            )
        if current is not None and current.batch.rows:
            self.flush()  # records received under the old schema load with it
        columns = self.warehouse.prepare_table(stream, table, columns, line=line_number)
        key_columns = [next(c.name for c in columns if c.prop == k) for k in keys]
        spool = current.spool if current else self.spools.new(len(self.streams))
        # RECORD lines name the stream JSON-encoded; a line whose raw name differs from this
        # encoding (other escapes) simply takes the general path.
        encoded = orjson.dumps(stream)[1:-1]
        info = StreamInfo(
            stream, table, schema, list(keys), columns, key_columns, spool, _run_end(encoded)
        )
        self.streams[stream] = info
        self._fast[encoded] = info

    def _state(self, value: Any) -> None:
        if self.pending_rows:
            self.pending_state = value
            self._has_pending_state = True
        else:
            self._emit(value)

    def _activate_version(self, message: dict[str, Any], line_number: int) -> None:
        info = self._stream_for(message, line_number, "ACTIVATE_VERSION")
        version = message.get("version")
        if not isinstance(version, int) or isinstance(version, bool):
            raise LoaderError(
                "ACTIVATE_VERSION needs an integer 'version'", line=line_number, stream=info.name
            )
        self.flush()
        retired = self.warehouse.activate_version(info.name, info.table, version)
        log.info("%s: activated version %d, retired %d older rows", info.name, version, retired)

    # ---- commits ------------------------------------------------------------------------

    def flush(self) -> None:
        """Commit every pending record (one transaction), then release the newest STATE."""
        pending = [info for info in self.streams.values() if info.batch.rows]
        if not pending and self.warehouse.has_pending_ddl:
            self.warehouse.load([])  # tables of streams that have no records yet
        if pending:
            started = time.monotonic()
            for info in pending:
                self.spools.finish(info.spool)
            self.warehouse.load([info.batch for info in pending])
            rows = sum(info.batch.rows for info in pending)
            self.records_loaded += rows
            for info in pending:
                self.spools.reset(info.spool)
                info.batch = info.new_batch()
            log.info(
                "committed %d records (%s) in %.2f s",
                rows,
                ", ".join(info.name for info in pending),
                time.monotonic() - started,
            )
        self.pending_rows = 0
        self.pending_bytes = 0
        self._oldest = None
        if self._has_pending_state:
            self._has_pending_state = False
            self._emit(self.pending_state)
            self.pending_state = None

    def _emit(self, value: Any) -> None:
        self.out.write(json.dumps(value) + "\n")
        self.out.flush()
        self.states_emitted += 1


def _spool_dir(temp_dir: str | None) -> str:
    """A private directory for this run's spool files; a bad ``temp_dir`` is one clear line."""
    try:
        return tempfile.mkdtemp(prefix="target-calendly-duckdb-", dir=temp_dir)
    except OSError as exc:
        raise LoaderError(
            f"cannot create spool files in temp_dir {temp_dir or tempfile.gettempdir()}: "
            f"{exc.strerror}; set temp_dir to an existing writable directory"
        ) from None
