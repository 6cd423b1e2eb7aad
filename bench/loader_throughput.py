"""Loader throughput and memory: our target vs DuckDB's own read_json vs PyPI target-duckdb.

Generates Calendly-like invitee records (nested questions/tracking, offsets) as a Singer
stream and as plain NDJSON, then times three child processes on the same records:

1. ``target-calendly-duckdb --input FILE`` (this project),
2. DuckDB alone: ``CREATE TABLE AS SELECT * FROM read_json(ndjson)`` (the practical limit),
3. PyPI ``target-duckdb==0.8.0`` in a throwaway venv under /tmp (skipped with a note if it
   will not install; capped at ``--baseline-records`` because it is slow).

Peak RSS is per child (``os.wait4`` rusage). Prints one figure per line, then a summary.
Usage: ``python bench/loader_throughput.py [--records 200000]``; ``--records 1000000`` for
the memory check.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from tests.support.synthetic import write_records_ndjson, write_singer_file

BASELINE_VENV = Path(tempfile.gettempdir()) / "bench-target-duckdb-0.8.0"
BASELINE_SPEC = "target-duckdb==0.8.0"

DUCKDB_ALONE = """
import sys, time, duckdb
con = duckdb.connect(sys.argv[2])
con.execute("SET enable_progress_bar = false")
start = time.perf_counter()
sql = "CREATE TABLE invitees AS SELECT * FROM read_json(?, format='newline_delimited')"
con.execute(sql, [sys.argv[1]])
print(time.perf_counter() - start)
"""


@dataclass
class Measure:
    name: str
    records: int
    seconds: float
    peak_rss_mb: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds if self.seconds else 0.0


def timed(argv: list[str], *, stdin_path: Path | None = None) -> tuple[float, float, bytes]:
    """Run a child; return (wall seconds, its peak RSS in MB, its stdout)."""
    with (
        open(stdin_path or os.devnull, "rb") as stdin,
        tempfile.TemporaryFile() as out,
        tempfile.TemporaryFile() as err,
    ):
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err)
        _, status, usage = os.wait4(proc.pid, 0)  # this child's own rusage
        seconds = time.perf_counter() - start
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if proc.returncode != 0:
            tail = err.read().decode(errors="replace").strip().splitlines()[-3:]
            raise RuntimeError(f"{argv[0]} exited {proc.returncode}: {' | '.join(tail)}")
        return seconds, usage.ru_maxrss / 1024, out.read()


def ours(singer: Path, records: int, work: Path) -> Measure:
    script = Path(sys.executable).parent / "target-calendly-duckdb"
    config = work / "ours.json"
    config.write_text(json.dumps({"database": str(work / "ours.duckdb"), "temp_dir": str(work)}))
    seconds, rss, _ = timed([str(script), "--config", str(config), "--input", str(singer)])
    return Measure("target-calendly-duckdb", records, seconds, rss)


def duckdb_alone(ndjson: Path, records: int, work: Path) -> tuple[Measure, Measure]:
    seconds, rss, out = timed(
        [sys.executable, "-c", DUCKDB_ALONE, str(ndjson), str(work / "alone.duckdb")]
    )
    query = float(out.decode().strip())
    return (
        Measure("duckdb read_json CTAS (process)", records, seconds, rss),
        Measure("duckdb read_json CTAS (query only)", records, query, rss),
    )


def baseline(singer: Path, records: int, work: Path) -> Measure | str:
    """PyPI target-duckdb 0.8.0 in its own venv; a string explains why it was skipped."""
    python = BASELINE_VENV / "bin" / "python"
    script = BASELINE_VENV / "bin" / "target-duckdb"
    if not script.exists():
        try:
            subprocess.run(
                [sys.executable, "-m", "venv", str(BASELINE_VENV)], check=True, capture_output=True
            )
            subprocess.run(
                [str(python), "-m", "pip", "install", "-q", BASELINE_SPEC],
                check=True,
                capture_output=True,
                timeout=900,
            )
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired, OSError) as exc:
            return f"skipped: {BASELINE_SPEC} did not install ({type(exc).__name__})"
    config = work / "baseline.json"
    config.write_text(
        json.dumps({"filepath": str(work / "baseline.duckdb"), "default_target_schema": "calendly"})
    )
    try:
        seconds, rss, _ = timed([str(script), "--config", str(config)], stdin_path=singer)
    except RuntimeError as exc:
        return f"skipped: {BASELINE_SPEC} failed: {exc}"
    return Measure("target-duckdb 0.8.0", records, seconds, rss)


def report(m: Measure) -> None:
    print(f"{m.name}: {m.records} records in {m.seconds:.2f} s = {m.rate:,.0f} records/s")
    print(f"{m.name}: peak RSS {m.peak_rss_mb:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument(
        "--baseline-records", type=int, default=200_000, help="cap for target-duckdb 0.8.0"
    )
    parser.add_argument(
        "--skip-baseline", action="store_true", help="do not run target-duckdb 0.8.0"
    )
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="loader-bench-") as tmp:
        work = Path(tmp)
        singer, ndjson = work / "invitees.singer", work / "invitees.ndjson"
        size = write_singer_file(singer, args.records, args.seed)
        write_records_ndjson(ndjson, args.records, args.seed)
        print(f"input: {args.records} records, {size / args.records:.0f} bytes per RECORD message")

        mine = ours(singer, args.records, work)
        report(mine)
        alone_process, alone_query = duckdb_alone(ndjson, args.records, work)
        report(alone_process)
        print(
            f"{alone_query.name}: {alone_query.seconds:.2f} s = {alone_query.rate:,.0f} records/s"
        )

        other: Measure | str = "skipped: --skip-baseline"
        if not args.skip_baseline:
            count = min(args.records, args.baseline_records)
            base_input = singer
            if count < args.records:
                base_input = work / "baseline.singer"
                write_singer_file(base_input, count, args.seed)
            other = baseline(base_input, count, work)
        if isinstance(other, Measure):
            report(other)
        else:
            print(f"target-duckdb 0.8.0: {other}")

        vs_duckdb = mine.seconds / alone_process.seconds
        vs_query = mine.seconds / alone_query.seconds
        print(f"ratio ours/duckdb time (process): {vs_duckdb:.2f}x")
        print(f"ratio ours/duckdb time (query only): {vs_query:.2f}x")
        summary = (
            f"summary: ours {mine.rate:,.0f} rec/s, {mine.peak_rss_mb:.0f} MB; "
            f"duckdb alone {alone_process.rate:,.0f} rec/s ({vs_duckdb:.2f}x our time)"
        )
        if isinstance(other, Measure):
            speedup = mine.rate / other.rate
            print(f"ratio ours/target-duckdb 0.8.0 throughput: {speedup:.1f}x")
            summary += (
                f"; target-duckdb 0.8.0 {other.rate:,.0f} rec/s, {other.peak_rss_mb:.0f} MB "
                f"({speedup:.1f}x slower)"
            )
        print(summary)


if __name__ == "__main__":
    main()
