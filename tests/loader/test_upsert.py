"""Upsert on key_properties, appends without keys, deletes and ACTIVATE_VERSION."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support.loader import record, rows, run_target, schema_msg, state

PROPS = {"id": {"type": "integer"}, "v": {"type": ["string", "null"]}}
DELETABLE = {**PROPS, "_sdc_deleted_at": {"type": ["string", "null"], "format": "date-time"}}


def _load(
    tmp_path: Path, name: str, records: list[dict], keys: list[str] | None = None, **config
) -> list[dict]:
    result = run_target(
        tmp_path,
        [schema_msg("s", PROPS, ["id"] if keys is None else keys), *records],
        name,
        **config,
    )
    assert result.code == 0, result.stderr
    return rows(result.database, "s", "id, v")


def test_duplicate_keys_in_one_batch_keep_the_last(tmp_path: Path) -> None:
    recs = [record("s", {"id": i % 3, "v": f"v{i}"}) for i in range(10)]
    assert _load(tmp_path, "a", recs) == [
        {"id": 0, "v": "v9"},
        {"id": 1, "v": "v7"},
        {"id": 2, "v": "v8"},
    ]


def test_duplicates_across_batches_keep_the_last(tmp_path: Path) -> None:
    recs = [record("s", {"id": i % 3, "v": f"v{i}"}) for i in range(10)]
    assert _load(tmp_path, "a", recs, batch_size_rows=4) == [
        {"id": 0, "v": "v9"},
        {"id": 1, "v": "v7"},
        {"id": 2, "v": "v8"},
    ]


def test_reloading_the_same_records_is_idempotent_across_runs(tmp_path: Path) -> None:
    recs = [record("s", {"id": i, "v": f"v{i}"}) for i in range(50)]
    first = _load(tmp_path, "a", recs, batch_size_rows=7)
    second = _load(tmp_path, "b", recs, batch_size_rows=13)
    assert first == second
    assert len(second) == 50


def test_newer_values_replace_older_ones_across_runs(tmp_path: Path) -> None:
    _load(tmp_path, "a", [record("s", {"id": 1, "v": "old"}), record("s", {"id": 2, "v": "keep"})])
    got = _load(
        tmp_path, "b", [record("s", {"id": 1, "v": "new"}), record("s", {"id": 3, "v": None})]
    )
    assert got == [{"id": 1, "v": "new"}, {"id": 2, "v": "keep"}, {"id": 3, "v": None}]


def test_composite_keys(tmp_path: Path) -> None:
    props = {"a": {"type": "string"}, "b": {"type": "integer"}, "v": {"type": "string"}}
    msgs = [schema_msg("c", props, ["a", "b"])] + [
        record("c", {"a": a, "b": b, "v": f"{a}{b}{n}"})
        for n in range(2)
        for a in "xy"
        for b in (1, 2)
    ]
    result = run_target(tmp_path, msgs)
    assert [r["v"] for r in rows(result.database, "c", "a, b")] == ["x11", "x21", "y11", "y21"]


def test_records_without_keys_are_appended(tmp_path: Path) -> None:
    recs = [record("s", {"id": 1, "v": "same"})] * 3
    assert len(_load(tmp_path, "a", recs, keys=[])) == 3
    assert len(_load(tmp_path, "b", recs, keys=[])) == 6


def test_append_only_and_overwrite_load_methods(tmp_path: Path) -> None:
    recs = [record("s", {"id": 1, "v": "a"}), record("s", {"id": 1, "v": "b"})]
    assert len(_load(tmp_path, "a", recs, load_method="append-only")) == 2
    got = _load(
        tmp_path,
        "b",
        [record("s", {"id": 9, "v": "z"})],
        load_method="overwrite",
        batch_size_rows=1,
    )
    assert got == [{"id": 9, "v": "z"}]


def test_soft_delete_keeps_rows_with_deleted_at(tmp_path: Path) -> None:
    msgs = [
        schema_msg("d", DELETABLE, ["id"]),
        record("d", {"id": 1, "v": "a"}),
        record("d", {"id": 2, "v": "b"}),
        record("d", {"id": 1, "v": "a", "_sdc_deleted_at": "2024-01-01T00:00:00-03:00"}),
    ]
    result = run_target(tmp_path, msgs)
    got = rows(result.database, "d", "id")
    assert [r["id"] for r in got] == [1, 2]
    assert got[0]["_sdc_deleted_at"].isoformat() == "2024-01-01T03:00:00+00:00"
    assert got[1]["_sdc_deleted_at"] is None


def test_hard_delete_removes_rows(tmp_path: Path) -> None:
    first = [
        schema_msg("d", DELETABLE, ["id"]),
        record("d", {"id": 1, "v": "a"}),
        record("d", {"id": 2, "v": "b"}),
    ]
    run_target(tmp_path, first, "a")
    later = [
        schema_msg("d", DELETABLE, ["id"]),
        record("d", {"id": 1, "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),
        record("d", {"id": 3, "v": "c"}),
        record("d", {"id": 4, "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),  # never stored
    ]
    result = run_target(tmp_path, later, "b", hard_delete=True)
    assert result.code == 0, result.stderr
    assert [r["id"] for r in rows(result.database, "d", "id")] == [2, 3]


def _versions(tmp_path: Path, **config) -> list[dict]:
    msgs = [
        schema_msg("f", PROPS, ["id"]),
        {"type": "ACTIVATE_VERSION", "stream": "f", "version": 1},
        *[record("f", {"id": i, "v": "v1"}, version=1) for i in (1, 2, 3)],
        {"type": "ACTIVATE_VERSION", "stream": "f", "version": 1},
        state({"run": 1}),
        {"type": "ACTIVATE_VERSION", "stream": "f", "version": 2},
        *[record("f", {"id": i, "v": "v2"}, version=2) for i in (2, 3)],
        {"type": "ACTIVATE_VERSION", "stream": "f", "version": 2},
        state({"run": 2}),
    ]
    result = run_target(tmp_path, msgs, **config)
    assert result.code == 0, result.stderr
    assert result.states == [{"run": 1}, {"run": 2}]
    return rows(result.database, "f", "id")


def test_activate_version_soft_deletes_rows_of_older_versions(tmp_path: Path) -> None:
    got = _versions(tmp_path)
    assert [(r["id"], r["v"], r["_sdc_table_version"]) for r in got] == [
        (1, "v1", 1),
        (2, "v2", 2),
        (3, "v2", 2),
    ]
    assert got[0]["_sdc_deleted_at"] is not None
    assert got[1]["_sdc_deleted_at"] is None
    assert got[2]["_sdc_deleted_at"] is None


def test_activate_version_with_hard_delete_replaces_the_table(tmp_path: Path) -> None:
    got = _versions(tmp_path, hard_delete=True)
    assert [(r["id"], r["v"]) for r in got] == [(2, "v2"), (3, "v2")]


def test_last_occurrence_decides_between_delete_and_upsert(tmp_path: Path) -> None:
    msgs = [
        schema_msg("d", DELETABLE, ["id"]),
        record("d", {"id": 1, "v": "a"}),
        record("d", {"id": 1, "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),  # then deleted
        record("d", {"id": 2, "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),
        record("d", {"id": 2, "v": "back"}),  # deleted, then back
    ]
    result = run_target(tmp_path, msgs, hard_delete=True)
    assert result.code == 0, result.stderr
    assert rows(result.database, "d", "id") == [{"id": 2, "v": "back", "_sdc_deleted_at": None}]


def test_updates_keep_values_of_columns_dropped_from_the_schema(tmp_path: Path) -> None:
    """Rows are updated in place (MERGE) when the table has columns the batch cannot set."""
    old = {**DELETABLE, "legacy": {"type": "string"}}
    run_target(
        tmp_path,
        [schema_msg("m", old, ["id"])]
        + [record("m", {"id": i, "v": "old", "legacy": f"L{i}"}) for i in (1, 2, 3)],
        "a",
    )
    later = [
        schema_msg("m", DELETABLE, ["id"]),
        record("m", {"id": 1, "v": "first"}),
        record("m", {"id": 1, "v": "second"}),
        record("m", {"id": 2, "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),
        record("m", {"id": 4, "v": "new"}),
    ]
    result = run_target(tmp_path, later, "b", hard_delete=True)
    assert result.code == 0, result.stderr
    got = [(r["id"], r["v"], r["legacy"]) for r in rows(result.database, "m", "id")]
    assert got == [(1, "second", "L1"), (3, "old", "L3"), (4, "new", None)]
    bad = run_target(
        tmp_path,
        [
            schema_msg("m", {"id": {"type": "integer"}, "n": {"type": "integer"}}, ["id"]),
            record("m", {"id": 5, "n": 1.5}),
        ],
        "c",
    )
    assert bad.code == 1
    assert "input line 2, stream 'm'" in bad.error
    assert "property 'n' must be an integer" in bad.error


def test_hard_delete_without_keys_skips_deleted_records(tmp_path: Path) -> None:
    msgs = [
        schema_msg("k", DELETABLE, []),
        record("k", {"id": 1, "v": "a"}),
        record("k", {"id": 1, "_sdc_deleted_at": "2024-01-01T00:00:00Z"}),
    ]
    result = run_target(tmp_path, msgs, hard_delete=True)
    assert [r["v"] for r in rows(result.database, "k")] == ["a"]


def test_catalog_and_schema_with_the_same_name(tmp_path: Path) -> None:
    """The default file calendly.duckdb is a catalog called "calendly", like the schema."""
    database = tmp_path / "calendly.duckdb"
    for name in ("a", "b"):
        result = run_target(
            tmp_path,
            [schema_msg("s", PROPS, ["id"]), record("s", {"id": 1, "v": name})],
            name,
            database=database,
        )
        assert result.code == 0, result.stderr
    assert rows(database, "s") == [{"id": 1, "v": "b"}]


def test_byte_limit_commits_and_overwrite_spans_batches(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    _load(tmp_path, "a", [record("s", {"id": 100, "v": "from an earlier run"})])
    recs = [record("s", {"id": i, "v": "x" * 100}) for i in range(10)]
    with caplog.at_level(logging.INFO, logger="target_calendly_duckdb"):
        got = _load(tmp_path, "b", recs, load_method="overwrite", batch_size_bytes=300)
    commits = [r for r in caplog.records if r.getMessage().startswith("committed")]
    assert len(commits) == 5  # each record line is ~150 bytes: a commit every 2 records
    assert [r["id"] for r in got] == list(range(10))  # the earlier run's row is gone, all 10 kept
