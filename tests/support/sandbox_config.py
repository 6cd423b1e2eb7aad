"""Run-time sandbox settings changed for one block of a test, then put back."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tap_calendly.sandbox.runner import Sandbox


@contextlib.contextmanager
def reconfigured(sandbox: Sandbox, **changes: Any) -> Iterator[Sandbox]:
    """``changes`` (plan, faults, ...) in force for the block; the values they replaced come
    back after, even when the block fails, so a shared sandbox is left as it was found."""
    before = sandbox.config()
    sandbox.configure(**changes)
    try:
        yield sandbox
    finally:
        sandbox.configure(**{name: before[name] for name in changes})
