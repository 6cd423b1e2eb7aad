"""Setting names users bring from Meltano Hub's target-duckdb: aliases, conflicts, warnings."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest

from tap_calendly.loader.about import about_dict, about_markdown, about_text
from tap_calendly.loader.cli import run
from tap_calendly.loader.settings import HUB_ONLY
from tests.support.loader import record, rows, schema_msg, tables, write_input

PROPS = {"id": {"type": "integer"}, "v": {"type": ["string", "null"]}}
MESSAGES = [schema_msg("s", PROPS, ["id"]), record("s", {"id": 1, "v": "a"})]


def _run(tmp_path: Path, *layers: dict[str, Any]) -> tuple[int, list[str]]:
    """Run the CLI with one --config file per layer; return the exit code and stderr lines."""
    args: list[str] = []
    for index, layer in enumerate(layers):
        path = tmp_path / f"config{index}.json"
        path.write_text(json.dumps(layer))
        args += ["--config", str(path)]
    source = write_input(tmp_path / "in.singer", MESSAGES)
    return _cli([*args, "--input", str(source)])


def _cli(args: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = run(args)
    return code, err.getvalue().splitlines()


def _notes(lines: list[str], kind: str) -> list[str]:
    return [ln for ln in lines if ln.startswith(f"target-calendly-duckdb: {kind}: ")]


@pytest.mark.parametrize("alias", ["filepath", "path"])
def test_hub_path_names_choose_the_database_file(tmp_path: Path, alias: str) -> None:
    database = tmp_path / f"{alias}.duckdb"
    code, err = _run(tmp_path, {alias: str(database)})
    assert code == 0, err
    assert rows(database, "s") == [{"id": 1, "v": "a"}]
    assert not _notes(err, "warning")


def test_default_target_schema_chooses_the_schema(tmp_path: Path) -> None:
    database = tmp_path / "x.duckdb"
    code, err = _run(tmp_path, {"filepath": str(database), "default_target_schema": "raw"})
    assert code == 0, err
    assert tables(database, schema="raw") == {"s"}


def test_add_metadata_columns_means_add_record_metadata(tmp_path: Path) -> None:
    database = tmp_path / "x.duckdb"
    code, err = _run(tmp_path, {"database": str(database), "add_metadata_columns": True})
    assert code == 0, err
    (row,) = rows(database, "s")
    # Hub's target-duckdb adds these three; this loader adds them among its six.
    for column in ("_sdc_extracted_at", "_sdc_batched_at", "_sdc_deleted_at"):
        assert column in row
    assert row["_sdc_batched_at"] is not None


def test_user_alias_wins_over_the_default_meltano_passes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Meltano sends every declared setting with its default next to the user's alias."""
    monkeypatch.chdir(tmp_path)
    database = tmp_path / "mine.duckdb"
    code, err = _run(
        tmp_path,
        {
            "database": "calendly.duckdb",
            "filepath": str(database),
            "schema": "calendly",
            "default_target_schema": "raw",
        },
    )
    assert code == 0, err
    assert tables(database, schema="raw") == {"s"}
    assert not (tmp_path / "calendly.duckdb").exists()


def test_same_value_under_two_names_is_fine(tmp_path: Path) -> None:
    database = tmp_path / "x.duckdb"
    code, err = _run(tmp_path, {"database": str(database), "path": str(database)})
    assert code == 0, err
    assert rows(database, "s") == [{"id": 1, "v": "a"}]


@pytest.mark.parametrize(
    ("first", "second"),
    [("database", "filepath"), ("filepath", "path"), ("schema", "default_target_schema")],
)
def test_two_user_names_with_different_values_is_one_error(
    tmp_path: Path, first: str, second: str
) -> None:
    values = {
        first: str(tmp_path / "a.duckdb") if first != "schema" else "one",
        second: str(tmp_path / "b.duckdb") if second != "default_target_schema" else "two",
    }
    if first == "schema":
        values["database"] = str(tmp_path / "x.duckdb")
    code, err = _run(tmp_path, values)
    assert code == 1
    (error,) = _notes(err, "error")
    assert f"settings {first!r} and {second!r} are both set, to different values" in error
    assert "set only one of them" in error
    assert len(err) == 1, err
    assert not (tmp_path / "a.duckdb").exists()
    assert not (tmp_path / "b.duckdb").exists()


def test_database_conflict_explains_hubs_meaning(tmp_path: Path) -> None:
    code, err = _run(tmp_path, {"filepath": str(tmp_path / "a.duckdb"), "database": "analytics"})
    assert code == 1
    (error,) = _notes(err, "error")
    assert "in Hub's target-duckdb 'database' names a catalog" in error


def test_later_config_file_wins_across_names(tmp_path: Path) -> None:
    first, second = tmp_path / "first.duckdb", tmp_path / "second.duckdb"
    code, err = _run(tmp_path, {"database": str(first)}, {"filepath": str(second)})
    assert code == 0, err
    assert rows(second, "s") == [{"id": 1, "v": "a"}]
    assert not first.exists()


def test_alias_from_the_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    database = tmp_path / "env.duckdb"
    monkeypatch.setenv("TARGET_CALENDLY_DUCKDB_FILEPATH", str(database))
    monkeypatch.setenv("TARGET_CALENDLY_DUCKDB_ADD_METADATA_COLUMNS", "true")
    monkeypatch.setenv("TARGET_CALENDLY_DUCKDB_VALIDATE_RECORDS", "true")
    source = write_input(tmp_path / "in.singer", MESSAGES)
    code, err = _cli(["--config", "ENV", "--input", str(source)])
    assert code == 0, err
    assert "_sdc_sequence" in rows(database, "s")[0]
    (warning,) = _notes(err, "warning")
    assert "'validate_records'" in warning


def test_bad_value_under_an_alias_names_the_alias(tmp_path: Path) -> None:
    code, err = _run(tmp_path, {"filepath": str(tmp_path / "x.duckdb"), "add_metadata_columns": 3})
    assert code == 1
    (error,) = _notes(err, "error")
    assert "setting 'add_metadata_columns' must be a boolean" in error


# Hub setting -> a value this loader does not honour
UNHONOURED = {
    "dbname": "analytics",
    "token": "md-secret-token-value-0123456789",
    "delimiter": ";",
    "quotechar": "'",
    "schema_mapping": {"public": {"target_schema": "raw"}},
    "data_flattening_max_level": 2,
    "validate_records": True,
}


def test_every_unsupported_hub_setting_is_covered() -> None:
    names = {h.name for h in HUB_ONLY}
    assert set(UNHONOURED) == names - {"flush_all_streams"}


@pytest.mark.parametrize("name", sorted(UNHONOURED))
def test_unsupported_hub_setting_is_one_warning_line(tmp_path: Path, name: str) -> None:
    database = tmp_path / "x.duckdb"
    code, err = _run(tmp_path, {"filepath": str(database), name: UNHONOURED[name]})
    assert code == 0, err
    (warning,) = _notes(err, "warning")
    assert f"setting {name!r} of Hub's target-duckdb is not supported and is ignored" in warning
    assert "md-secret-token-value" not in "\n".join(err)  # values are never echoed
    assert rows(database, "s") == [{"id": 1, "v": "a"}]


def test_hub_config_with_hubs_defaults_runs_with_only_honest_warnings(tmp_path: Path) -> None:
    """The settings Meltano passes for Hub's target-duckdb (its declared defaults) load as-is."""
    database = tmp_path / "warehouse.duckdb"
    hub_defaults = {
        "filepath": str(database),
        "default_target_schema": "tap_calendly",
        "add_metadata_columns": False,
        "batch_size_rows": 100000,
        "data_flattening_max_level": 0,
        "delimiter": ",",
        "quotechar": '"',
        "flush_all_streams": False,
        "hard_delete": False,
        "primary_key_required": True,
        "validate_records": False,
    }
    code, err = _run(tmp_path, hub_defaults)
    assert code == 0, err
    assert rows(database, "s", schema="tap_calendly") == [{"id": 1, "v": "a"}]
    assert not _notes(err, "warning")  # every value Hub passes by default is honoured


def test_primary_key_required_refuses_a_keyless_stream_and_keeps_what_was_committed(
    tmp_path: Path,
) -> None:
    database = tmp_path / "x.duckdb"
    config = tmp_path / "config.json"
    settings = {"filepath": str(database), "primary_key_required": True, "batch_size_rows": 1}
    config.write_text(json.dumps(settings))
    source = write_input(
        tmp_path / "in.singer",
        [
            *MESSAGES,
            {"type": "STATE", "value": {"done": "s"}},
            schema_msg("logs", PROPS, []),
            record("logs", {"id": 1, "v": "x"}),
        ],
    )
    code, err = _cli(["--config", str(config), "--input", str(source)])
    assert code == 1
    (error,) = _notes(err, "error")
    assert "no key_properties and primary_key_required is true" in error
    assert "stream 'logs'" in error
    assert not any("Traceback" in line for line in err)
    assert rows(database, "s") == [{"id": 1, "v": "a"}]  # committed before the bad SCHEMA
    assert tables(database) == {"s"}


def test_without_primary_key_required_a_keyless_stream_is_appended(tmp_path: Path) -> None:
    database = tmp_path / "x.duckdb"
    config = tmp_path / "config.json"
    config.write_text(json.dumps({"filepath": str(database), "primary_key_required": False}))
    keyless = [schema_msg("logs", PROPS, []), record("logs", {"id": 1, "v": "x"})]
    source = write_input(tmp_path / "in.singer", [*keyless, *keyless[1:]])
    code, err = _cli(["--config", str(config), "--input", str(source)])
    assert code == 0, err
    assert rows(database, "logs") == [{"id": 1, "v": "x"}, {"id": 1, "v": "x"}]


def test_unknown_setting_is_a_warning(tmp_path: Path) -> None:
    code, err = _run(tmp_path, {"database": str(tmp_path / "x.duckdb"), "batch_size_row": 5})
    assert code == 0, err
    assert _notes(err, "warning") == [
        "target-calendly-duckdb: warning: unknown setting 'batch_size_row' is ignored"
    ]


def test_about_shows_aliases_and_hub_settings() -> None:
    about = about_dict()
    props = about["settings"]["properties"]
    assert props["database"]["aliases"] == ["filepath", "path"]
    assert props["schema"]["aliases"] == ["default_target_schema"]
    assert props["add_record_metadata"]["aliases"] == ["add_metadata_columns"]
    hub = about["hub_target_duckdb_settings_not_supported"]
    assert list(hub) == [h.name for h in HUB_ONLY]
    assert not set(hub) & set(props)
    text, markdown = about_text(), about_markdown()
    for h in HUB_ONLY:
        assert f"  - {h.name}" in text
        assert f"| `{h.name}` |" in markdown
    assert "(alias: add_metadata_columns)" in text
