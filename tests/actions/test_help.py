"""Help reads like gh's: one line per command, examples, the connector's action names
findable by searching the help; usage errors are one line and exit 2."""

from __future__ import annotations

import click
import pytest

from tap_calendly.actions.cli import cli
from tap_calendly.actions.cli.catalog import ACTIONS

from .conftest import invoke
from .test_docs import leaf_commands

GROUPS = [name for name, command in cli.commands.items() if isinstance(command, click.Group)]


def command_at(path: str) -> click.Command:
    command: click.Command = cli
    for part in path.split():
        assert isinstance(command, click.Group), path
        command = command.commands[part]
    return command


def test_root_help_lists_commands_examples_and_every_action():
    result = invoke(["--help"])
    assert result.code == 0
    text = result.out
    assert "Examples:" in text
    assert "Exit codes:" in text
    for name in cli.commands:
        assert f"\n  {name} " in text, name
    index = text[text.index("Connector actions") :]
    for action, path in ACTIONS:
        line = next(ln for ln in index.splitlines() if action in ln)
        assert line.rstrip().endswith(f"calendly {path}"), action


@pytest.mark.parametrize(
    "search",
    ["Delete Instanced Webhooks", "Create Single-Use Scheduling Link", "Cancel Event",
     "Data Compliance", "API Request"],
)  # fmt: skip
def test_seed_connector_action_names_are_found_by_searching_help(search):
    hits = [ln for ln in invoke(["--help"]).out.splitlines() if search.lower() in ln.lower()]
    assert hits, search


def test_catalog_names_real_commands_and_covers_every_command():
    leaves = set(leaf_commands(cli))
    catalogued = {path for _name, path in ACTIONS}
    assert catalogued <= leaves
    assert leaves - catalogued == set()


@pytest.mark.parametrize("group", GROUPS)
def test_each_group_help_has_one_line_per_command_and_examples(group):
    result = invoke([group, "--help"])
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    start = lines.index("Commands:")
    end = lines.index("", start)
    listed = [ln for ln in lines[start + 1 : end] if not ln.startswith("   ")]
    names = [ln.split()[0] for ln in listed]
    command = command_at(group)
    assert isinstance(command, click.Group)
    assert names == command.list_commands(click.Context(command)), result.out
    assert sorted(names) == sorted(command.commands)
    if "list" in names:
        assert names[0] == "list"  # reads first, as gh lists them
    assert "Examples:" in result.out
    assert f"$ calendly --sandbox {group}" in result.out


@pytest.mark.parametrize("path", leaf_commands(cli))
def test_each_command_help_names_its_action_and_shows_examples(path):
    result = invoke([*path.split(), "--help"])
    assert result.code == 0, result.err
    action = next(name for name, where in ACTIONS if where == path)
    assert f'"{action}"' in " ".join(result.out.split())
    assert "Examples:" in result.out
    assert "$ calendly" in result.out


def test_group_without_a_command_prints_its_help():
    result = invoke(["webhooks"])
    assert result.code == 0
    assert "delete-instanced" in result.out
    assert invoke([]).code == 0


def test_usage_errors_are_one_line_exit_2():
    for args in (["events", "cancel"], ["events", "list", "--bogus"], ["nope"],
                 ["events", "list", "--limit", "0"], ["--output", "xml", "me"]):  # fmt: skip
        result = invoke(args)
        assert result.code == 2, args
        assert len(result.err.strip().splitlines()) == 1, result.err
        assert result.error_line.endswith("--help)"), result.err


def test_missing_credentials_is_one_line_exit_2_without_secrets(tmp_path, monkeypatch):
    result = invoke(["me"])
    assert result.code == 2
    assert "no credentials" in result.error_line
    config = tmp_path / "bad.json"
    config.write_text('{"personal_access_token": " secret-with-spaces "}', encoding="utf-8")
    bad = invoke(["--config", str(config), "me"])
    assert bad.code == 2
    assert "secret-with-spaces" not in bad.err
    assert "personal_access_token" in bad.error_line


def test_network_failure_is_exit_4(tmp_path):
    config = tmp_path / "down.json"
    config.write_text(
        '{"personal_access_token": "pat", "api_url": "http://127.0.0.1:9", "max_retries": 0}',
        encoding="utf-8",
    )
    result = invoke(["--config", str(config), "me"])
    assert result.code == 4
    assert "cannot reach http://127.0.0.1:9" in result.error_line


def test_version():
    result = invoke(["--version"])
    assert result.code == 0
    assert result.out.startswith("calendly, version ")
