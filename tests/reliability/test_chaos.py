"""Chaos, end to end: about 10% of responses faulted (429 bursts with reset headers,
500/502/503, connection resets, stalls past the timeout, truncated bodies), seeded; a
full sync and three incremental days; after every sync DuckDB equals the sandbox's
ground truth (inside the re-read window for incremental days): no missing rows, no
duplicate keys, no stale values, no rows the sandbox never had.

Bounded here (small org, 30 days of history, two seeds); ``bench/chaos.py`` runs the
same harness with more seeds.
"""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tests.reliability.e2e import chaos_run, compare_with_truth, short_sync


@pytest.mark.parametrize("seed", [3, 8])
def test_chaos_sync_and_three_incremental_days_equal_ground_truth(seed: int, tmp_path: Path):
    rounds = chaos_run(seed, tmp_path)
    assert [r.name for r in rounds] == ["full", "day 1", "day 2", "day 3"]
    for done in rounds:
        assert done.loader_code == 0, done.name
        comparison = done.comparison
        assert comparison.rows_compared > 0
        assert comparison.mismatches == 0, (done.name, comparison.examples)
    injected: dict[str, int] = {}
    for done in rounds:
        for kind, count in done.injected.items():
            injected[kind] = injected.get(kind, 0) + count
    requests = sum(r.requests for r in rounds)
    # Every kind of fault happened, at roughly the rate asked for.
    assert set(injected) >= {"429", "500", "502", "503", "reset", "stall", "truncate"}, injected
    assert 0.04 * requests < sum(injected.values()) < 0.25 * requests
    # The tap met 429s and waited them out (a 429 can also land on a request the tap had
    # already abandoned after its 0.3 s timeout, so the counts need not be equal).
    assert sum(r.throttled for r in rounds) > 0


def test_the_comparison_catches_missing_duplicate_stale_and_unknown_rows(tmp_path: Path):
    """The judge of the chaos runs can fail: tamper with a synced database, one way each."""
    settings = SandboxSettings(seed=4, scale="small", rate_limit_per_minute=10**6, webhooks=False)
    database = tmp_path / "judge.duckdb"
    with Sandbox(settings) as sandbox:
        since, outcome, truth = short_sync(sandbox, database, tmp_path)
    assert outcome.loader_code == 0
    clean = compare_with_truth(database, truth, since=since, window=since)
    assert clean.mismatches == 0
    tampering = {
        "missing": "DELETE FROM calendly.event_invitees WHERE uri = (SELECT min(uri) FROM "
        "calendly.event_invitees)",
        "duplicates": "INSERT INTO calendly.groups SELECT * FROM calendly.groups LIMIT 1",
        "stale": "UPDATE calendly.scheduled_events SET status = 'stale' WHERE uri = (SELECT "
        "min(uri) FROM calendly.scheduled_events)",
        "unknown": "INSERT INTO calendly.event_types (uri) VALUES ('http://x/event_types/NEW')",
        "lost_fields": "ALTER TABLE calendly.groups DROP COLUMN name",
    }
    for kind, statement in tampering.items():
        copy = tmp_path / f"{kind}.duckdb"
        copy.write_bytes(database.read_bytes())
        with duckdb.connect(str(copy)) as con:
            con.execute(statement)
        found = compare_with_truth(copy, truth, since=since, window=since)
        assert found.mismatches >= 1, kind
        assert sum(getattr(found, kind).values()) >= 1, (kind, found)
