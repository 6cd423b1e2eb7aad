"""A database file another process holds: the load waits up to ``lock_timeout``, then stops
with one line. The wait runs on a fake clock: sleeping only moves it, nothing sleeps."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tap_calendly.loader import lock_wait
from tap_calendly.loader.errors import LoaderError
from tap_calendly.loader.settings import build_config
from tests.support.loader import held_open, record, rows, run_target, schema_msg, state

LOGGER = "target_calendly_duckdb"


def messages(ids: range, done: int) -> list[Any]:
    return [
        schema_msg("s", {"id": {"type": "integer"}}, ["id"]),
        *(record("s", {"id": i}) for i in ids),
        state({"done": done}),
    ]


@dataclass
class FakeTime:
    """The lock wait's clock and sleep; ``release`` runs once the clock passes ``release_at``."""

    now: float = 0.0
    sleeps: list[float] = field(default_factory=list)
    release_at: float = float("inf")
    release: Callable[[], object] | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.release is not None and self.now >= self.release_at:
            self.release()
            self.release = None


@pytest.fixture
def fake_time(monkeypatch: pytest.MonkeyPatch) -> FakeTime:
    fake = FakeTime()
    monkeypatch.setattr(lock_wait, "monotonic", fake.clock)
    monkeypatch.setattr(lock_wait, "pause", fake.sleep)
    return fake


def waiting_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if "for the DuckDB lock" in r.getMessage()]


def test_a_lock_released_after_a_second_is_waited_for_and_every_row_loads(
    tmp_path: Path, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "held.duckdb"
    with held_open(database) as holder:
        fake_time.release_at = 1.0
        fake_time.release = lambda: holder.communicate("")
        with caplog.at_level(logging.INFO, logger=LOGGER):
            result = run_target(
                tmp_path, messages(range(500), 1), database=database, lock_timeout=10
            )
    assert result.code == 0, result.stderr
    assert fake_time.release is None, "the load never waited for the holder"
    assert 1.0 <= fake_time.now < 10
    assert [r["id"] for r in rows(database, "s", "id")] == list(range(500))
    assert result.states == [{"done": 1}]
    assert waiting_lines(caplog) == [
        f"waiting up to 10 s for the DuckDB lock held by PID {holder.pid}"
    ]


def test_a_lock_held_past_lock_timeout_is_one_line_and_earlier_loads_stay(
    tmp_path: Path, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "held.duckdb"
    first = run_target(tmp_path, messages(range(3), 1), name="first", database=database)
    assert first.code == 0, first.stderr
    with held_open(database) as holder, caplog.at_level(logging.INFO, logger=LOGGER):
        result = run_target(
            tmp_path,
            messages(range(3, 6), 2),
            name="second",
            database=database,
            lock_timeout=100,
        )
    assert result.code == 1
    assert (
        f"DuckDB database {database} is locked by another process (held by PID {holder.pid}) "
        "and stayed locked past lock_timeout (100 s);" in result.error
    )
    assert "raise lock_timeout" in result.error
    assert "Traceback" not in result.stderr
    assert result.states == []
    assert sum(fake_time.sleeps) == pytest.approx(100)
    # one line when the wait starts, then one every 30 s: at 30, 60 and 90
    lines = waiting_lines(caplog)
    assert lines[0] == f"waiting up to 100 s for the DuckDB lock held by PID {holder.pid}"
    assert len(lines) == 4
    assert all(
        f"still waiting for the DuckDB lock held by PID {holder.pid}" in n for n in lines[1:]
    )
    assert [r["id"] for r in rows(database, "s", "id")] == [0, 1, 2]


def test_lock_timeout_zero_fails_at_once(
    tmp_path: Path, fake_time: FakeTime, caplog: pytest.LogCaptureFixture
) -> None:
    database = tmp_path / "held.duckdb"
    with held_open(database) as holder, caplog.at_level(logging.INFO, logger=LOGGER):
        result = run_target(tmp_path, messages(range(3), 1), database=database, lock_timeout=0)
    assert result.code == 1
    assert fake_time.sleeps == []
    assert waiting_lines(caplog) == []
    assert (
        f"is locked by another process (held by PID {holder.pid}); lock_timeout is 0, "
        "so the load did not wait" in result.error
    )
    assert "Traceback" not in result.stderr


def test_a_free_database_takes_no_wait(tmp_path: Path, fake_time: FakeTime) -> None:
    result = run_target(tmp_path, messages(range(3), 1), lock_timeout=86_400)
    assert result.code == 0, result.stderr
    assert fake_time.sleeps == []


@pytest.mark.parametrize(
    ("given", "expected"), [(0, 0.0), ("0", 0.0), (2.5, 2.5), ("86400", 86_400.0)]
)
def test_lock_timeout_accepts_zero_to_a_day(given: object, expected: float) -> None:
    config, warnings = build_config({"lock_timeout": given})
    assert (config.lock_timeout, warnings) == (expected, [])


def test_lock_timeout_defaults_to_five_minutes() -> None:
    assert build_config({})[0].lock_timeout == 300


@pytest.mark.parametrize("given", [-1, 86_401, "soon", True, "nan"])
def test_lock_timeout_out_of_range_is_one_error(given: object) -> None:
    with pytest.raises(LoaderError) as caught:
        build_config({"lock_timeout": given})
    assert str(caught.value) == (
        f"setting 'lock_timeout' must be a number from 0 to 86400; got {given!r}"
    )
