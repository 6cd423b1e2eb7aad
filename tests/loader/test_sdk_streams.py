"""singer-sdk's standard target test streams, run against our target.

The SDK's own suite needs an SDK ``Target`` class; ours is not one (see target.py for why),
so each of its ``target_test_streams/*.singer`` files is loaded here and the tables are
compared with a small reference model of Singer semantics (upsert on key_properties,
last record wins, append without keys, later SCHEMAs add columns).
"""

from __future__ import annotations

import json
from datetime import datetime
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest

from tap_calendly.loader.schema_map import safe_name
from tests.support.loader import column_types, rows, run_target, tables

STREAMS = files("singer_sdk.testing") / "target_test_streams"

SUCCEEDS = [
    "array_data",
    "camelcase",
    "camelcase_complex_schema",
    "duplicate_records",
    "encoded_string_data",
    "multiple_state_messages",
    "no_primary_keys",
    "no_primary_keys_append",
    "optional_attributes",
    "pk_updates",
    "record_missing_fields",
    "record_missing_required_property",
    "schema_no_properties",
    "schema_updates",
    "special_chars_in_attributes",
    "user_location_data",
    "user_location_upsert_data",
]
FAILS = {
    "invalid_schema": (1, "test_invalid_schema", "no top-level 'properties'"),
    "record_before_schema": (1, "test_record_before_schema", "before the stream's SCHEMA"),
    "record_missing_key_property": (2, "test_record_missing_key_property", "key property 'id'"),
}


def _messages(name: str) -> list[dict[str, Any]]:
    text = (STREAMS / f"{name}.singer").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def _expected(messages: list[dict[str, Any]]) -> tuple[dict[str, list[dict[str, Any]]], list[Any]]:
    """Reference model: final rows per table (by column name) and the final STATE."""
    keys: dict[str, list[str]] = {}
    props: dict[str, list[str]] = {}
    data: dict[str, dict[Any, dict[str, Any]]] = {}
    final_state: list[Any] = []
    for m in messages:
        if m["type"] == "SCHEMA":
            keys[m["stream"]] = m.get("key_properties") or []
            known = props.setdefault(m["stream"], [])
            known.extend(p for p in m["schema"]["properties"] if p not in known)
            data.setdefault(m["stream"], {})
        elif m["type"] == "RECORD":
            rec = m["record"]
            stream_keys = keys[m["stream"]]
            table = data[m["stream"]]
            key = tuple(rec.get(k) for k in stream_keys) if stream_keys else len(table)
            table[key] = {p: rec.get(p) for p in props[m["stream"]]}
        elif m["type"] == "STATE":
            final_state = [m["value"]]
    expected = {
        safe_name(s): [{safe_name(p): r.get(p) for p in props[s]} for r in t.values()]
        for s, t in data.items()
    }
    return expected, final_state


def _normal(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "JSON":
        return json.loads(value)
    if isinstance(value, datetime):
        return value.timestamp()
    return value


def _expected_normal(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind.startswith("TIMESTAMP"):
        return datetime.fromisoformat(value).timestamp()
    return value


@pytest.mark.parametrize("name", SUCCEEDS)
def test_sdk_stream_loads_like_the_reference_model(tmp_path: Path, name: str) -> None:
    messages = _messages(name)
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    expected, final_state = _expected(messages)
    if final_state:
        assert result.states[-1] == final_state[-1]
    assert tables(result.database) == set(expected)
    for table, want in expected.items():
        types = column_types(result.database, table)
        got = rows(result.database, table)
        # records carrying a "version" also get _sdc_table_version (for ACTIVATE_VERSION)
        got_normal = [
            {c: _normal(r[c], types[c]) for c in r if c != "_sdc_table_version"} for r in got
        ]
        want_normal = [{c: _expected_normal(v, types[c]) for c, v in r.items()} for r in want]
        key = lambda r: json.dumps(r, sort_keys=True, default=str)  # noqa: E731
        assert sorted(got_normal, key=key) == sorted(want_normal, key=key), table


@pytest.mark.parametrize("name", sorted(FAILS))
def test_sdk_stream_rejected_with_one_line(tmp_path: Path, name: str) -> None:
    line, stream, text = FAILS[name]
    result = run_target(tmp_path, _messages(name))
    assert result.code == 1
    assert f"line {line}" in result.error
    assert repr(stream) in result.error
    assert text in result.error
    assert "Traceback" not in result.stderr


def test_multiple_state_messages_all_released_in_order(tmp_path: Path) -> None:
    """Batch size 1: every STATE is released, in input order, after its records commit."""
    messages = _messages("multiple_state_messages")
    result = run_target(tmp_path, messages, batch_size_rows=1)
    assert result.code == 0, result.stderr
    assert result.states == [m["value"] for m in messages if m["type"] == "STATE"]


def test_camelcase_names_are_lowercased(tmp_path: Path) -> None:
    result = run_target(tmp_path, _messages("camelcase"))
    assert list(column_types(result.database, "testcamelcase")) == ["id", "clientname"]
    assert rows(result.database, "testcamelcase", "id")[1] == {
        "id": "2",
        "clientname": "Gitter iOS App",
    }


def test_special_chars_table_name_and_nested_keys(tmp_path: Path) -> None:
    result = run_target(tmp_path, _messages("special_chars_in_attributes"))
    assert tables(result.database) == {"test_specialchars_in_attributes"}
    (row,) = rows(result.database, "test_specialchars_in_attributes")
    assert json.loads(row["d"])["agent:os:version"] == "10.13.1"
    assert row["_sdc_table_version"] == 1541199424491
