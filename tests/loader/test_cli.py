"""The console script: --about, --version, config sources, the single-writer lock."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tap_calendly.loader.cli import run
from tap_calendly.loader.settings import SETTINGS
from tests.support.loader import held_open, record, rows, run_target, schema_msg, write_input

SCRIPT = shutil.which("target-calendly-duckdb", path=str(Path(sys.executable).parent))


def _about(fmt: str | None, capsys: pytest.CaptureFixture[str]) -> str:
    argv = ["--about"] + (["--format", fmt] if fmt else [])
    assert run(argv) == 0
    return capsys.readouterr().out


def test_about_json_lists_every_setting_with_defaults(capsys: pytest.CaptureFixture[str]) -> None:
    about = json.loads(_about("json", capsys))
    assert about["name"] == "target-calendly-duckdb"
    props = about["settings"]["properties"]
    assert set(props) == {s.name for s in SETTINGS}
    assert props["database"]["default"] == "calendly.duckdb"
    assert props["schema"]["default"] == "calendly"
    assert props["schema"]["aliases"] == ["default_target_schema"]
    assert props["load_method"]["enum"] == ["upsert", "append-only", "overwrite"]
    for name in ("batch_size_rows", "batch_size_bytes", "add_record_metadata", "hard_delete"):
        assert props[name]["description"]


def test_about_text_and_markdown_mention_every_setting(capsys: pytest.CaptureFixture[str]) -> None:
    text = _about(None, capsys)
    markdown = _about("markdown", capsys)
    for setting in SETTINGS:
        assert setting.name in text
        assert f"| `{setting.name}` |" in markdown


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        run(["--version"])
    assert exit_info.value.code == 0
    assert capsys.readouterr().out.startswith("target-calendly-duckdb ")


def test_config_env_and_aliases(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    database = tmp_path / "env.duckdb"
    monkeypatch.setenv("TARGET_CALENDLY_DUCKDB_DATABASE", str(database))
    monkeypatch.setenv("TARGET_CALENDLY_DUCKDB_DEFAULT_TARGET_SCHEMA", "raw")
    monkeypatch.setenv("TARGET_CALENDLY_DUCKDB_BATCH_SIZE_ROWS", "1")
    source = write_input(
        tmp_path / "in.singer",
        [schema_msg("s", {"id": {"type": "integer"}}, ["id"]), record("s", {"id": 1})],
    )
    assert run(["--config", "ENV", "--input", str(source)]) == 0
    assert rows(database, "s", schema="raw") == [{"id": 1}]


def test_later_config_files_win(tmp_path: Path) -> None:
    first = tmp_path / "a.json"
    first.write_text(json.dumps({"schema": "one", "database": str(tmp_path / "x.duckdb")}))
    second = tmp_path / "b.json"
    second.write_text(json.dumps({"schema": "two"}))
    source = write_input(
        tmp_path / "in.singer",
        [schema_msg("s", {"id": {"type": "integer"}}), record("s", {"id": 1})],
    )
    assert run(["--config", str(first), "--config", str(second), "--input", str(source)]) == 0
    assert rows(tmp_path / "x.duckdb", "s", schema="two") == [{"id": 1}]


def test_locked_database_is_one_clear_line(tmp_path: Path) -> None:
    database = tmp_path / "locked.duckdb"
    with held_open(database) as holder:
        result = run_target(
            tmp_path,
            [schema_msg("s", {"id": {"type": "integer"}})],
            database=database,
            lock_timeout=0,
        )
    assert result.code == 1
    assert (
        f"DuckDB database {database} is locked by another process (held by PID {holder.pid})"
        in result.error
    )
    assert "Traceback" not in result.stderr


@pytest.mark.skipif(SCRIPT is None, reason="console script not installed")
def test_console_script_reads_stdin_and_writes_states(tmp_path: Path) -> None:
    assert SCRIPT is not None
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"database": str(tmp_path / "cli.duckdb")}))
    lines = [
        schema_msg("s", {"id": {"type": "integer"}}, ["id"]),
        record("s", {"id": 1}),
        {"type": "STATE", "value": {"x": 1}},
    ]
    done = subprocess.run(
        [SCRIPT, "--config", str(config)],
        input="".join(json.dumps(m) + "\n" for m in lines),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "error"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == '{"x": 1}\n'
    bad = subprocess.run(
        [SCRIPT, "--config", str(config)],
        input="{oops\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1
    assert (
        bad.stderr.strip()
        .splitlines()[-1]
        .startswith("target-calendly-duckdb: error: input line 1: malformed JSON")
    )
    assert "Traceback" not in bad.stderr
