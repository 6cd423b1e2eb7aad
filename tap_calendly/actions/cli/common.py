"""Options and helpers shared by the command modules, and the ordered help layout."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from tap_calendly.actions.cli.catalog import action_for
from tap_calendly.actions.cli.output import FORMATS, Output
from tap_calendly.actions.cli.state import get_state

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


class Group(click.Group):
    """A command group that lists its commands in the order they were added (as gh does:
    the common ones first), not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(self.commands)


def group(name: str, help_text: str, examples: Sequence[str]) -> Group:
    """A subcommand group with a one-line summary and an examples epilog."""
    return Group(
        name=name,
        help=help_text,
        short_help=help_text.rstrip("."),
        epilog=examples_epilog(examples),
        context_settings=CONTEXT,
    )


def examples_epilog(examples: Sequence[str]) -> str:
    lines = "\n".join(f"  $ {e}" for e in examples)
    return f"\b\nExamples:\n{lines}"


def _set_output(ctx: click.Context, _param: click.Parameter, value: str | None) -> None:
    if value is not None:
        get_state().out = Output(value)


def output_option(func: F) -> F:
    """-o/--output on each command too, so it may follow the command (as with gh)."""
    return click.option(
        "-o",
        "--output",
        type=click.Choice(FORMATS),
        expose_value=False,
        callback=_set_output,
        help="json (default) or table.",
    )(func)


def limit_option(func: F) -> F:
    return click.option(
        "--limit", type=click.IntRange(min=1), help="Stop after N items (default: all pages)."
    )(func)


def write_options(func: F) -> F:
    """--dry-run for every write."""
    return click.option(
        "--dry-run",
        is_flag=True,
        help="Print the request that would be sent (secrets redacted); send nothing.",
    )(func)


def destructive_options(func: F) -> F:
    """--yes and --dry-run for commands that cannot be undone."""
    func = click.option(
        "-y",
        "--yes",
        is_flag=True,
        help="Do not ask for confirmation (required without a terminal).",
    )(func)
    return write_options(func)


def show(result: Any) -> None:
    """Write one result object."""
    get_state().out.one(result)


def show_many(rows: Iterable[Any], columns: Sequence[str] = ()) -> None:
    get_state().out.many(rows, columns)


def command(
    parent: click.Group,
    name: str,
    summary: str,
    *,
    examples: Sequence[str],
    details: str = "",
) -> Callable[[F], click.Command]:
    """Register a subcommand whose help names its connector action and shows examples."""
    path = name if parent.name == "calendly" else f"{parent.name} {name}"
    action = action_for(path)
    short = f'{summary} ("{action}")' if action else summary
    text = short + "." + (f"\n\n{details}" if details else "")

    def decorate(func: F) -> click.Command:
        func = output_option(func)
        return parent.command(
            name,
            help=text,
            short_help=short,
            epilog=examples_epilog(examples),
            context_settings=CONTEXT,
        )(func)

    return decorate
