"""Fixtures: a receiver on a loopback port with a settable clock, and a journal dir."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.webhooks.helpers import Clock, Running, start_receiver


@pytest.fixture
def journal_dir(tmp_path: Path) -> Path:
    return tmp_path / "journal"


@pytest.fixture
def receiver(journal_dir: Path) -> Iterator[Running]:
    clock = Clock()
    server = start_receiver(journal_dir, clock, max_body=8192)
    try:
        yield Running(server, journal_dir, clock)
    finally:
        server.stop()
