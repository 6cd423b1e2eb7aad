"""A new SCHEMA mid-stream or in a later run: columns are added or widened, never dropped."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support.loader import Run, column_types, record, rows, run_target, schema_msg


def test_new_columns_mid_stream_and_old_rows_kept(tmp_path: Path) -> None:
    v1 = {"id": {"type": "integer"}, "a": {"type": "string"}}
    v2 = {**v1, "b": {"type": ["boolean", "null"]}, "c": {"type": "object"}}
    msgs = [
        schema_msg("e", v1, ["id"]),
        record("e", {"id": 1, "a": "x"}),
        schema_msg("e", v2, ["id"]),
        record("e", {"id": 2, "a": "y", "b": True, "c": {"k": [1]}}),
    ]
    result = run_target(tmp_path, msgs)
    assert result.code == 0, result.stderr
    assert column_types(result.database, "e") == {
        "id": "BIGINT",
        "a": "VARCHAR",
        "b": "BOOLEAN",
        "c": "JSON",
    }
    assert rows(result.database, "e", "id") == [
        {"id": 1, "a": "x", "b": None, "c": None},
        {"id": 2, "a": "y", "b": True, "c": '{"k":[1]}'},
    ]


def load_x(tmp_path: Path, run: str, stream: str, x_type: object, key: int, x: object) -> Run:
    """One run loading one record of ``stream`` whose ``x`` is declared ``x_type``."""
    properties = {"id": {"type": "integer"}, "x": x_type}
    return run_target(
        tmp_path, [schema_msg(stream, properties, ["id"]), record(stream, {"id": key, "x": x})], run
    )


def test_widening_integer_to_number_to_string(tmp_path: Path) -> None:
    load_x(tmp_path, "a", "w", {"type": "integer"}, 1, 1)
    load_x(tmp_path, "b", "w", {"type": "number"}, 2, 2)
    assert column_types(tmp_path / "out.duckdb", "w")["x"] == "DOUBLE"
    load_x(tmp_path, "c", "w", {"type": "number"}, 3, 2.5)
    result = load_x(tmp_path, "d", "w", {"type": "string"}, 4, "four")
    assert result.code == 0, result.stderr
    assert column_types(result.database, "w")["x"] == "VARCHAR"
    assert [r["x"] for r in rows(result.database, "w", "id")] == ["1.0", "2.0", "2.5", "four"]


def test_scalar_to_object_widens_to_json(tmp_path: Path) -> None:
    load_x(tmp_path, "a", "o", {"type": "string"}, 1, "plain")
    result = load_x(tmp_path, "b", "o", {"type": "object"}, 2, {"n": 1})
    assert result.code == 0, result.stderr
    assert column_types(result.database, "o")["x"] == "JSON"
    assert [r["x"] for r in rows(result.database, "o", "id")] == ['"plain"', '{"n":1}']


def test_narrowing_keeps_the_wider_column_and_logs(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    load_x(tmp_path, "a", "n", {"type": "string"}, 1, "text")
    with caplog.at_level(logging.WARNING, logger="target_calendly_duckdb"):
        result = load_x(tmp_path, "b", "n", {"type": "integer"}, 2, 7)
    assert result.code == 0, result.stderr
    assert column_types(result.database, "n")["x"] == "VARCHAR"
    assert [r["x"] for r in rows(result.database, "n", "id")] == ["text", "7"]
    assert any("keeping VARCHAR" in r.getMessage() for r in caplog.records)


def test_incompatible_change_uses_a_common_type(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    ts = {"type": "string", "format": "date-time"}
    load_x(tmp_path, "a", "i", ts, 1, "2020-01-01T00:00:00Z")
    with caplog.at_level(logging.WARNING, logger="target_calendly_duckdb"):
        result = load_x(tmp_path, "b", "i", {"type": "boolean"}, 2, True)
    assert result.code == 0, result.stderr
    assert column_types(result.database, "i")["x"] == "VARCHAR"
    assert [r["x"] for r in rows(result.database, "i", "id")] == ["2020-01-01 00:00:00+00", "true"]
    assert any("keeping VARCHAR" in r.getMessage() for r in caplog.records)


def test_dropped_property_keeps_its_column_and_values(tmp_path: Path) -> None:
    v1 = {"id": {"type": "integer"}, "gone": {"type": "string"}}
    msgs = [
        schema_msg("g", v1, ["id"]),
        record("g", {"id": 1, "gone": "kept"}),
        schema_msg("g", {"id": {"type": "integer"}}, ["id"]),
        record("g", {"id": 2}),
        record("g", {"id": 1}),
    ]
    result = run_target(tmp_path, msgs)
    assert rows(result.database, "g", "id") == [{"id": 1, "gone": "kept"}, {"id": 2, "gone": None}]


def test_repeated_identical_schema_does_not_force_a_commit(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """singer-sdk re-sends SCHEMA for every parent of a child stream; that must stay cheap."""
    props = {"id": {"type": "integer"}}
    msgs = []
    for i in range(5):
        msgs += [schema_msg("r", props, ["id"]), record("r", {"id": i})]
    msgs.append({"type": "STATE", "value": {"done": True}})
    with caplog.at_level(logging.INFO, logger="target_calendly_duckdb"):
        result = run_target(tmp_path, msgs)
    assert result.code == 0, result.stderr
    commits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("committed")]
    assert commits == ["committed 5 records (r) in " + commits[0].rsplit(" in ", 1)[1]]
    assert len(rows(result.database, "r")) == 5


def test_existing_table_with_foreign_types_is_left_as_is(tmp_path: Path) -> None:
    """A table made by another tool (INTEGER, DECIMAL, naive TIMESTAMP) is loaded, not altered."""
    import duckdb

    database = tmp_path / "out.duckdb"
    with duckdb.connect(str(database)) as con:
        con.execute("CREATE SCHEMA calendly")
        con.execute('CREATE TABLE calendly.f (id INTEGER, amount DECIMAL(10, 2), "at" TIMESTAMP)')
        con.execute("INSERT INTO calendly.f VALUES (1, 1.25, '2020-01-01 00:00:00')")
    props = {
        "id": {"type": "integer"},
        "amount": {"type": "number"},
        "at": {"type": "string", "format": "date-time"},
    }
    result = run_target(
        tmp_path,
        [
            schema_msg("f", props, ["id"]),
            record("f", {"id": 2, "amount": 3.5, "at": "2021-01-01T00:00:00Z"}),
        ],
    )
    assert result.code == 0, result.stderr
    assert column_types(database, "f") == {
        "id": "INTEGER",
        "amount": "DECIMAL(10,2)",
        "at": "TIMESTAMP",
    }
    assert [str(r["amount"]) for r in rows(database, "f", "id")] == ["1.25", "3.50"]
