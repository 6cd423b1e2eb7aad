"""Options and helpers shared by the command modules, and the ordered help layout."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar

import click

from tap_calendly.actions.cli.catalog import action_for
from tap_calendly.actions.cli.output import FORMATS, Output
from tap_calendly.actions.cli.state import get_state
from tap_calendly.actions.client import Calendly

F = TypeVar("F", bound=Callable[..., Any])
CONTEXT = {"help_option_names": ["-h", "--help"], "max_content_width": 100}


#: Subcommands list in this order (reads before writes); others keep their added order.
VERBS = (
    "list",
    "get",
    "available-times",
    "create",
    "mark",
    "cancel",
    "unmark",
    "delete",
    "delete-instanced",
    "remove",
    "revoke",
)


class Group(click.Group):
    """A command group that lists reads, then writes (as gh does), not alphabetically."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        rank = {verb: index for index, verb in enumerate(VERBS)}
        return sorted(self.commands, key=lambda name: rank.get(name, len(VERBS)))


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
    short = action or summary  # the list shows the connector's action name: searchable
    text = (f'{summary} ("{action}").' if action else f"{summary}.") + (
        f"\n\n{details}" if details else ""
    )

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


def add_get(parent: click.Group, namespace: str, summary: str, *, example: str) -> None:
    """``<group> get UUID``: one object by UUID or URI, from ``client.<namespace>.get``."""

    @command(parent, "get", summary, examples=[example], details="UUID may also be the URI.")
    @click.argument("uuid")
    def get(uuid: str) -> None:
        show(getattr(get_state().client(), namespace).get(uuid))


def stack(*decorators: Callable[[Any], Any]) -> Callable[[F], F]:
    """Apply click options and arguments listed top to bottom, as if stacked above a function."""

    def apply(func: F) -> F:
        for decorator in reversed(decorators):
            func = decorator(func)
        return func

    return apply


#: Chooses the client method a generated command calls, e.g. ``lambda c: c.events.list``.
Method = Callable[[Calendly], Callable[..., Any]]

#: ``--sort`` for the lists Calendly sorts by creation time only.
created_at_sort = click.option("--sort", type=click.Choice(["created_at:asc", "created_at:desc"]))


def add_list(
    parent: click.Group,
    name: str,
    summary: str,
    *,
    method: Method,
    columns: Sequence[str],
    examples: Sequence[str],
    params: Sequence[Callable[[Any], Any]] = (),
    details: str = "",
) -> None:
    """A read: rows from ``method(client)(**params)`` (the option names are its keywords)."""

    def read(**values: Any) -> None:
        show_many(method(get_state().client())(**values), columns)

    command(parent, name, summary, examples=examples, details=details)(stack(*params)(read))


def add_write(
    parent: click.Group,
    name: str,
    summary: str,
    *,
    method: Method,
    examples: Sequence[str],
    details: str,
    params: Sequence[Callable[[Any], Any]] = (),
) -> None:
    """A write with --dry-run that shows the result of ``method(client)(**params)``."""

    def write(dry_run: bool, **values: Any) -> None:
        show(method(get_state().client(dry_run=dry_run))(**values))

    decorate = stack(*params, write_options)
    command(parent, name, summary, examples=examples, details=details)(decorate(write))


def add_removal(
    parent: click.Group,
    name: str,
    summary: str,
    *,
    question: str,
    method: Method,
    example: str,
    details: str,
    params: Sequence[Callable[[Any], Any]] = (),
) -> None:
    """A destructive ``<group> <name> UUID`` (confirmation, --yes, --dry-run)."""

    def remove(uuid: str, yes: bool, dry_run: bool, **values: Any) -> None:
        state = get_state()
        state.confirm(question.format(uuid=uuid), yes=yes, dry_run=dry_run)
        show(method(state.client(dry_run=dry_run))(uuid, **values))

    decorate = stack(click.argument("uuid"), *params, destructive_options)
    command(parent, name, summary, examples=[example], details=details)(decorate(remove))
