"""The `calendly` utility in meltano.yml: the tap's namespace and connection settings, and
`meltano invoke calendly …` acting with the project's TAP_CALENDLY_* settings."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_calendly.actions.cli.state import MELTANO_SETTINGS
from tap_calendly.demo.meltano_runner import isolated_sys_dir

from . import ids
from .conftest import start_sandbox

ROOT = Path(__file__).resolve().parents[2]
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
UTILITY = ROOT / ".meltano" / "utilities" / "calendly" / "venv" / "bin" / "calendly"


def plugins(kind: str) -> dict[str, dict[str, Any]]:
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    return {p["name"]: p for p in project["plugins"][kind]}


def test_utility_shares_the_taps_namespace_and_connection_settings():
    utility = plugins("utilities")["calendly"]
    tap = plugins("extractors")["tap-calendly"]
    assert utility["namespace"] == tap["namespace"] == "tap_calendly"
    assert utility["executable"] == "calendly"
    assert utility["settings_group_validation"] == tap["settings_group_validation"]
    tap_settings = {s["name"]: s for s in tap["settings"]}
    assert [s["name"] for s in utility["settings"]] == list(MELTANO_SETTINGS)
    for setting in utility["settings"]:
        assert setting == tap_settings[setting["name"]], setting["name"]


def test_every_environment_points_the_utility_where_it_points_the_tap():
    project = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
    for environment in project["environments"]:
        config = environment["config"]["plugins"]
        tap = next(p for p in config["extractors"] if p["name"] == "tap-calendly")["config"]
        utility = next(p for p in config["utilities"] if p["name"] == "calendly")["config"]
        for key in ("api_url", "token_file", "scope"):
            assert utility.get(key) == tap.get(key), (environment["name"], key)


@pytest.mark.slow
@pytest.mark.skipif(
    not (MELTANO.exists() and UTILITY.exists()),
    reason="Meltano and its plugins are not installed; run `make meltano-install`",
)
def test_meltano_invoke_uses_the_projects_settings(tmp_path):
    sandbox = start_sandbox()
    try:
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("TAP_CALENDLY_")},
            **isolated_sys_dir(ROOT, tmp_path / "sys"),
            "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
            "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
            "TAP_CALENDLY_API_URL": sandbox.url,
            "TAP_CALENDLY_PERSONAL_ACCESS_TOKEN": sandbox.admin_token,
        }
        result = subprocess.run(
            [str(MELTANO), "--log-level", "warning", "invoke", "calendly", "events", "cancel",
             ids.FUTURE_EVENT, "--reason", "via meltano", "--yes"],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
            stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr[-3000:]
        event = sandbox.org.get(
            "scheduled_events",
            f"{ids.API}/scheduled_events/{ids.FUTURE_EVENT}",
        )
        assert event["status"] == "canceled"
        assert event["cancellation"]["reason"] == "via meltano"
        assert sandbox.admin_token not in result.stdout + result.stderr
    finally:
        sandbox.stop()


@pytest.mark.slow
@pytest.mark.skipif(
    not (MELTANO.exists() and UTILITY.exists()),
    reason="Meltano and its plugins are not installed; run `make meltano-install`",
)
def test_webhooks_apply_command_reads_the_environments_journal_and_database(tmp_path):
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("TAP_CALENDLY_")},
        **isolated_sys_dir(ROOT, tmp_path / "sys"),
        "MELTANO_SEND_ANONYMOUS_USAGE_STATS": "false",
        "MELTANO_CLI_DISABLE_VERSION_CHECK": "true",
    }
    result = subprocess.run(
        [str(MELTANO), "--environment", "dev", "invoke", "calendly:webhooks-apply"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    # The command's ${VARS} came from the dev environment's env (no receiver ran yet).
    assert result.returncode == 2, result.stderr[-3000:]
    assert f"no webhook journal in {ROOT / '.meltano' / 'webhooks-dev'}" in result.stderr
    assert "Traceback" not in result.stderr
