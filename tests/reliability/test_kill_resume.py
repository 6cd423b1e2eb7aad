"""Kill and resume, end to end: ``tap-calendly | target-calendly-duckdb`` as processes.

kill -9 the tap, and separately the loader, at random points of a sync; re-run from the
last STATE the loader emitted (what Meltano stores); the tables must then equal those of
a clean sync. Bounded here (three kill points); ``bench/chaos.py`` runs twenty.
Also: SIGTERM while DuckDB executes a statement ends with the documented message and
exit status 130, never a traceback, and commits nothing after the last STATE.
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tests.reliability.e2e import (
    LOADER,
    CleanSync,
    clean_sync,
    compare_with_truth,
    kill_and_resume,
    kill_points,
    write_json,
)
from tests.support.loader import as_line, record, schema_msg, state


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CleanSync]:
    """One clean sync of a small org (10 days of history) to compare resumed runs with."""
    work = tmp_path_factory.mktemp("clean")
    settings = SandboxSettings(seed=6, scale="small", rate_limit_per_minute=10**6, webhooks=False)
    with Sandbox(settings) as sandbox:
        done = clean_sync(sandbox, work)
        truth = sandbox.ground_truth()
        found = compare_with_truth(done.database, truth, since=done.since, window=done.since)
        assert found.mismatches == 0, found.examples
        yield done


@pytest.mark.parametrize(
    ("victim", "index"), [("tap", 0), ("loader", 1), ("tap", 2)], ids=["tap", "loader", "tap-2"]
)
def test_kill_9_then_resume_from_last_loader_state_equals_a_clean_sync(
    clean: CleanSync, victim: str, index: int, tmp_path: Path
):
    after = kill_points(clean.lines, 3, seed=20)[index]
    result = kill_and_resume(clean, victim, after, tmp_path)
    victim_code = result.killed.tap_code if victim == "tap" else result.killed.loader_code
    assert victim_code == -signal.SIGKILL
    assert result.killed.lines == after
    assert (result.resumed.tap_code, result.resumed.loader_code) == (0, 0)
    assert "Traceback" not in result.killed.tap_stderr + result.resumed.tap_stderr
    assert result.differences == {}
    assert result.ok
    if index == 2:  # the last point is deep in the sync: the resume starts from a STATE
        assert result.killed.last_state is not None


# -- SIGTERM while DuckDB works ---------------------------------------------------------


def big_input(records: int) -> bytes:
    properties = {
        "uri": {"type": "string"},
        "note": {"type": "string"},
        "extra": {"type": "object"},
    }
    messages = [
        schema_msg("events", properties, ["uri"]),
        *(
            record("events", {"uri": f"u{i}", "note": "n" * 40, "extra": {"i": i}})
            for i in range(records)
        ),
        state({"done": True}),
    ]
    return "".join(as_line(m) + "\n" for m in messages).encode()


def wait_for_commit_to_start(spool_root: Path, proc: subprocess.Popen[bytes]) -> None:
    """All lines spooled (the spool stopped growing) and no STATE yet: DuckDB is loading."""
    last, stable_since = -1, time.monotonic()
    while proc.poll() is None:
        size = sum(p.stat().st_size for p in spool_root.rglob("*") if p.is_file())
        if size != last:
            last, stable_since = size, time.monotonic()
        elif size > 0 and time.monotonic() - stable_since > 0.1:
            return
        time.sleep(0.01)


def test_sigterm_during_a_duckdb_statement_is_one_line_and_exit_130(tmp_path: Path):
    database = tmp_path / "term.duckdb"
    spool = tmp_path / "spool"
    spool.mkdir()
    settings = {
        "database": str(database),
        "temp_dir": str(spool),
        "batch_size_rows": 10**7,
        "batch_size_bytes": 10**10,
    }
    config = write_json(tmp_path / "loader.json", settings)
    data = big_input(200_000)
    with (tmp_path / "out").open("wb") as out, (tmp_path / "err").open("wb") as err:
        proc = subprocess.Popen(
            [str(LOADER), "--config", str(config)], stdin=subprocess.PIPE, stdout=out, stderr=err
        )
        assert proc.stdin is not None
        proc.stdin.write(data)
        proc.stdin.close()
        wait_for_commit_to_start(spool, proc)
        assert proc.poll() is None, "the load finished before the signal; use more records"
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(timeout=60)
    stderr = (tmp_path / "err").read_text()
    assert code == 130, stderr[-3000:]
    assert "Traceback" not in stderr
    assert stderr.strip().splitlines()[-1] == (
        "target-calendly-duckdb: interrupted; nothing after the last emitted STATE was committed"
    )
    assert (tmp_path / "out").read_text() == ""  # the batch's STATE was never released
    with duckdb.connect(str(database), read_only=True) as con:
        tables = con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'events'"
        ).fetchone()
        rows = con.execute("SELECT count(*) FROM calendly.events").fetchone() if tables[0] else (0,)
    assert rows == (0,)  # the interrupted transaction was rolled back
    assert list(spool.iterdir()) == []  # and the spool removed
