"""docs/sandbox.md names every serve option, list endpoint, control endpoint, run-time
setting and fault kind the code has, so the page cannot fall behind."""

from __future__ import annotations

from pathlib import Path

import pytest

from tap_calendly.sandbox.api_lists import ENDPOINTS
from tap_calendly.sandbox.cli import build_parser
from tap_calendly.sandbox.control import ADVANCE_UNITS, checked_changes
from tap_calendly.sandbox.faults import FAULT_KINDS
from tap_calendly.sandbox.generator import SCALES
from tap_calendly.sandbox.runner import Sandbox

DOC = (Path(__file__).resolve().parents[2] / "docs" / "sandbox.md").read_text(encoding="utf-8")


def _serve_options() -> list[str]:
    serve = build_parser()._subparsers._group_actions[0].choices["serve"]
    return [
        o for a in serve._actions for o in a.option_strings if o.startswith("--") and o != "--help"
    ]


def _settings() -> list[str]:
    sandbox = Sandbox()
    return list(sandbox.config())


@pytest.mark.parametrize(
    "name",
    [
        *_serve_options(),
        *(e.path for e in ENDPOINTS),
        *(f"`{k}`" for k in FAULT_KINDS),
        *(f"`{s}`" for s in SCALES),
        *(f"`{s}`" for s in _settings()),
        *ADVANCE_UNITS,
        *(
            f"/_sandbox/{p}"
            for p in (
                "info",
                "advance",
                "stats",
                "stats/reset",
                "requests",
                "ground_truth",
                "config",
            )
        ),
    ],
)
def test_docs_name_it(name: str) -> None:
    assert name in DOC


def test_settings_list_matches_the_checker() -> None:
    """Every setting ``config()`` reports is one ``configure`` accepts."""
    config = Sandbox().config()
    assert set(checked_changes(config)) == set(config)
