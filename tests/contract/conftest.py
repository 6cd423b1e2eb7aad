"""Contract-test fixtures: the spec (read from ../shared, never copied) and a small sandbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings

SPEC_PATH = Path(__file__).resolve().parents[2] / ".." / "shared" / "calendly-api" / "openapi.yaml"
CONTRACT_NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="session")
def spec() -> dict[str, Any]:
    if not SPEC_PATH.exists():
        pytest.skip(f"spec not found at {SPEC_PATH}")
    loaded: dict[str, Any] = yaml.safe_load(SPEC_PATH.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture(scope="module")
def small_sandbox() -> Iterator[Sandbox]:
    settings = SandboxSettings(
        seed=7, scale="small", now=CONTRACT_NOW, rate_limit_per_minute=1_000_000, webhooks=False
    )
    with Sandbox(settings) as sandbox:
        yield sandbox
