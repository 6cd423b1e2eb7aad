"""Column types and value fidelity: offsets, nested JSON, unicode, long strings, names."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

from tests.support.loader import column_types, record, rows, run_target, schema_msg

TS = {"type": ["string", "null"], "format": "date-time"}


def test_offsets_keep_the_instant(tmp_path: Path) -> None:
    stamps = {
        1: "2020-01-02T03:04:05.678123Z",
        2: "2020-01-02T03:04:05-03:00",
        3: "2020-01-02T03:04:05.5+05:30",
        4: "2020-01-02T03:04:05+00:00",
    }
    messages = [schema_msg("s", {"id": {"type": "integer"}, "at": TS}, ["id"])]
    messages += [record("s", {"id": i, "at": v}) for i, v in stamps.items()]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    assert column_types(result.database, "s")["at"] == "TIMESTAMP WITH TIME ZONE"
    got = {r["id"]: r["at"] for r in rows(result.database, "s")}
    for key, text in stamps.items():
        assert got[key] == datetime.fromisoformat(text)  # aware datetimes compare as instants
    assert got[2] == datetime(2020, 1, 2, 6, 4, 5, tzinfo=UTC)
    assert got[3] == datetime(2020, 1, 1, 21, 34, 5, 500000, tzinfo=UTC)
    assert got[3].astimezone(timezone(timedelta(hours=5, minutes=30))).hour == 3


def test_scalar_types_map_to_duckdb_types(tmp_path: Path) -> None:
    props = {
        "id": {"type": "integer"},
        "n": {"type": ["number", "null"]},
        "b": {"type": ["boolean", "null"]},
        "s": {"type": ["string", "null"]},
        "d": {"type": "string", "format": "date"},
        "o": {"type": "object", "properties": {"x": {"type": "integer"}}},
        "a": {"type": "array", "items": {"type": "string"}},
        "mixed": {"type": ["string", "integer"]},
        "anything": {},
    }
    result = run_target(tmp_path, [schema_msg("t", props, ["id"]), record("t", {"id": 1})])
    assert column_types(result.database, "t") == {
        "id": "BIGINT",
        "n": "DOUBLE",
        "b": "BOOLEAN",
        "s": "VARCHAR",
        "d": "DATE",
        "o": "JSON",
        "a": "JSON",
        "mixed": "JSON",
        "anything": "JSON",
    }


def test_nested_values_round_trip_as_json(tmp_path: Path) -> None:
    nested = {
        "questions_and_answers": [
            {"question": "Größe?", "answer": 'große "Firma"\n', "position": 0},
            {"question": "empty", "answer": "", "position": 1, "extra": None},
        ],
        "tracking": {
            "utm_source": None,
            "deep": {"list": [1, 2.5, True, None, "x"], "big": 2**63 + 7},
        },
        "emoji": ["🎉", "\u0000nul"],
    }
    props = {
        "id": {"type": "integer"},
        **{k: {"type": ["object", "array", "null"]} for k in nested},
    }
    result = run_target(
        tmp_path, [schema_msg("j", props, ["id"]), record("j", {"id": 1, **nested})]
    )
    (row,) = rows(result.database, "j")
    for key, value in nested.items():
        assert json.loads(row[key]) == value


def test_unicode_and_very_long_strings(tmp_path: Path) -> None:
    long_text = (
        "ü✓漢" * 2_000_000
    )  # 6M characters, 18 MB of UTF-8: above DuckDB's default object size
    props = {"id": {"type": "integer"}, "s": {"type": "string"}}
    result = run_target(
        tmp_path,
        [
            schema_msg("u", props, ["id"]),
            record("u", {"id": 1, "s": long_text}),
            record("u", {"id": 2, "s": "ok"}),
        ],
    )
    assert result.code == 0, result.stderr
    got = {r["id"]: r["s"] for r in rows(result.database, "u")}
    assert got[1] == long_text
    assert got[2] == "ok"


def test_integers_keep_full_range_and_accept_integral_numbers(tmp_path: Path) -> None:
    props = {"id": {"type": "integer"}, "v": {"type": ["integer", "null"]}}
    values = {1: 2**63 - 1, 2: -(2**63), 3: 1e3, 4: 2.0, 5: None}
    messages = [schema_msg("i", props, ["id"])] + [
        record("i", {"id": k, "v": v}) for k, v in values.items()
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    got = {r["id"]: r["v"] for r in rows(result.database, "i")}
    assert got == {1: 2**63 - 1, 2: -(2**63), 3: 1000, 4: 2, 5: None}


def test_names_colliding_after_lowercasing_keep_both_values(tmp_path: Path) -> None:
    props = {
        "id": {"type": "integer"},
        "camelCase": {"type": "string"},
        "camelcase": {"type": "string"},
    }
    result = run_target(
        tmp_path,
        [
            schema_msg("c", props, ["id"]),
            record("c", {"id": 1, "camelCase": "A", "camelcase": "b"}),
        ],
    )
    assert result.code == 0, result.stderr
    (row,) = rows(result.database, "c")
    # sorted original keys: "camelCase" < "camelcase", so the second one gets the suffix
    assert row == {"id": 1, "camelcase": "A", "camelcase__2": "b"}


def test_properties_outside_the_schema_get_columns_and_missing_ones_are_null(
    tmp_path: Path,
) -> None:
    """Unknown properties are loaded, not dropped (tests/loader/test_unknown_fields.py)."""
    props = {"id": {"type": "integer"}, "a": {"type": "string"}, "b": {"type": "string"}}
    result = run_target(
        tmp_path,
        [schema_msg("x", props, ["id"]), record("x", {"id": 1, "a": "A", "zzz": {"nested": 1}})],
    )
    (row,) = rows(result.database, "x")
    assert {k: row[k] for k in ("id", "a", "b")} == {"id": 1, "a": "A", "b": None}
    assert json.loads(row["zzz"]) == {"nested": 1}


def test_messages_with_any_key_order_or_spacing_load(tmp_path: Path) -> None:
    """The fast path only knows singer-sdk's layouts; every other layout must load too."""
    props = {"id": {"type": "integer"}, "v": {"type": "string"}}
    messages = [
        schema_msg("st", props, ["id"]),
        '{"type":"RECORD","stream":"st","record":{"id":1,"v":"compact"}}',
        '{"stream": "st", "record": {"id": 2, "v": "stream first"}, "type": "RECORD"}',
        '  {"type" : "RECORD" , "stream" : "st" , "record" : {"id": 3, "v": "spaced"}}',
        '{"type": "RECORD", "stream": "st", "record": {"id": 4, "v": "sdk"}, "version": 1}',
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    assert [r["v"] for r in rows(result.database, "st", "id")] == [
        "compact",
        "stream first",
        "spaced",
        "sdk",
    ]


def test_record_metadata_columns(tmp_path: Path) -> None:
    props = {"id": {"type": "integer"}}
    messages = [
        schema_msg("m", props, ["id"]),
        record("m", {"id": 1}, time_extracted="2024-05-06T07:08:09.123456-03:00", version=5),
        record("m", {"id": 2}),
    ]
    result = run_target(tmp_path, messages, add_record_metadata=True)
    assert result.code == 0, result.stderr
    types = column_types(result.database, "m")
    assert list(types) == [
        "id",
        "_sdc_extracted_at",
        "_sdc_received_at",
        "_sdc_batched_at",
        "_sdc_deleted_at",
        "_sdc_sequence",
        "_sdc_table_version",
    ]
    first, second = rows(result.database, "m", "id")
    assert first["_sdc_extracted_at"] == datetime(2024, 5, 6, 10, 8, 9, 123456, tzinfo=UTC)
    assert first["_sdc_table_version"] == 5
    assert second["_sdc_extracted_at"] is None
    assert first["_sdc_received_at"] is not None
    assert first["_sdc_deleted_at"] is None
    assert second["_sdc_sequence"] > first["_sdc_sequence"]


def test_crlf_blank_lines_and_no_final_newline(tmp_path: Path) -> None:
    props = {"id": {"type": "integer"}, "v": {"type": "string"}}
    lines = [
        json.dumps(schema_msg("cr", props, ["id"])),
        json.dumps(record("cr", {"id": 1, "v": "é"})),
        "",
        json.dumps(record("cr", {"id": 2, "v": "b"})),
    ]
    source = tmp_path / "crlf.singer"
    source.write_bytes("\r\n".join(lines).encode())  # no newline after the last record
    result = run_target(tmp_path, source)
    assert result.code == 0, result.stderr
    assert [r["v"] for r in rows(result.database, "cr", "id")] == ["é", "b"]
