"""meltano.yml must describe exactly the settings the plugins declare in ``--about``.

Meltano validates and passes only the settings meltano.yml lists, so a setting added to
the tap or loader but not to meltano.yml would be silently unusable under Meltano (and
a stale one would be a lie). These tests make the two impossible to drift apart.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_calendly.demo.meltano_runner import isolated_sys_dir
from tap_calendly.demo.meltano_settings import read_about, settings_from_about

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
PLUGINS = {  # meltano.yml plugin name -> console script in this package
    "tap-calendly": "tap-calendly",
    "target-duckdb": "target-calendly-duckdb",
}


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
    expected = {s["name"]: s for s in settings_from_about(abouts[name])}
    fix = (
        f"meltano.yml is out of date; run `.venv/bin/python -m tap_calendly.demo."
        f"meltano_settings .venv/bin/{PLUGINS[name]} --update {name}`"
    )
    assert list(declared) == list(expected), fix
    for key, want in expected.items():
        got = declared[key]
        for field in ("kind", "value", "options"):
            assert got.get(field) == want.get(field), f"{key}.{field}: {fix}"
        assert bool(got.get("sensitive")) == bool(want.get("sensitive")), f"{key}: {fix}"
        assert got.get("description"), f"{name}.{key} has no description"


def test_secrets_are_sensitive(project: dict[str, Any]) -> None:
    tap = {s["name"]: s for s in plugin(project, "tap-calendly")["settings"]}
    for key in ("personal_access_token", "client_secret", "refresh_token"):
        assert tap[key].get("sensitive") is True, key
    assert not tap["client_id"].get("sensitive")


@pytest.mark.parametrize("name", sorted(PLUGINS))
def test_capabilities_match_about(
    project: dict[str, Any], abouts: dict[str, dict[str, Any]], name: str
) -> None:
    declared = set(plugin(project, name)["capabilities"])
    assert declared == set(abouts[name]["capabilities"])


def test_plugins_are_defined_inline(project: dict[str, Any]) -> None:
    for name, script in PLUGINS.items():
        entry = plugin(project, name)
        assert entry["pip_url"] == "-e ."
        assert entry["executable"] == script
        assert entry["namespace"]
        assert "variant" not in entry
        assert "inherit_from" not in entry
    jsonl = plugin(project, "target-jsonl")
    assert jsonl["pip_url"] == "target-jsonl==0.1.4"


def test_environment_config_uses_declared_settings(project: dict[str, Any]) -> None:
    names = [env["name"] for env in project["environments"]]
    assert names == ["dev", "prod"]
    for env in project["environments"]:
        for plugins in env["config"]["plugins"].values():
            for entry in plugins:
                declared = {s["name"] for s in plugin(project, entry["name"])["settings"]}
                unknown = set(entry.get("config", {})) - declared
                assert not unknown, (env["name"], entry["name"], unknown)
                secrets = {
                    s["name"]
                    for s in plugin(project, entry["name"])["settings"]
                    if s.get("sensitive")
                }
                assert not secrets & set(entry.get("config", {})), "secrets belong in env vars"


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


def test_job_and_schedule(project: dict[str, Any]) -> None:
    (job,) = project["jobs"]
    assert job["tasks"] == ["tap-calendly target-duckdb"]
    (schedule,) = project["schedules"]
    assert schedule["job"] == job["name"]
    assert schedule["interval"] == "@hourly"
    assert project["requires_meltano"] == ">=4.0"


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
