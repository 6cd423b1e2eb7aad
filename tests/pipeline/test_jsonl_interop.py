"""The tap's output is plain Singer: PyPI's target-jsonl loads it unchanged.

One tap run against the sandbox is captured to a file; the very same bytes are then fed
to target-jsonl 0.1.4 (installed by ``meltano install`` from meltano.yml; it validates
every record against the stream's SCHEMA message with jsonschema) and to this repo's
DuckDB loader. Each must account for every RECORD the tap emitted.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import duckdb
import pytest

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tests.support.tap_run import sync_to_file

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
TARGET_JSONL = ROOT / ".meltano" / "loaders" / "target-jsonl" / "venv" / "bin" / "target-jsonl"

pytestmark = pytest.mark.skipif(
    not TARGET_JSONL.exists(),
    reason="target-jsonl is not installed; run `make meltano-install`",
)


@pytest.fixture(scope="module")
def tap_output(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("interop")
    settings = SandboxSettings(seed=3, scale="small", rate_limit_per_minute=1_000_000)
    with Sandbox(settings) as sandbox:
        sync_to_file(sandbox, work / "tap.singer", days=60)
    return work / "tap.singer"


def records_by_stream(path: Path) -> dict[str, list[dict[str, object]]]:
    found: dict[str, list[dict[str, object]]] = defaultdict(list)
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            message = json.loads(line)
            if message["type"] == "RECORD":
                found[message["stream"]].append(message["record"])
    return found


def key_properties(path: Path) -> dict[str, list[str]]:
    with path.open(encoding="utf-8") as handle:
        return {
            message["stream"]: message["key_properties"]
            for message in map(json.loads, handle)
            if message["type"] == "SCHEMA"
        }


def test_target_jsonl_writes_every_record(tap_output: Path, tmp_path: Path) -> None:
    emitted = records_by_stream(tap_output)
    assert len(emitted) >= 12  # every stream the sandbox has data for
    (tmp_path / "jsonl.json").write_text(
        json.dumps({"destination_path": str(tmp_path / "out"), "do_timestamp_file": False})
    )
    with tap_output.open("rb") as stdin:
        run = subprocess.run(
            [str(TARGET_JSONL), "--config", str(tmp_path / "jsonl.json")],
            stdin=stdin,
            capture_output=True,
            timeout=300,
        )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    files = {p.stem: p for p in (tmp_path / "out").glob("*.jsonl")}
    assert set(files) == set(emitted)
    for stream, records in emitted.items():
        written = [json.loads(line) for line in files[stream].read_text("utf-8").splitlines()]
        assert len(written) == len(records), stream
        assert written == records, stream
    # target-jsonl echoes the last STATE it saw: the tap's bookmarks.
    state = json.loads(run.stdout.decode().strip().splitlines()[-1])
    assert "bookmarks" in state


def test_same_output_loads_into_duckdb(tap_output: Path, tmp_path: Path) -> None:
    emitted = records_by_stream(tap_output)
    (tmp_path / "duck.json").write_text(json.dumps({"database": str(tmp_path / "x.duckdb")}))
    with tap_output.open("rb") as stdin:
        run = subprocess.run(
            [str(BIN / "target-calendly-duckdb"), "--config", str(tmp_path / "duck.json")],
            stdin=stdin,
            capture_output=True,
            timeout=300,
        )
    assert run.returncode == 0, run.stderr.decode()[-2000:]
    keys = key_properties(tap_output)
    with duckdb.connect(str(tmp_path / "x.duckdb"), read_only=True) as con:
        for stream, records in emitted.items():
            row = con.execute(f"SELECT count(*) FROM calendly.{stream}").fetchone()
            assert row is not None
            # Upsert on the stream's key: one row per distinct key the tap sent.
            distinct = Counter(tuple(str(r[k]) for k in keys[stream]) for r in records)
            assert keys[stream], stream
            assert row[0] == len(distinct), stream
