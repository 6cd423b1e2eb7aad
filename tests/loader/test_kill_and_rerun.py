"""kill -9 mid-load, then a re-run from the last emitted STATE, equals one clean load.

This is the Meltano contract: Meltano stores the last STATE the target printed and, after
a crash, restarts the tap from it. Records committed after that STATE are re-sent, so the
upsert must absorb them; records not committed must not leave partial rows behind.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from tests.support.synthetic import STREAM, singer_lines

SCRIPT = Path(sys.executable).parent / "target-calendly-duckdb"
RECORDS = 40_000


def _table(database: Path) -> list[tuple]:
    with duckdb.connect(str(database), read_only=True) as con:
        return con.execute(f"SELECT * FROM calendly.{STREAM} ORDER BY uri").fetchall()


def _config(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.json"
    settings = {
        "database": str(tmp_path / f"{name}.duckdb"),
        "batch_size_rows": 3000,
        "temp_dir": str(tmp_path),  # a killed run leaves its spool directory behind
    }
    path.write_text(json.dumps(settings))
    return path


@pytest.mark.slow
@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")
def test_sigkill_then_rerun_from_last_state_equals_clean_load(tmp_path: Path) -> None:
    # keys repeat (key_space < records) so later records must win over earlier ones
    lines = list(singer_lines(RECORDS, seed=3, state_every=1000, key_space=RECORDS // 2))
    full = tmp_path / "full.singer"
    full.write_bytes(b"".join(lines))

    clean = subprocess.run(
        [str(SCRIPT), "--config", str(_config(tmp_path, "clean")), "--input", str(full)],
        capture_output=True,
        check=False,
    )
    assert clean.returncode == 0, clean.stderr
    expected = _table(tmp_path / "clean.duckdb")
    assert len(expected) == RECORDS // 2

    crash_config = _config(tmp_path, "crash")
    proc = subprocess.Popen(
        [str(SCRIPT), "--config", str(crash_config), "--input", str(full)],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    os.kill(proc.pid, signal.SIGKILL)
    rest = proc.stdout.read()
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    emitted = [json.loads(x) for x in (first + rest).split(b"\n") if x.strip()]
    assert emitted, "the target was killed before emitting any STATE"
    resume_after = emitted[-1]["bookmarks"][STREAM]["n"]
    assert resume_after < RECORDS, "the load finished before the kill; use more records"
    partial = _table(tmp_path / "crash.duckdb")
    assert resume_after <= len(partial) < len(expected) or partial != expected

    # Meltano re-runs the tap from the last emitted state: SCHEMA, then records after it.
    resumed: list[bytes] = [lines[0]]
    seen = 0
    for line in lines[1:]:
        if line.startswith(b'{"type":"RECORD"'):
            seen += 1
            if seen > resume_after:
                resumed.append(line)
        elif seen >= resume_after:
            resumed.append(line)
    rerun_input = tmp_path / "rerun.singer"
    rerun_input.write_bytes(b"".join(resumed))
    rerun = subprocess.run(
        [str(SCRIPT), "--config", str(crash_config), "--input", str(rerun_input)],
        capture_output=True,
        check=False,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert json.loads(rerun.stdout.splitlines()[-1])["bookmarks"][STREAM]["n"] == RECORDS
    assert _table(tmp_path / "crash.duckdb") == expected


@pytest.mark.skipif(not SCRIPT.exists(), reason="console script not installed")
def test_sigterm_rolls_back_and_cleans_the_spool(tmp_path: Path) -> None:
    """Meltano cancels with SIGTERM: the run stops cleanly, keeping only committed data."""
    config = _config(tmp_path, "term")
    proc = subprocess.Popen(
        [str(SCRIPT), "--config", str(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    lines = list(singer_lines(4000, state_every=3000))
    for line in lines[:3003]:  # SCHEMA, 3000 records (one commit), STATE, 1 more record
        proc.stdin.write(line)
    proc.stdin.flush()
    assert json.loads(proc.stdout.readline())["bookmarks"][STREAM]["n"] == 3000
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert b"Traceback" not in err
    assert len(_table(tmp_path / "term.duckdb")) == 3000
    assert not list(tmp_path.glob("target-calendly-duckdb-*"))
