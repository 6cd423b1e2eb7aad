"""The ``calendly`` console script: a thin click layer over :class:`Calendly`."""

from __future__ import annotations

from tap_calendly.actions.cli.app import cli, main, run

__all__ = ["cli", "main", "run"]
