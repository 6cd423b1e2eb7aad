"""Every `$ calendly --sandbox …` line of docs/actions.md runs and exits 0, and the page
covers every command and every connector action name."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import click
import pytest

from tap_calendly.actions.cli import cli
from tap_calendly.actions.cli.catalog import ACTIONS

from . import warehouse
from .conftest import invoke, start_sandbox

DOC = Path(__file__).resolve().parents[2] / "docs" / "actions.md"
PREFIX = "$ calendly --sandbox "


def examples() -> list[str]:
    blocks = re.findall(r"```console\n(.*?)```", DOC.read_text(encoding="utf-8"), re.DOTALL)
    return [
        line[len("$ calendly ") :]
        for block in blocks
        for line in block.splitlines()
        if line.startswith(PREFIX)
    ]


def leaf_commands(group: click.Group, prefix: str = "") -> list[str]:
    found = []
    for name, command in group.commands.items():
        path = f"{prefix}{name}"
        if isinstance(command, click.Group):
            found += leaf_commands(command, f"{path} ")
        else:
            found.append(path)
    return found


@pytest.fixture(scope="module")
def demo_database(tmp_path_factory):
    """A database like make demo's, loaded from a sandbox like --sandbox's."""
    work = tmp_path_factory.mktemp("docs-db")
    sandbox = start_sandbox()
    try:
        return warehouse.load(sandbox, work / "calendly_dev.duckdb", work)
    finally:
        sandbox.stop()


@pytest.mark.parametrize("example", examples())
def test_example_runs(example, tmp_path, monkeypatch, request):
    monkeypatch.chdir(tmp_path)
    if "calendly_dev.duckdb" in example:
        shutil.copy(request.getfixturevalue("demo_database"), tmp_path / "calendly_dev.duckdb")
    result = invoke(shlex.split(example))
    assert result.code == 0, f"{example}\n{result.err}"
    assert "using an in-process Calendly sandbox" in result.err


def test_every_command_and_action_is_documented_with_a_runnable_example():
    text = " ".join(DOC.read_text(encoding="utf-8").split())
    runnable = [" ".join(e.split()[1:4]) for e in examples()]
    for path in leaf_commands(cli):
        assert any(f"{r} ".startswith(f"{path} ") for r in runnable), path
    for name, _path in ACTIONS:
        assert name.split(" (")[0].split(": ")[-1] in text, name


def test_the_examples_cover_at_least_one_dry_run_and_table():
    joined = "\n".join(examples())
    assert "--dry-run" in joined
    assert "-o table" in joined
