"""Hostile and mistaken Singer input: one clear line and exit 1, or correct behaviour.

Never a traceback, and never the loss of what was committed before the bad line. RECORD
messages are sent in singer-sdk's layout (the fast path: routed without decoding) and in
another key order (the general path: decoded line by line); both must end the same way,
with the same error line.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.loader import column_types, rows, run_target, schema_msg, state, tables

PROPS = {"id": {"type": "integer"}, "v": {"type": ["string", "null"]}}
SCRIPT = Path(sys.executable).parent / "target-calendly-duckdb"


def fast(message: dict[str, Any]) -> str:
    """singer-sdk's layout: '{"type":"RECORD","stream":"s",...' in that order, compact."""
    head = {"type": "RECORD", "stream": message.get("stream", "s")}
    return json.dumps({**head, **message}, separators=(",", ":"))


def general(message: dict[str, Any]) -> str:
    """The same message with its keys in reverse order: not recognisable without decoding."""
    full = {"type": "RECORD", "stream": message.get("stream", "s"), **message}
    return json.dumps(dict(reversed(list(full.items()))))


# RECORD body -> the error it must produce (None: it must load)
RECORD_CASES: dict[str, tuple[dict[str, Any], str | None]] = {
    "no_record": ({}, "RECORD message has no 'record' object"),
    "record_null": ({"record": None}, "RECORD message has no 'record' object"),
    "record_number": ({"record": 5}, "RECORD message has no 'record' object"),
    "record_string": ({"record": "x"}, "RECORD message has no 'record' object"),
    "record_array": ({"record": [{"id": 9}]}, "RECORD message has no 'record' object"),
    "record_empty": ({"record": {}}, "missing value for key property 'id'"),
    "key_null": ({"record": {"id": None}}, "missing value for key property 'id'"),
    "key_text": ({"record": {"id": "nine"}}, "property 'id' must be an integer"),
    "key_fraction": ({"record": {"id": 9.5}}, "property 'id' must be an integer"),
    "key_object": ({"record": {"id": {"n": 9}}}, "property 'id' must be an integer"),
    "value_fraction_text": ({"record": {"id": "9.5"}}, "property 'id' must be an integer"),
    "version_text": ({"record": {"id": 9}, "version": "v1"}, "'version' must be an integer"),
    "version_fraction": ({"record": {"id": 9}, "version": 1.5}, "'version' must be an integer"),
    "version_object": ({"record": {"id": 9}, "version": {}}, "'version' must be an integer"),
    "extracted_text": (
        {"record": {"id": 9}, "time_extracted": "yesterday"},
        "'time_extracted' must be a date-time",
    ),
    "extracted_number": (
        {"record": {"id": 9}, "time_extracted": 17},
        "'time_extracted' must be a date-time",
    ),
    "object_in_string_column": ({"record": {"id": 9, "v": {"a": [1]}}}, None),
    "integer_as_text": ({"record": {"id": "9"}}, None),
    "extra_envelope_keys": ({"record": {"id": 9}, "bookmark": 1, "type2": "x"}, None),
}


def _run_with_bad_line(tmp_path: Path, name: str, bad: str) -> Any:
    """SCHEMA, a committed record and its STATE, then the line under test, then more."""
    messages = [
        schema_msg("s", PROPS, ["id"]),  # line 1
        fast({"record": {"id": 1, "v": "kept"}}),  # line 2: its own batch, committed
        state({"n": 1}),  # line 3: released once line 2 is committed
        bad,  # line 4
        fast({"record": {"id": 2, "v": "after"}}),  # line 5
        state({"n": 2}),
    ]
    return run_target(tmp_path, messages, name, batch_size_rows=1, add_record_metadata=True)


@pytest.mark.parametrize("case", sorted(RECORD_CASES))
def test_record_fields_fail_alike_on_both_paths(tmp_path: Path, case: str) -> None:
    body, expected = RECORD_CASES[case]
    results = {
        layout: _run_with_bad_line(tmp_path / layout, layout, make(body))
        for layout, make in (("fast", fast), ("general", general))
        if not (tmp_path / layout).mkdir()
    }
    for layout, result in results.items():
        assert "Traceback" not in result.stderr, (layout, result.stderr)
        if expected is None:
            assert result.code == 0, (layout, result.stderr)
            assert result.states == [{"n": 1}, {"n": 2}]
            assert {r["id"] for r in rows(result.database, "s")} == {1, 2, 9}
            continue
        assert result.code == 1, (layout, result.stderr)
        assert result.error.startswith(
            "target-calendly-duckdb: error: input line 4, stream 's': "
        ), (layout, result.error)
        assert expected in result.error, (layout, result.error)
        # what was committed before the bad line stays, and so does its STATE
        assert result.states == [{"n": 1}], layout
        assert [r["v"] for r in rows(result.database, "s")] == ["kept"], layout
    if expected is not None:
        assert results["fast"].error == results["general"].error


# Lines that only the general path sees -> the error they must produce
OTHER_CASES: dict[str, tuple[str, str]] = {
    "record_without_stream": ('{"type": "RECORD", "record": {"id": 9}}', "no 'stream' name"),
    "record_stream_number": ('{"type": "RECORD", "stream": 5, "record": {}}', "no 'stream' name"),
    "record_stream_empty": ('{"type": "RECORD", "stream": "", "record": {}}', "no 'stream' name"),
    "record_unknown_stream": (
        '{"type": "RECORD", "stream": "zz", "record": {"id": 9}}',
        "RECORD received before the stream's SCHEMA message",
    ),
    "schema_without_stream": (
        '{"type": "SCHEMA", "schema": {"properties": {"id": {}}}}',
        "SCHEMA message has no 'stream' name",
    ),
    "schema_stream_list": (
        '{"type": "SCHEMA", "stream": ["s"], "schema": {"properties": {"id": {}}}}',
        "SCHEMA message has no 'stream' name",
    ),
    "schema_without_schema": ('{"type": "SCHEMA", "stream": "t"}', "no top-level 'properties'"),
    "schema_not_object": ('{"type": "SCHEMA", "stream": "t", "schema": 5}', "no top-level"),
    "schema_properties_list": (
        '{"type": "SCHEMA", "stream": "t", "schema": {"properties": ["id"]}}',
        "no top-level 'properties'",
    ),
    "schema_properties_empty": (
        '{"type": "SCHEMA", "stream": "t", "schema": {"properties": {}}}',
        "no top-level 'properties'",
    ),
    "key_properties_string": (
        '{"type": "SCHEMA", "stream": "t", "schema": {"properties": {"id": {}}}, '
        '"key_properties": "id"}',
        "key_properties must be a list of property names",
    ),
    "key_properties_numbers": (
        '{"type": "SCHEMA", "stream": "t", "schema": {"properties": {"id": {}}}, '
        '"key_properties": [1]}',
        "key_properties must be a list of property names",
    ),
    "key_properties_zero": (
        '{"type": "SCHEMA", "stream": "t", "schema": {"properties": {"id": {}}}, '
        '"key_properties": 0}',
        "key_properties must be a list of property names",
    ),
    "key_property_unknown": (
        '{"type": "SCHEMA", "stream": "t", "schema": {"properties": {"id": {}}}, '
        '"key_properties": ["uuid"]}',
        "key property 'uuid' is not in the schema's properties",
    ),
    "state_without_value": ('{"type": "STATE"}', "STATE message has no 'value'"),
    "activate_without_stream": ('{"type": "ACTIVATE_VERSION", "version": 1}', "no 'stream' name"),
    "activate_unknown_stream": (
        '{"type": "ACTIVATE_VERSION", "stream": "zz", "version": 1}',
        "ACTIVATE_VERSION received before the stream's SCHEMA message",
    ),
    "activate_without_version": (
        '{"type": "ACTIVATE_VERSION", "stream": "s"}',
        "ACTIVATE_VERSION needs an integer 'version'",
    ),
    "activate_version_text": (
        '{"type": "ACTIVATE_VERSION", "stream": "s", "version": "2"}',
        "ACTIVATE_VERSION needs an integer 'version'",
    ),
    "activate_version_bool": (
        '{"type": "ACTIVATE_VERSION", "stream": "s", "version": true}',
        "ACTIVATE_VERSION needs an integer 'version'",
    ),
    "batch": ('{"type": "BATCH", "stream": "s"}', "BATCH messages are not supported"),
    "no_type": ('{"stream": "s", "record": {"id": 9}}', "Singer message has no 'type'"),
    "type_number": ('{"type": 7}', "unknown Singer message type 7"),
    "type_lower_case": ('{"type": "record", "stream": "s"}', "unknown Singer message type"),
    "top_level_array": ("[1, 2]", "a Singer message must be a JSON object"),
    "top_level_string": ('"RECORD"', "a Singer message must be a JSON object"),
    "malformed": ('{"type": "STATE", "value": {', "malformed JSON"),
    "truncated_record": ('{"type":"RECORD","stream":"s","record":{"id":9', "malformed JSON"),
}


@pytest.mark.parametrize("case", sorted(OTHER_CASES))
def test_other_bad_lines_are_one_clear_error(tmp_path: Path, case: str) -> None:
    bad, expected = OTHER_CASES[case]
    result = _run_with_bad_line(tmp_path, "run", bad)
    assert result.code == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert result.error.startswith("target-calendly-duckdb: error: input line 4"), result.error
    assert expected in result.error, result.error
    assert result.states == [{"n": 1}]
    assert [r["v"] for r in rows(result.database, "s")] == ["kept"]


def test_invalid_utf8_fails_alike_on_both_paths(tmp_path: Path) -> None:
    errors = []
    for layout, head in (("fast", b'{"type":"RECORD","stream":"s"'), ("general", b'{"stream":"s"')):
        source = tmp_path / f"{layout}.singer"
        source.write_bytes(
            json.dumps(schema_msg("s", PROPS, ["id"])).encode()
            + b"\n"
            + head
            + (b',"type":"RECORD"' if layout == "general" else b"")
            + b',"record":{"id":1,"v":"\xff\xfe"}}\n'
        )
        result = run_target(tmp_path, source, layout)
        assert result.code == 1, result.stderr
        assert "Traceback" not in result.stderr
        assert "input line 2" in result.error
        errors.append(result.error.split(": ", 3)[-1])
    assert errors[0] == errors[1], errors


def test_streams_colliding_after_sanitising(tmp_path: Path) -> None:
    messages = [
        schema_msg("Event-Types", PROPS, ["id"]),
        schema_msg("event_types", PROPS, ["id"]),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 1
    assert result.error.endswith(
        "input line 2, stream 'event_types': streams 'Event-Types' and 'event_types' both map "
        "to table 'event_types'"
    )


ODD_STREAMS = ['it\'s "quoted"', "back\\slash", "ünïcödé ✓", "#keys", "temp", "main", "calendly"]


@pytest.mark.parametrize("layout", ["fast", "general"])
def test_odd_stream_names_load(tmp_path: Path, layout: str) -> None:
    make = fast if layout == "fast" else general
    messages: list[Any] = []
    for number, stream in enumerate(ODD_STREAMS):
        messages.append(schema_msg(stream, PROPS, ["id"]))
        messages.append(make({"stream": stream, "record": {"id": number, "v": stream}}))
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    assert tables(result.database) == {
        "it_s__quoted_",
        "back_slash",
        "_n_c_d___",
        "_keys",
        "temp",
        "main",
        "calendly",
    }
    assert rows(result.database, "it_s__quoted_") == [{"id": 0, "v": ODD_STREAMS[0]}]
    assert rows(result.database, "_n_c_d___") == [{"id": 2, "v": ODD_STREAMS[2]}]


def test_property_names_colliding_with_each_other_and_with_suffixes(tmp_path: Path) -> None:
    props = {"id": {"type": "integer"}, "a": {"type": "string"}, "A": {"type": "string"}}
    props["a__2"] = {"type": "string"}  # the name a suffix would have taken
    props["a-2"] = {"type": "string"}
    result = run_target(
        tmp_path,
        [
            schema_msg("s", props, ["id"]),
            fast({"record": {"id": 1, "a": "x", "A": "y", "a__2": "z", "a-2": "w"}}),
        ],
    )
    assert result.code == 0, result.stderr
    (row,) = rows(result.database, "s")
    # sorted keys: "A" < "a" < "a-2" < "a__2"; natural names are reserved before suffixes
    assert row == {"id": 1, "a": "y", "a__3": "x", "a_2": "w", "a__2": "z"}


@pytest.mark.parametrize("key", ["id", "k", "v", "json", "record", "version", "ordinality"])
def test_property_names_the_loader_uses_in_its_sql(tmp_path: Path, key: str) -> None:
    names = ["id", "k", "v", "json", "record", "version", "ordinality", "time_extracted"]
    names += ["type", "stream", "#ord", "#shape"]
    props = {n: {"type": ["string", "null"]} for n in names}
    props["id"] = {"type": "integer"}
    rec = {n: f"value of {n}" for n in names}
    rec["id"] = 1
    messages = [
        schema_msg("s", props, [key]),
        fast({"record": rec}),
        general({"record": {**rec, "id": 2}}),
        fast({"record": {**rec, "id": 1, "type": "updated"}}),
    ]
    result = run_target(tmp_path, messages)
    assert result.code == 0, result.stderr
    got = rows(result.database, "s", "id")
    if key == "id":
        assert [(r["id"], r["type"]) for r in got] == [(1, "updated"), (2, "value of type")]
    else:  # every record has the same value for this key: the last one wins
        assert [(r["id"], r["type"]) for r in got] == [(1, "updated")]
    for name in ("k", "v", "json", "record", "version", "ordinality", "time_extracted", "stream"):
        assert got[0][name] == f"value of {name}"
    assert got[0]["_ord"] == "value of #ord"
    assert column_types(result.database, "s")["_shape"] == "VARCHAR"


@pytest.mark.parametrize("layout", ["fast", "general"])
def test_thousands_of_streams_under_a_1024_descriptor_limit(tmp_path: Path, layout: str) -> None:
    """Every stream has its own spool file; only a few may be open at once."""
    make = fast if layout == "fast" else general
    count = 3000
    source = tmp_path / "many.singer"
    with source.open("w", encoding="utf-8") as out:
        for number in range(count):
            stream = f"stream_{number}"
            out.write(json.dumps(schema_msg(stream, PROPS, ["id"])) + "\n")
            out.write(make({"stream": stream, "record": {"id": number, "v": "x"}}) + "\n")
        for number in range(0, count, 7):  # a second round, interleaved across streams
            out.write(
                make({"stream": f"stream_{number}", "record": {"id": number, "v": "y"}}) + "\n"
            )
        out.write(json.dumps(state({"done": True})) + "\n")
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"database": str(tmp_path / "many.duckdb")}))

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))

    proc = subprocess.run(
        [str(SCRIPT), "--config", str(config), "--input", str(source)],
        capture_output=True,
        text=True,
        preexec_fn=limit,
        timeout=900,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.splitlines() == ['{"done": true}']
    database = tmp_path / "many.duckdb"
    assert len(tables(database)) == count
    assert rows(database, "stream_7") == [{"id": 7, "v": "y"}]
    assert rows(database, "stream_8") == [{"id": 8, "v": "x"}]
    assert rows(database, f"stream_{count - 1}") == [{"id": count - 1, "v": "x"}]


@pytest.mark.parametrize("kind", ["missing", "a_file"])
def test_bad_temp_dir_is_one_clear_line(tmp_path: Path, kind: str) -> None:
    temp_dir = tmp_path / "nope" if kind == "missing" else tmp_path / "file.txt"
    if kind == "a_file":
        temp_dir.write_text("not a directory")
    messages = [schema_msg("s", PROPS, ["id"]), fast({"record": {"id": 1}})]
    result = run_target(tmp_path, messages, temp_dir=str(temp_dir))
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert f"cannot create spool files in temp_dir {temp_dir}" in result.error
    assert result.error.endswith("set temp_dir to an existing writable directory")


def test_unwritable_temp_dir_is_one_clear_line(tmp_path: Path) -> None:
    """Root writes through directory permissions, but not into sysfs."""
    temp_dir = Path("/sys") if os.geteuid() == 0 else tmp_path / "locked"
    if temp_dir != Path("/sys"):
        temp_dir.mkdir(mode=0o500)
    result = run_target(tmp_path, [schema_msg("s", PROPS, ["id"])], temp_dir=str(temp_dir))
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert f"cannot create spool files in temp_dir {temp_dir}: " in result.error
    assert result.error.endswith("; set temp_dir to an existing writable directory")


def test_full_disk_while_spooling_is_one_clear_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A spool write failing (ENOSPC) ends the run cleanly; committed batches stay."""
    import errno

    from tap_calendly.loader import spool

    real_fdopen = os.fdopen
    calls = {"n": 0}

    class FullDisk:
        def __init__(self, handle: Any) -> None:
            self.handle = handle

        def write(self, data: Any) -> int:
            calls["n"] += 1
            if calls["n"] > 1:  # the first record's batch commits; the disk is full after it
                raise OSError(errno.ENOSPC, "No space left on device")
            return int(self.handle.write(data))

        def __getattr__(self, name: str) -> Any:
            return getattr(self.handle, name)

    monkeypatch.setattr(spool.os, "fdopen", lambda *a, **k: FullDisk(real_fdopen(*a, **k)))
    result = _run_with_bad_line(tmp_path, "full", fast({"record": {"id": 3}}))
    assert result.code == 1
    assert "Traceback" not in result.stderr
    assert "cannot write spool files in " in result.error
    assert ": No space left on device; free space there or set temp_dir" in result.error
    assert result.states == [{"n": 1}]
    assert [r["v"] for r in rows(result.database, "s")] == ["kept"]


def test_carriage_returns_in_lines_load_like_any_whitespace(tmp_path: Path) -> None:
    """CRLF line ends, and a bare CR between JSON tokens, are whitespace to JSON."""
    lines = [json.dumps(schema_msg("s", PROPS, ["id"]))]
    lines += [fast({"record": {"id": i, "v": f"crlf {i}"}}) for i in range(500)]
    lines.append('{"type":"RECORD","stream":"s","record":{"id":500,\r"v":"bare cr"}}')
    lines += [fast({"record": {"id": i, "v": "plain"}}) for i in range(501, 510)]
    source = tmp_path / "crlf.singer"
    source.write_bytes(
        "\r\n".join(lines[:501]).encode() + b"\r\n" + "\n".join(lines[501:]).encode()
    )
    result = run_target(tmp_path, source)
    assert result.code == 0, result.stderr
    got = {r["id"]: r["v"] for r in rows(result.database, "s")}
    assert len(got) == 510
    assert got[0] == "crlf 0"
    assert got[499] == "crlf 499"
    assert got[500] == "bare cr"
    assert got[509] == "plain"
