"""Bad input ends with one line naming the input line and stream; committed batches stay."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.loader import record, rows, run_target, schema_msg, state, tables

PROPS = {
    "id": {"type": "integer"},
    "n": {"type": ["integer", "null"]},
    "at": {"type": ["string", "null"], "format": "date-time"},
    "ok": {"type": ["boolean", "null"]},
}


def _good(i: int) -> dict:
    return record("s", {"id": i, "n": i, "at": "2024-01-01T00:00:00Z", "ok": True})


# (bad line as it appears in the input, expected text in the error, stream named?)
CASES = {
    "malformed_record_json": (
        '{"type": "RECORD", "stream": "s", "record": {"id": 9, "n": ',
        "malformed JSON",
        True,
    ),
    "malformed_other_json": ('{"type": "STATE", "value": {', "malformed JSON", False),
    "not_an_object": ("[1, 2, 3]", "must be a JSON object", False),
    "string_in_integer": (json.dumps(record("s", {"id": 9, "n": "nine"})), "'n'", True),
    "fraction_in_integer": (
        json.dumps(record("s", {"id": 9, "n": 2.5})),
        "property 'n' must be an integer",
        True,
    ),
    "text_in_boolean": (
        json.dumps(record("s", {"id": 9, "ok": "maybe"})),
        "property 'ok' cannot be BOOLEAN",
        True,
    ),
    "bad_timestamp": (json.dumps(record("s", {"id": 9, "at": "yesterday"})), "'at'", True),
    "record_not_object": (
        '{"type": "RECORD", "stream": "s", "record": 5}',
        "no 'record' object",
        True,
    ),
    "missing_key": (json.dumps(record("s", {"n": 1})), "missing value for key property 'id'", True),
    "unknown_stream": (json.dumps(record("other", {"id": 1})), "before the stream's SCHEMA", True),
    "unknown_type": (
        '{"type": "RECORDZ", "stream": "s"}',
        "unknown Singer message type 'RECORDZ'",
        False,
    ),
    "batch_message": (
        '{"type": "BATCH", "stream": "s", "encoding": {"format": "jsonl"}, "manifest": []}',
        "BATCH messages are not supported",
        True,
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_line_fails_cleanly_and_keeps_committed_batches(tmp_path: Path, case: str) -> None:
    bad, text, names_stream = CASES[case]
    messages = [
        schema_msg("s", PROPS, ["id"]),  # line 1
        _good(1),
        _good(2),
        _good(3),  # 3 rows: first batch commits here
        state({"upto": 3}),  # line 5, released: its records are committed
        _good(4),
        _good(5),
        bad,  # line 8
        _good(6),
        state({"upto": 6}),
    ]
    result = run_target(tmp_path, messages, batch_size_rows=3)
    assert result.code == 1
    error = result.error
    assert "line 8" in error, error
    assert text in error, error
    assert ("stream 's'" in error or "stream 'other'" in error) == names_stream, error
    assert "Traceback" not in result.stderr
    assert result.states == [{"upto": 3}]
    assert [r["id"] for r in rows(result.database, "s", "id")] == [1, 2, 3]


def test_key_property_missing_from_schema(tmp_path: Path) -> None:
    result = run_target(tmp_path, [schema_msg("s", PROPS, ["uuid"])])
    assert result.code == 1
    assert result.error.endswith(
        "input line 1, stream 's': key property 'uuid' is not in the schema's properties"
    )


def test_bad_record_found_at_end_of_input_commits_nothing(tmp_path: Path) -> None:
    messages = [
        schema_msg("s", PROPS, ["id"]),
        _good(1),
        state({"a": 1}),
        record("s", {"id": 2, "n": "x"}),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 1
    assert "line 4" in result.error
    assert result.states == []
    # the table is created in the same transaction as the batch: both are rolled back
    assert tables(result.database) == set()


def test_config_errors_are_one_line(tmp_path: Path) -> None:
    result = run_target(tmp_path, [schema_msg("s", PROPS, ["id"])], batch_size_rows=0)
    assert result.code == 1
    assert "setting 'batch_size_rows' must be a positive integer" in result.error
    result = run_target(tmp_path, [schema_msg("s", PROPS, ["id"])], "b", load_method="merge")
    assert "setting 'load_method' must be one of upsert, append-only, overwrite" in result.error


def test_missing_input_file(tmp_path: Path) -> None:
    result = run_target(tmp_path, tmp_path / "nope.singer")
    assert result.code == 1
    assert "cannot read input file" in result.error


def test_out_of_memory_is_one_line_with_a_hint(tmp_path: Path) -> None:
    props = {"id": {"type": "integer"}, "s": {"type": "string"}}
    messages = [schema_msg("s", props, ["id"])]
    messages += [record("s", {"id": i, "s": "x" * 2_000_000}) for i in range(20)]
    result = run_target(tmp_path, messages, memory_limit="4MB")
    assert result.code == 1
    assert "Out of Memory" in result.error
    assert result.error.endswith("lower batch_size_bytes or raise memory_limit")
    assert "does not match its schema" not in result.error
