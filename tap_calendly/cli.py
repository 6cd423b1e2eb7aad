"""The ``calendly`` console script: the actions' commands, with the webhook receiver's
``serve`` and ``apply`` under ``calendly webhooks``.

The actions and the webhooks stay independent rooms; this module, above both, is the
only place that puts them on one command line. It builds copies of the two groups it
extends instead of changing the actions' own objects.
"""

from __future__ import annotations

import copy
import sys
from collections.abc import Sequence

import click

from tap_calendly.actions.cli import cli as actions_cli
from tap_calendly.actions.cli import main as actions_main
from tap_calendly.webhooks.cli import apply, serve

TRIGGER_HELP = (
    "\n\n\b\nScheduled Event Trigger (webhooks in real time, see docs/webhooks.md):\n"
    "  calendly webhooks serve --signing-key KEY --journal DIR   receive and journal\n"
    "  calendly webhooks apply --database FILE --journal DIR     merge into DuckDB"
)


def _build() -> click.Group:
    subscriptions = actions_cli.commands["webhooks"]
    assert isinstance(subscriptions, click.Group)
    webhooks = copy.copy(subscriptions)
    webhooks.commands = {**subscriptions.commands, "serve": serve, "apply": apply}
    webhooks.help = "Manage webhook subscriptions; receive deliveries and apply them."
    webhooks.short_help = "Manage webhook subscriptions, receive and apply deliveries"
    root = copy.copy(actions_cli)
    root.commands = {**actions_cli.commands, "webhooks": webhooks}
    root.epilog = (actions_cli.epilog or "") + TRIGGER_HELP
    return root


cli = _build()


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``calendly`` with ``argv``; the exit code as the actions define them."""
    return actions_main(argv, group=cli)


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
