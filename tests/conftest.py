"""Fixtures shared by every component's tests (the helpers live in tests/support)."""

from __future__ import annotations

from tests.support.tap_run import (
    fake_time,
    make_sandbox,
    run_tap_fixture,
    select_streams_fixture,
    tap_config_fixture,
)

__all__ = [
    "fake_time",
    "make_sandbox",
    "run_tap_fixture",
    "select_streams_fixture",
    "tap_config_fixture",
]
