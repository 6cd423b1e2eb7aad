"""Settings: one definition, every problem in one line, never a value."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tap_calendly.api.errors import ConfigError
from tap_calendly.api.settings import SETTINGS, Settings, env_overlay
from tap_calendly.settings_schema import settings_jsonschema

PAT = "pat-SECRET-123"


def problems(config: dict) -> str:
    with pytest.raises(ConfigError) as info:
        Settings.parse(config)
    text = str(info.value)
    assert "\n" not in text
    return text


def test_defaults_and_types():
    s = Settings.parse({"personal_access_token": PAT, "request_timeout": "2.5"})
    assert s.request_timeout == 2.5
    assert s.max_concurrency == 8
    assert s.base_url == "https://api.calendly.com"
    assert s.secrets() == [PAT]
    assert PAT not in repr(s)


@pytest.mark.parametrize(
    ("setting", "value", "expected"),
    [
        ("max_concurrency", 0, "max_concurrency must be at least 1"),
        ("max_concurrency", -3, "max_concurrency must be at least 1"),
        ("max_concurrency", 10**9, "max_concurrency must be at most 64"),
        ("max_concurrency", 2.5, "max_concurrency must be a whole number"),
        ("max_concurrency", True, "max_concurrency must be a number, not a boolean"),
        ("request_timeout", 0, "request_timeout must be at least 0.1"),
        ("request_timeout", "nan", "request_timeout must be a finite number"),
        ("lookback_days", -1, "lookback_days must be at least 0"),
        ("max_retries", 99, "max_retries must be at most 20"),
        ("requests_per_minute", 0, "requests_per_minute must be at least 1"),
        ("availability_horizon_days", "soon", "availability_horizon_days must be an integer"),
        ("start_date", "2024-02-30T00:00:00Z", "start_date must be an ISO 8601 date-time"),
        ("start_date", "yesterday", "start_date must be an ISO 8601 date-time"),
        ("api_url", "ftp://api.calendly.com", "api_url must be an http(s) URL with a host"),
        ("api_url", "https://", "api_url must be an http(s) URL with a host"),
        ("oauth_token_url", "file:///etc/passwd", "oauth_token_url must be an http(s) URL"),
        ("scope", "everyone", "scope must be one of organization, user"),
        ("user_agent", "x\r\nX-Evil: 1", "user_agent contains control characters"),
        ("emit_activate_version_messages", "maybe", "must be true or false"),
        ("organization", ["a"], "organization must be a string, not an array"),
    ],
)
def test_each_bad_value_is_named_without_its_value(setting, value, expected):
    text = problems({"personal_access_token": PAT, setting: value})
    assert expected in text
    assert PAT not in text
    if isinstance(value, str) and len(value) > 3:
        assert value not in text


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (" pat-with-space", "leading or trailing whitespace"),
        ("pat-with-newline\n", "leading or trailing whitespace"),
        ("pat\nsplit", "control characters"),
        (12345, "must be a string, not a number"),
        ({"token": "x"}, "must be a string, not an object"),
    ],
)
def test_secrets_are_checked_and_never_echoed(value, expected):
    text = problems({"personal_access_token": value})
    assert "personal_access_token " in text
    assert expected in text
    assert "no credentials" not in text
    assert "pat-with" not in text
    assert "12345" not in text


def test_every_problem_in_one_line():
    text = problems({"max_retries": -1, "scope": "x"})
    assert "max_retries must be at least 0" in text
    assert "scope must be one of" in text
    assert "no credentials" in text


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "no credentials"),
        (
            {"personal_access_token": PAT, "client_id": "c"},
            "exactly one auth method",
        ),
        ({"client_id": "c", "client_secret": "s"}, "missing refresh_token"),
        ({"client_id": "c", "client_secret": "s", "refresh_token": "r"}, "needs token_file"),
    ],
)
def test_auth_methods(config, expected):
    assert expected in problems(config)


def test_auth_may_be_absent_for_discovery():
    assert Settings.parse({}, require_auth=False).personal_access_token is None


def test_hub_aliases_and_conflicts():
    s = Settings.parse({"api_key": PAT, "organization_url": "https://api.calendly.com/o/1"})
    assert s.personal_access_token == PAT
    assert s.organization == "https://api.calendly.com/o/1"
    same = Settings.parse({"auth_token": PAT, "personal_access_token": PAT})
    assert same.personal_access_token == PAT
    text = problems({"auth_token": PAT, "personal_access_token": "other"})
    assert "auth_token and personal_access_token are both set, to different values" in text
    assert PAT not in text
    assert "other" not in text


def test_datetimes_are_utc():
    s = Settings.parse({"personal_access_token": PAT, "start_date": "2026-01-01T02:00:00+02:00"})
    assert s.start_date == datetime(2026, 1, 1, tzinfo=UTC)


def test_environment_overlays_the_file(tmp_path: Path):
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"personal_access_token": PAT, "max_retries": 1}))
    base = Settings.from_file(path)
    assert base.max_retries == 1
    env = {"TAP_CALENDLY_MAX_RETRIES": "7", "TAP_CALENDLY_AUTH_TOKEN": PAT, "OTHER": "x"}
    merged = Settings.from_env(env, {"max_retries": 1})
    assert merged.max_retries == 7
    assert merged.personal_access_token == PAT
    assert env_overlay({}, {"a": 1}) == {"a": 1}


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (b'{"personal_access_token": "pat-SECRET-123"', "is not valid JSON"),
        (b'["pat-SECRET-123"]', "must hold a JSON object"),
    ],
)
def test_config_file_problems(tmp_path: Path, content, expected):
    path = tmp_path / "config.json"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        Settings.from_file(path)
    assert expected in str(info.value)
    assert PAT not in str(info.value)


def test_tap_schema_comes_from_the_one_definition():
    schema = settings_jsonschema()["properties"]
    assert list(schema) == [s.name for s in SETTINGS]
    for setting in SETTINGS:
        assert bool(schema[setting.name].get("secret")) == setting.secret
        if setting.default is not None:
            assert schema[setting.name]["default"] == setting.default
        for alias in setting.aliases:
            assert alias in schema[setting.name]["description"]


def test_the_settings_table_in_the_docs_names_every_setting():
    doc = (Path(__file__).resolve().parents[2] / "docs" / "tap.md").read_text(encoding="utf-8")
    table = doc.split("## Settings", 1)[1].split("\n## ", 1)[0]
    for setting in SETTINGS:
        assert f"`{setting.name}`" in table, f"docs/tap.md does not describe {setting.name}"
        for alias in setting.aliases:
            assert f"`{alias}`" in table, f"docs/tap.md does not name the alias {alias}"
