"""Hostile and mistaken input to the ``calendly`` command: the place for its cases.

The ``calendly`` command (actions) is not on main yet. When it lands, its cases go in
``CALENDLY_CASES`` below, in the same form as the tap's table in test_hostile_input.py
(argument lists and settings that must end in one clear line, a non-zero exit, no
traceback and no secret), run through ``run_calendly_cli``.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

CALENDLY = Path(sys.executable).parent / "calendly"

#: (case id, argv after ``calendly``, text the error line must contain)
CALENDLY_CASES: list[tuple[str, list[str], str]] = []


@pytest.mark.skipif(
    not CALENDLY.exists() and shutil.which("calendly") is None,
    reason="the calendly command has not landed yet; its hostile-input cases go here",
)
def test_calendly_command_cases_are_written() -> None:
    assert CALENDLY_CASES, "the calendly command exists: add its hostile-input cases here"
