"""Nothing lost downstream: a property present in RECORDs but absent from the SCHEMA is loaded.

Calendly may add a field tomorrow; the tap's schema lags behind. The loader gives such a
property its own column (typed from the values seen) on both the fast path (singer-sdk's
message layout) and the general path (any other layout).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.support.loader import column_types, rows, run_target, schema_msg, state

PROPS = {"id": {"type": "integer"}, "name": {"type": ["string", "null"]}}


def fast(stream: str, rec: dict[str, Any]) -> str:
    """singer-sdk's layout: the loader routes it without decoding."""
    return json.dumps({"type": "RECORD", "stream": stream, "record": rec}, separators=(",", ":"))


def general(stream: str, rec: dict[str, Any]) -> str:
    """Another layout (keys in another order): decoded and routed one line at a time."""
    return json.dumps({"record": rec, "stream": stream, "type": "RECORD"})


PATHS = {"fast": fast, "general": general}

NEW_VALUES: dict[str, Any] = {
    "meeting_notes": "bring slides",  # scalar string
    "seats": 3,  # scalar integer
    "score": 0.75,  # scalar number
    "is_vip": True,  # scalar boolean
    "location": {"kind": "zoom", "join_url": "https://zoom.example/j/1", "extra": [1, 2]},
    "tags": ["a", {"b": None}],  # array
}
EXPECTED_TYPES = {
    "meeting_notes": "VARCHAR",
    "seats": "BIGINT",
    "score": "DOUBLE",
    "is_vip": "BOOLEAN",
    "location": "JSON",
    "tags": "JSON",
}


def _value(row: dict[str, Any], column: str) -> Any:
    value = row[column]
    return json.loads(value) if EXPECTED_TYPES.get(column) == "JSON" else value


@pytest.mark.parametrize("path", sorted(PATHS))
def test_unknown_scalar_and_nested_fields_reach_duckdb(
    tmp_path: Path, path: str, caplog: pytest.LogCaptureFixture
) -> None:
    line = PATHS[path]
    messages = [
        schema_msg("s", PROPS, ["id"]),
        line("s", {"id": 1, "name": "a", **NEW_VALUES}),
        line("s", {"id": 2, "name": "b"}),  # the new fields are absent here: NULL
        state({"n": 2}),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    assert result.states == [{"n": 2}]
    types = column_types(result.database, "s")
    for column, kind in EXPECTED_TYPES.items():
        assert types[column] == kind, (column, types)
    first, second = rows(result.database, "s", "id")
    for column, value in NEW_VALUES.items():
        assert _value(first, column) == value, column
        assert second[column] is None
    assert "property 'location' is not in the stream's schema" in caplog.text


@pytest.mark.parametrize("path", sorted(PATHS))
def test_field_appearing_in_a_later_batch_adds_a_column(tmp_path: Path, path: str) -> None:
    line = PATHS[path]
    messages = [
        schema_msg("s", PROPS, ["id"]),
        line("s", {"id": 1, "name": "a"}),
        state({"n": 1}),  # batch of 1 row commits before the new field arrives
        line("s", {"id": 2, "name": "b", "added_later": {"x": 1}}),
        line("s", {"id": 1, "name": "a2", "added_later": {"x": 2}}),  # upsert of an old row
    ]
    result = run_target(tmp_path, messages, batch_size_rows=1)
    assert result.code == 0, result.stderr
    got = {r["id"]: (r["name"], r["added_later"]) for r in rows(result.database, "s")}
    assert {k: (n, json.loads(v)) for k, (n, v) in got.items()} == {
        1: ("a2", {"x": 2}),
        2: ("b", {"x": 1}),
    }


@pytest.mark.parametrize("path", sorted(PATHS))
def test_unknown_field_widens_when_a_later_batch_brings_another_type(
    tmp_path: Path, path: str
) -> None:
    line = PATHS[path]
    messages = [
        schema_msg("s", PROPS, ["id"]),
        line("s", {"id": 1, "n": 5}),
        line("s", {"id": 2, "n": 2.5}),
        line("s", {"id": 3, "n": "many"}),
    ]
    result = run_target(tmp_path, messages, batch_size_rows=1)
    assert result.code == 0, result.stderr
    assert column_types(result.database, "s")["n"] == "VARCHAR"
    # BIGINT -> DOUBLE -> VARCHAR: each step keeps every value (5 became 5.0 on the way)
    assert {r["id"]: r["n"] for r in rows(result.database, "s")} == {1: "5.0", 2: "2.5", 3: "many"}


def test_mixed_types_in_one_batch_are_kept_as_json(tmp_path: Path) -> None:
    messages = [
        schema_msg("s", PROPS, ["id"]),
        fast("s", {"id": 1, "v": 1}),
        fast("s", {"id": 2, "v": "x"}),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    assert column_types(result.database, "s")["v"] == "JSON"
    assert {r["id"]: json.loads(r["v"]) for r in rows(result.database, "s")} == {1: 1, 2: "x"}


@pytest.mark.parametrize("path", sorted(PATHS))
def test_names_that_collide_or_need_quoting(tmp_path: Path, path: str) -> None:
    line = PATHS[path]
    odd = {
        "NAME": "upper-case twin of a declared property",
        'quote"d': 1,
        "back\\slash": 2,
        "ünïcödé": 3,
        "it's": 4,
        "#ord": 5,  # looks like an internal name
        "_sdc_sequence": 6,  # a metadata column name
    }
    result = run_target(
        tmp_path, [schema_msg("s", PROPS, ["id"]), line("s", {"id": 1, "name": "a", **odd})]
    )
    assert result.code == 0, result.stderr
    (row,) = rows(result.database, "s")
    assert row["name"] == "a"
    assert row["name__2"] == odd["NAME"]
    assert row["quote_d"] == 1
    assert row["back_slash"] == 2
    assert row["_n_c_d_"] == 3
    assert row["it_s"] == 4
    assert row["_ord"] == 5
    assert row["_sdc_sequence__2"] == 6


def test_undeclared_sdc_deleted_at_is_kept_as_a_timestamp(tmp_path: Path) -> None:
    deleted = "2024-05-01T10:00:00+02:00"
    messages = [
        schema_msg("s", PROPS, ["id"]),
        fast("s", {"id": 1, "name": "a"}),
        fast("s", {"id": 2, "name": "b", "_sdc_deleted_at": deleted}),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    assert column_types(result.database, "s")["_sdc_deleted_at"] == "TIMESTAMP WITH TIME ZONE"
    got = {r["id"]: r["_sdc_deleted_at"] for r in rows(result.database, "s")}
    assert got[1] is None
    assert got[2].isoformat() == "2024-05-01T08:00:00+00:00"


def test_a_later_schema_declaring_the_field_reuses_its_column(tmp_path: Path) -> None:
    messages = [
        schema_msg("s", PROPS, ["id"]),
        fast("s", {"id": 1, "name": "a", "phone": "+1 555"}),
        schema_msg("s", {**PROPS, "phone": {"type": ["string", "null"]}}, ["id"]),
        fast("s", {"id": 2, "name": "b", "phone": "+44 20"}),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    assert list(column_types(result.database, "s")) == ["id", "name", "phone"]
    assert {r["id"]: r["phone"] for r in rows(result.database, "s")} == {1: "+1 555", 2: "+44 20"}


def test_streams_without_keys_keep_unknown_fields_too(tmp_path: Path) -> None:
    messages = [
        schema_msg("log", PROPS),
        general("log", {"id": 1, "extra": [1]}),
        fast("log", {"id": 1}),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    assert sorted(json.dumps(r["extra"]) for r in rows(result.database, "log")) == ['"[1]"', "null"]


def test_known_shapes_are_not_looked_at_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    messages: list[Any] = [schema_msg("s", PROPS, ["id"])]
    messages += [fast("s", {"id": i, "name": "x", "new": i}) for i in range(10)]
    result = run_target(tmp_path, messages, batch_size_rows=3)
    assert result.code == 0, result.stderr
    found = [r for r in caplog.records if "is not in the stream's schema" in r.getMessage()]
    assert len(found) == 1  # one column added, in the first batch; later batches match its shape
    assert [r["new"] for r in rows(result.database, "s", "id")] == list(range(10))


def test_unknown_field_next_to_a_very_large_record(tmp_path: Path) -> None:
    """Lines above 8 MiB take the typed key pass; unknown fields are then found in Python."""
    big = "x" * (9 * 1024 * 1024)
    messages = [
        schema_msg("s", PROPS, ["id"]),
        fast("s", {"id": 1, "name": big}),
        fast("s", {"id": 2, "name": "b", "new": {"k": True}}),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    got = {r["id"]: (len(r["name"]), r["new"]) for r in rows(result.database, "s")}
    assert got[1] == (len(big), None)
    assert got[2][0] == 1
    assert json.loads(got[2][1]) == {"k": True}
