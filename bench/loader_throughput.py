"""Loader at scale: our time vs DuckDB's own read_json, peak memory, and upserts into a big table.

Makes Calendly-like invitee records (nested questions/tracking, offset date-times; see
tests/support/synthetic.py), then times child processes on them:

1. DuckDB alone: ``CREATE TABLE AS SELECT * FROM read_json(records.ndjson)`` (the practical
   limit: the same records, without the Singer envelope or any loader logic);
2. ``target-calendly-duckdb --input records.singer`` into an empty database (the plain load);
3. the plain load of ``--upsert-records`` changed records into an empty database, then the
   same records upserted into the table of step 2 (every key exists, every row changes).

Each figure is printed on its own line, then one summary line. Peak RSS and CPU seconds are
the child's own (``os.wait4``). Goals (issue 12): ours within 2x of DuckDB alone at 1M and
10M records, peak RSS at most 300 MB at 10M, the upsert within 3x of the plain load.
Usage: ``python bench/loader_throughput.py --records 1000000`` (10M needs about 40 GB free).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run as a script from anywhere

from tests.support.synthetic import INVITEE_SCHEMA, STREAM, invitee_records

DUCKDB_ALONE = """
import sys, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
con.execute("CREATE TABLE invitees AS SELECT * FROM read_json(?, format='newline_delimited')",
            [sys.argv[1]])
"""
# Records are made once per million and replicated with new keys: "/invitees/000000123456"
# becomes "/invitees/00000r123456" in copy r, so 10M records cost one million encodings.
_KEY_PREFIX = b"/invitees/000000"
_BASE = 1_000_000
_CHANGE = (b'"text_reminder_number":null', b'"text_reminder_number":"+1 555 0100"')
_EXTRACTED = b',"time_extracted":"2026-02-01T00:00:00.000000Z"}\n'
_RECORD = b'{"type":"RECORD","stream":"' + STREAM.encode() + b'","record":'


@dataclass
class Measure:
    name: str
    records: int
    seconds: float
    cpu_seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def _hwm_mb(pid: int) -> float | None:
    """The process's peak resident memory so far (VmHWM), in MB; None once it has exited."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def timed(name: str, records: int, argv: list[str]) -> Measure:
    """Run a child to completion: its wall time, CPU time and peak RSS.

    Peak RSS is polled from /proc (VmHWM never decreases): rusage's ru_maxrss would report
    this benchmark's own size, which a child inherits at fork and keeps across exec.
    """
    with tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=err
        )
        peak = 0.0
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            peak = max(peak, _hwm_mb(proc.pid) or 0.0)
            time.sleep(0.05)
        seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            err.seek(0)
            tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            raise SystemExit(f"{name} failed: {' | '.join(tail)}")
    return Measure(name, records, seconds, usage.ru_utime + usage.ru_stime, peak)


def base_lines(count: int, seed: int) -> list[bytes]:
    return [orjson.dumps(r) for r in invitee_records(min(count, _BASE), seed)]


def record_lines(base: list[bytes], count: int, *, changed: bool = False) -> Iterator[bytes]:
    """``count`` record lines: ``base`` with new keys for each further million."""
    for copy in range((count + _BASE - 1) // _BASE):
        key = _KEY_PREFIX[:-1] + str(copy).encode()
        for line in base[: count - copy * _BASE]:
            line = line.replace(_KEY_PREFIX, key, 1) if copy else line
            yield line.replace(*_CHANGE) if changed else line


def write_ndjson(path: Path, lines: Iterator[bytes]) -> int:
    with path.open("wb", buffering=1 << 22) as out:
        for line in lines:
            out.write(line + b"\n")
    return path.stat().st_size


def write_singer(path: Path, lines: Iterator[bytes]) -> int:
    """SCHEMA, the RECORDs (singer-sdk's layout), a STATE every 10,000 records and at the end."""
    schema = {
        "type": "SCHEMA",
        "stream": STREAM,
        "schema": INVITEE_SCHEMA,
        "key_properties": ["uri"],
    }
    count = 0
    with path.open("wb", buffering=1 << 22) as out:
        out.write(orjson.dumps(schema) + b"\n")
        for count, line in enumerate(lines, start=1):
            out.write(_RECORD + line + _EXTRACTED)
            if count % 10_000 == 0:
                out.write(orjson.dumps({"type": "STATE", "value": {"n": count}}) + b"\n")
        out.write(orjson.dumps({"type": "STATE", "value": {"n": count}}) + b"\n")
    return path.stat().st_size


def ours(name: str, singer: Path, records: int, database: Path, work: Path) -> Measure:
    config = work / f"{database.stem}.json"
    config.write_text(json.dumps({"database": str(database), "temp_dir": str(work)}))
    script = Path(sys.executable).parent / "target-calendly-duckdb"
    return timed(name, records, [str(script), "--config", str(config), "--input", str(singer)])


def report(m: Measure) -> None:
    print(f"{m.name}: {m.records:,} records in {m.seconds:.1f} s = {m.rate:,.0f} records/s")
    print(f"{m.name}: CPU {m.cpu_seconds:.1f} s, peak RSS {m.peak_rss_mb:.0f} MB")


def check_disk(work: Path, records: int) -> None:
    needed = records * 4_000  # ndjson + singer + two databases, with room to spare
    free = shutil.disk_usage(work).free
    print(f"disk: {free / 1e9:.0f} GB free in {work}, about {needed / 1e9:.0f} GB needed")
    if free < needed:
        raise SystemExit("not enough free disk for this many records; use --work-dir elsewhere")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--upsert-records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work-dir", type=Path, default=Path(tempfile.gettempdir()))
    args = parser.parse_args()
    records, changes = args.records, min(args.upsert_records, args.records)

    work = Path(tempfile.mkdtemp(prefix="loader-bench-", dir=args.work_dir))
    try:
        check_disk(work, records)
        base = base_lines(records, args.seed)
        ndjson, singer = work / "records.ndjson", work / "records.singer"

        size = write_ndjson(ndjson, record_lines(base, records))
        alone = timed(
            "duckdb read_json CTAS",
            records,
            [sys.executable, "-c", DUCKDB_ALONE, str(ndjson), str(work / "alone.duckdb")],
        )
        ndjson.unlink()
        (work / "alone.duckdb").unlink()
        report(alone)

        size = write_singer(singer, record_lines(base, records))
        print(f"input: {records:,} records, {size / records:.0f} bytes per RECORD message")
        plain = ours("target-calendly-duckdb", singer, records, work / "big.duckdb", work)
        singer.unlink()
        report(plain)

        write_singer(singer, record_lines(base, changes, changed=True))
        fresh = ours(
            "plain load of the changed records", singer, changes, work / "small.duckdb", work
        )
        report(fresh)
        upsert = ours(
            f"upsert into the {records:,}-row table", singer, changes, work / "big.duckdb", work
        )
        report(upsert)

        vs_alone = plain.seconds / alone.seconds
        vs_plain = upsert.seconds / fresh.seconds
        print(
            f"ratio ours/duckdb read_json time at {records:,} records: {vs_alone:.2f}x (goal <= 2x)"
        )
        print(f"peak RSS ours at {records:,} records: {plain.peak_rss_mb:.0f} MB (goal <= 300 MB)")
        print(
            f"ratio upsert of {changes:,} changed rows into {records:,} rows / plain load of "
            f"them: {vs_plain:.2f}x (goal <= 3x)"
        )
        print(
            f"summary: {records:,} records: ours {plain.seconds:.1f} s vs duckdb "
            f"{alone.seconds:.1f} s = {vs_alone:.2f}x, peak RSS {plain.peak_rss_mb:.0f} MB; "
            f"upsert {changes:,} {upsert.seconds:.1f} s vs plain {fresh.seconds:.1f} s "
            f"= {vs_plain:.2f}x"
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
