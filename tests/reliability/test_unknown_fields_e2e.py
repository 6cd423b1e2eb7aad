"""Nothing lost downstream: a field Calendly adds tomorrow reaches DuckDB.

The sandbox serves every scheduled event and invitee with two fields no schema names
(``extra_fields``: a nested object and an integer). Synced by the tap and loaded by the
loader, they must arrive in DuckDB with their values, as the comparison with ground truth
checks field by field (a field without a column counts as lost).
"""

from __future__ import annotations

from pathlib import Path

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tests.reliability.e2e import compare_with_truth, short_sync


def test_fields_missing_from_the_schema_reach_duckdb(tmp_path: Path) -> None:
    settings = SandboxSettings(
        seed=4, scale="small", rate_limit_per_minute=10**6, webhooks=False, extra_fields=True
    )
    with Sandbox(settings) as sandbox:
        since, outcome, truth = short_sync(sandbox, tmp_path / "extra.duckdb", tmp_path)
    assert outcome.loader_code == 0, outcome.loader_stderr[-2000:]
    assert any("x_future_field" in event for event in truth["scheduled_events"])
    comparison = compare_with_truth(tmp_path / "extra.duckdb", truth, since=since, window=since)
    assert comparison.lost_fields == {}, comparison.examples
    assert comparison.mismatches == 0, comparison.examples
