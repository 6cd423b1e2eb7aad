"""A Meltano Hub user's configuration, with Hub's setting names, runs against our plugins.

Someone moving from Hub's tap-calendly and target-duckdb brings config keyed by Hub's
names (auth_token / api_key, organization_url; filepath / path, default_target_schema,
add_metadata_columns). meltano.yml declares them as ``aliases:``, so Meltano hands the
plugins our names; the plugins also accept them in a plain ``--config`` file. Under
Meltano a value set under an alias wins over our default, and two different values under
two names of one setting are refused.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from tap_calendly.demo.meltano_runner import isolated_sys_dir
from tap_calendly.demo.pipeline import run_pipe
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tests.support.commands import run_tool
from tests.support.warehouse import Warehouse, ts

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
MELTANO = ROOT / ".venv-meltano" / "bin" / "meltano"
STREAMS = ("users", "event_types", "scheduled_events", "event_invitees")

#: The environment block of a Hub user's meltano.yml, pasted as is (values filled in).
HUB_FRAGMENT = """
- name: hub
  config:
    plugins:
      extractors:
      - name: tap-calendly
        config:
          auth_token: {token}
          organization_url: {organization}
          start_date: '{start_date}'
      loaders:
      - name: target-calendly-duckdb
        config:
          filepath: {database}
          default_target_schema: raw
          add_metadata_columns: true
"""

pytestmark = pytest.mark.skipif(
    not MELTANO.exists(), reason="Meltano is not installed; run `make meltano-install`"
)


@dataclass
class HubProject:
    """A Meltano project of our plugin definitions plus the Hub user's environment."""

    root: Path
    env: dict[str, str]
    sandbox: Sandbox
    database: Path
    values: dict[str, str]

    def meltano(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return run_tool(
            [MELTANO, "--log-level", "warning", "--environment", "hub", *args],
            cwd=self.root,
            env=self.env,
            timeout=300,
            check=check,
        )

    def write(self, fragment: str) -> None:
        ours = yaml.safe_load((ROOT / "meltano.yml").read_text(encoding="utf-8"))
        wanted = {"tap-calendly", "target-calendly-duckdb"}
        plugins = {
            kind: [dict(p, pip_url=f"-e {ROOT}") for p in entries if p["name"] in wanted]
            for kind, entries in ours["plugins"].items()
            if kind in ("extractors", "loaders")
        }
        project = {
            "project_id": ours["project_id"],
            "default_environment": "hub",
            "send_anonymous_usage_stats": False,
            "plugins": plugins,
            "environments": yaml.safe_load(fragment.format(**self.values)),
        }
        (self.root / "meltano.yml").write_text(yaml.safe_dump(project, sort_keys=False))


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[HubProject]:
    settings = SandboxSettings(seed=3, scale="small", rate_limit_per_minute=1_000_000)
    with Sandbox(settings) as sandbox:
        info = sandbox.info()
        database = tmp_path / "hub_warehouse.duckdb"
        values = {
            "token": sandbox.admin_token,
            "organization": info["organization"],
            "start_date": (ts(info["now"]) - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "database": str(database),
        }
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("TAP_CALENDLY_", "TARGET_", "MELTANO_ENVIRONMENT"))
        }
        env.update(
            isolated_sys_dir(ROOT, tmp_path / ".meltano"),
            MELTANO_SEND_ANONYMOUS_USAGE_STATS="false",
            MELTANO_CLI_DISABLE_VERSION_CHECK="true",
            TAP_CALENDLY_API_URL=sandbox.url,  # not a Hub setting: Hub users read the real API
            TAP_CALENDLY__SELECT=json.dumps([f"{s}.*" for s in STREAMS]),
        )
        yield HubProject(tmp_path, env, sandbox, database, values)


def test_hub_fragment_runs_unchanged_under_meltano(hub: HubProject) -> None:
    hub.write(HUB_FRAGMENT)
    hub.meltano("run", "tap-calendly", "target-calendly-duckdb")
    truth = hub.sandbox.ground_truth()

    assert hub.database.exists()  # filepath won over the database default (calendly.duckdb)
    assert not (hub.root / "calendly.duckdb").exists()
    warehouse = Warehouse("duckdb", duckdb_path=hub.database)
    tables = warehouse.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'raw'"
    )
    assert {r["table_name"] for r in tables} == set(STREAMS)  # default_target_schema
    users = warehouse.table("raw", "users")
    assert {u["uri"] for u in users} == {u["uri"] for u in truth["users"]}  # auth_token
    assert all(u["_sdc_extracted_at"] is not None for u in users)  # add_metadata_columns
    organization = {u["current_organization"] for u in users}
    assert organization == {hub.values["organization"]}  # organization_url


def test_hub_names_in_environment_variables_reach_our_settings(hub: HubProject) -> None:
    hub.write("- name: hub\n")
    hub.env.update(
        TAP_CALENDLY_API_KEY=hub.values["token"],
        TARGET_CALENDLY_DUCKDB_PATH=str(hub.database),
        TARGET_CALENDLY_DUCKDB_DEFAULT_TARGET_SCHEMA="raw",
    )
    tap = json.loads(hub.meltano("config", "--unsafe", "print", "tap-calendly").stdout)
    loader = json.loads(hub.meltano("config", "print", "target-calendly-duckdb").stdout)
    assert tap["personal_access_token"] == hub.values["token"]
    assert not {"api_key", "auth_token"} & set(tap)
    assert (loader["database"], loader["schema"]) == (str(hub.database), "raw")
    assert not {"path", "filepath", "default_target_schema"} & set(loader)
    # The documented connection check: the tap must reach the API and read a record.
    checked = hub.meltano("config", "test", "tap-calendly")
    assert "Plugin configuration is valid" in checked.stdout + checked.stderr


def test_two_values_for_one_setting_are_refused(hub: HubProject) -> None:
    fragment = HUB_FRAGMENT.replace(
        "filepath: {database}", "filepath: {database}\n          database: other.duckdb"
    )
    hub.write(fragment)
    done = hub.meltano("run", "tap-calendly", "target-calendly-duckdb", check=False)
    assert done.returncode != 0
    output = done.stdout + done.stderr
    # Meltano's own check (4.4 prints the two names as a Python generator object, not
    # by name); it runs before any plugin starts, so nothing is loaded anywhere.
    assert "Conflicting values for setting" in output
    assert hub.values["token"] not in output
    assert not hub.database.exists()


def test_hub_config_files_work_without_meltano(hub: HubProject, tmp_path: Path) -> None:
    """The same Hub names in plain --config files, for the tap and the loader themselves."""
    tap_config: dict[str, Any] = {
        "api_url": hub.sandbox.url,
        "auth_token": hub.values["token"],
        "organization_url": hub.values["organization"],
        "start_date": hub.values["start_date"],
    }
    target_config = {
        "filepath": str(hub.database),
        "default_target_schema": "raw",
        "add_metadata_columns": True,
    }
    (tmp_path / "tap.json").write_text(json.dumps(tap_config))
    (tmp_path / "target.json").write_text(json.dumps(target_config))
    run_pipe(
        [str(BIN / "tap-calendly"), "--config", str(tmp_path / "tap.json")],
        [str(BIN / "target-calendly-duckdb"), "--config", str(tmp_path / "target.json")],
    )
    users = Warehouse("duckdb", duckdb_path=hub.database).table("raw", "users")
    assert {u["uri"] for u in users} == {u["uri"] for u in hub.sandbox.ground_truth()["users"]}
    assert "_sdc_extracted_at" in users[0]
