"""meltano.yml must describe exactly the settings the plugins declare in ``--about``.

Meltano validates and passes only the settings meltano.yml lists, so a setting added to
the tap or loader but not to meltano.yml would be silently unusable under Meltano (and
a stale one would be a lie). These tests make the two impossible to drift apart, and
keep the PostgreSQL loader's declared settings true to its own ``--about``.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_calendly.demo.meltano_runner import isolated_sys_dir
from tests.support.meltano_settings import HUB_ALIASES, read_about, settings_from_about

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
PLUGINS = {  # meltano.yml plugin name -> console script in this package
    "tap-calendly": "tap-calendly",
    "target-calendly-duckdb": "target-calendly-duckdb",
}
TARGET_POSTGRES = ROOT / ".meltano" / "loaders" / "target-postgres" / "venv" / "bin"
ENV_REFERENCE = re.compile(r"^\$\{?[A-Z][A-Z0-9_]*\}?$")


@pytest.fixture(scope="module")
def project() -> dict[str, Any]:
    data = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def plugin(project: dict[str, Any], name: str) -> dict[str, Any]:
    for plugins in project["plugins"].values():
        for entry in plugins:
            if entry["name"] == name:
                return dict(entry)
    raise AssertionError(f"{name} is not in meltano.yml")


@pytest.fixture(scope="module")
def abouts() -> dict[str, dict[str, Any]]:
    return {name: read_about(BIN / script) for name, script in PLUGINS.items()}


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_settings_match_about(
    project: dict[str, Any], abouts: dict[str, dict[str, Any]], name: str
) -> None:
    declared = {s["name"]: s for s in plugin(project, name)["settings"]}
    expected = {s["name"]: s for s in settings_from_about(abouts[name], HUB_ALIASES[name])}
    fix = (
        f"meltano.yml is out of date; run `.venv/bin/python -m tests.support."
        f"meltano_settings .venv/bin/{PLUGINS[name]} --update {name}`"
    )
    assert list(declared) == list(expected), fix
    for key, want in expected.items():
        got = declared[key]
        for field in ("kind", "value", "options", "aliases"):
            assert got.get(field) == want.get(field), f"{key}.{field}: {fix}"
        assert bool(got.get("sensitive")) == bool(want.get("sensitive")), f"{key}: {fix}"
        assert got.get("description"), f"{name}.{key} has no description"


def test_hub_setting_names_are_aliases(project: dict[str, Any]) -> None:
    """Every Hub name a user may bring is declared, on the setting that means the same."""
    for name, aliases in HUB_ALIASES.items():
        declared = {s["name"]: s.get("aliases", []) for s in plugin(project, name)["settings"]}
        for setting, names in aliases.items():
            assert set(names) <= set(declared[setting]), (name, setting)
    everything = [
        a for p in HUB_ALIASES for s in plugin(project, p)["settings"] for a in s.get("aliases", [])
    ]
    assert len(everything) == len(set(everything))


def test_secrets_are_sensitive(project: dict[str, Any]) -> None:
    tap = {s["name"]: s for s in plugin(project, "tap-calendly")["settings"]}
    for key in ("personal_access_token", "client_secret", "refresh_token"):
        assert tap[key].get("sensitive") is True, key
    assert not tap["client_id"].get("sensitive")
    for name in ("target-postgres", "dbt-postgres"):
        settings = {s["name"]: s for s in plugin(project, name)["settings"]}
        assert settings["password"].get("sensitive") is True, name


def test_oauth_group_includes_the_token_file(project: dict[str, Any]) -> None:
    groups = plugin(project, "tap-calendly")["settings_group_validation"]
    assert ["personal_access_token"] in groups
    assert ["client_id", "client_secret", "refresh_token", "token_file"] in groups


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_capabilities_match_about(
    project: dict[str, Any], abouts: dict[str, dict[str, Any]], name: str
) -> None:
    declared = set(plugin(project, name)["capabilities"])
    assert declared == set(abouts[name]["capabilities"])


@pytest.mark.skipif(
    not (TARGET_POSTGRES / "target-postgres").exists(), reason="run `make meltano-install`"
)
def test_target_postgres_settings_exist_in_its_about(project: dict[str, Any]) -> None:
    about = read_about(TARGET_POSTGRES / "target-postgres")
    theirs = {s["name"]: s for s in settings_from_about(about)}
    entry = plugin(project, "target-postgres")
    for setting in entry["settings"]:
        assert setting["name"] in theirs, setting["name"]
        assert setting["kind"] in (theirs[setting["name"]]["kind"], "string"), setting["name"]
    assert set(entry["capabilities"]) <= set(about["capabilities"])
    assert "sqlalchemy_url" not in {s["name"] for s in entry["settings"]}  # embeds the password


def test_plugins_are_defined_inline(project: dict[str, Any]) -> None:
    for name, script in PLUGINS.items():
        entry = plugin(project, name)
        assert entry["pip_url"] == "-e ."
        assert entry["executable"] == script
        assert entry["namespace"]
        assert "variant" not in entry
        assert "inherit_from" not in entry
    assert plugin(project, "target-jsonl")["pip_url"] == "target-jsonl==0.1.4"
    assert plugin(project, "target-postgres")["pip_url"] == "meltanolabs-target-postgres==0.8.1"
    for engine in ("duckdb", "postgres"):
        dbt = plugin(project, f"dbt-{engine}")
        assert dbt["executable"] == "dbt"
        assert f"dbt-{engine}~=" in dbt["pip_url"]
        assert {"build", "run", "test"} <= set(dbt["commands"])


def test_environment_config_uses_declared_settings(project: dict[str, Any]) -> None:
    names = [env["name"] for env in project["environments"]]
    assert names == ["dev", "prod", "postgres"]
    for env in project["environments"]:
        for plugins in env["config"]["plugins"].values():
            for entry in plugins:
                settings = plugin(project, entry["name"])["settings"]
                declared = {s["name"] for s in settings}
                config = entry.get("config", {})
                unknown = set(config) - declared
                assert not unknown, (env["name"], entry["name"], unknown)
                for secret in (s["name"] for s in settings if s.get("sensitive")):
                    value = config.get(secret)
                    assert value is None or ENV_REFERENCE.match(str(value)), (
                        "secrets belong in env vars",
                        entry["name"],
                        secret,
                    )


def test_select_rules_name_real_streams(project: dict[str, Any]) -> None:
    catalog = json.loads(
        subprocess.run(
            [str(BIN / "tap-calendly"), "--discover"], check=True, capture_output=True
        ).stdout
    )
    streams = {s["tap_stream_id"] for s in catalog["streams"]}
    selected = {
        rule.split(".")[0].lstrip("!") for rule in plugin(project, "tap-calendly")["select"]
    }
    assert selected == streams


def test_jobs_and_schedules(project: dict[str, Any]) -> None:
    jobs = {job["name"]: job["tasks"] for job in project["jobs"]}
    assert jobs == {
        "calendly-to-duckdb": ["tap-calendly target-calendly-duckdb", "dbt-duckdb:build"],
        "calendly-to-postgres": ["tap-calendly target-postgres", "dbt-postgres:build"],
        "calendly-webhooks": [
            "tap-calendly target-calendly-duckdb calendly:webhooks-apply",
            "dbt-duckdb:build",
        ],
    }
    schedules = {s["name"]: s for s in project["schedules"]}
    assert schedules["calendly-hourly"]["job"] == "calendly-to-duckdb"
    assert schedules["calendly-postgres-hourly"]["job"] == "calendly-to-postgres"
    assert {s["interval"] for s in schedules.values()} == {"@hourly"}
    assert project["requires_meltano"] == ">=4.0"


def test_local_secrets_are_not_committed() -> None:
    ignored = (ROOT / ".gitignore").read_text(encoding="utf-8").splitlines()
    assert ".env" in ignored
    assert ".secrets/" in ignored


@pytest.mark.skipif(not MELTANO.exists(), reason="Meltano is not installed; `make meltano-install`")
def test_meltano_never_shows_the_token(tmp_path: Path) -> None:
    secret = "pat-that-must-not-appear-0123456789"
    env = {k: v for k, v in os.environ.items() if not k.startswith("TAP_CALENDLY_")}
    env.update(
        TAP_CALENDLY_PERSONAL_ACCESS_TOKEN=secret,
        **isolated_sys_dir(ROOT, tmp_path / ".meltano"),
    )
    out = subprocess.run(
        [str(MELTANO), "--environment", "prod", "config", "list", "tap-calendly"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "personal_access_token" in out.stdout
    assert "https://api.calendly.com" in out.stdout
    assert secret not in out.stdout + out.stderr
