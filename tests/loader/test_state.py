"""STATE is released only after every record before it is committed, in order."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from tap_calendly.loader.settings import LoaderConfig
from tap_calendly.loader.target import Loader
from tests.support.loader import as_line, record, run_target, schema_msg, state

PROPS = {"id": {"type": "integer"}, "v": {"type": "string"}}


class Spy(io.StringIO):
    """stdout that, at each STATE, counts the rows a reader would see at that moment."""

    def __init__(self) -> None:
        super().__init__()
        self.loader: Loader | None = None
        self.seen: list[tuple[Any, int]] = []

    def write(self, text: str) -> int:
        assert self.loader is not None
        cursor = self.loader.con.cursor()  # a separate connection: sees committed data only
        count = cursor.execute("SELECT count(*) FROM calendly.s").fetchone()
        cursor.close()
        assert count is not None
        self.seen.append((json.loads(text), int(count[0])))
        return super().write(text)


def _messages() -> list[dict[str, Any]]:
    msgs: list[dict[str, Any]] = [schema_msg("s", PROPS, ["id"])]
    for i in range(1, 11):
        msgs.append(record("s", {"id": i, "v": "x"}))
        if i % 2 == 0 or i == 5:
            msgs.append(state({"upto": i}))
    return msgs


@pytest.mark.parametrize("batch_rows", [1, 2, 3, 1000])
def test_each_state_is_emitted_only_after_its_records_are_queryable(
    tmp_path: Path, batch_rows: int
) -> None:
    spy = Spy()
    config = LoaderConfig(database=str(tmp_path / "db.duckdb"), batch_size_rows=batch_rows)
    with Loader(config, spy) as loader:
        spy.loader = loader
        loader.run(as_line(m).encode() + b"\n" for m in _messages())
    assert spy.seen, "no state emitted"
    for value, visible in spy.seen:
        assert visible >= value["upto"], (value, visible)
    emitted = [v["upto"] for v, _ in spy.seen]
    assert emitted == sorted(emitted)
    assert emitted[-1] == 10
    if batch_rows == 1:
        assert emitted == [2, 4, 5, 6, 8, 10]  # nothing pending at any STATE: each is released


def test_state_without_pending_records_is_emitted_at_once(tmp_path: Path) -> None:
    result = run_target(
        tmp_path, [schema_msg("s", PROPS, ["id"]), state({"a": 1}), state({"a": 2})]
    )
    assert result.states == [{"a": 1}, {"a": 2}]


def test_final_state_is_the_last_received_even_with_one_big_batch(tmp_path: Path) -> None:
    result = run_target(tmp_path, _messages())
    assert result.states == [{"upto": 10}]


def test_state_value_is_echoed_exactly(tmp_path: Path) -> None:
    value = {
        "bookmarks": {
            "users": {"updated_at": "2024-01-01T00:00:00.000001-03:00", "ids": [1, None]}
        },
        "é": 1.5,
    }
    result = run_target(
        tmp_path, [schema_msg("s", PROPS, ["id"]), record("s", {"id": 1, "v": "x"}), state(value)]
    )
    assert result.states == [value]


def test_batch_wait_limit_commits_quiet_streams(tmp_path: Path) -> None:
    """With a zero-ish age limit, each message arrival commits what is pending first."""
    result = run_target(tmp_path, _messages(), batch_wait_limit_seconds=1e-9)
    assert [s["upto"] for s in result.states] == [2, 4, 5, 6, 8, 10]


def test_duckdb_never_writes_a_progress_bar_to_stdout(tmp_path: Path) -> None:
    """stdout is the STATE channel; DuckDB prints a progress bar there for queries over 2 s."""
    with Loader(LoaderConfig(database=str(tmp_path / "p.duckdb")), io.StringIO()) as loader:
        row = loader.con.execute("SELECT current_setting('enable_progress_bar')").fetchone()
    assert row == (False,)
