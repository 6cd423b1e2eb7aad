"""The ``calendly`` command: root options, error handling and exit codes.

Exit codes: 0 done; 2 usage or validation error (nothing was sent); 3 the API refused
(4xx, with Calendly's title, message and parameter details on one line); 4 network
trouble or 5xx after the retries; 1 anything else (a declined confirmation included);
130 interrupted. Every error is one line on stderr, never a traceback, never a secret.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from tap_calendly.actions.cli import catalog
from tap_calendly.actions.cli.common import CONTEXT, Group, examples_epilog
from tap_calendly.actions.cli.output import FORMATS, Output
from tap_calendly.actions.cli.state import Aborted, State
from tap_calendly.actions.describe import redact
from tap_calendly.actions.raw import DEBUG_LOGGERS
from tap_calendly.api.errors import CalendlyError

EXAMPLES = (
    "calendly --sandbox me",
    "calendly --sandbox events list --status active --limit 3 --output table",
    'calendly --config tap.json events cancel EVENT_UUID --reason "Double-booked" --yes',
    "calendly --sandbox raw GET /users/me",
    "meltano invoke calendly webhooks list --scope organization",
)

HELP = """Work with Calendly from the command line: every API operation, as a script step.

Uses the tap's settings (--config FILE, or TAP_CALENDLY_* environment variables): the
same auth, OAuth rotation, rate limit and retries as the tap. Results are JSON on
stdout (--output table for people); errors are one line on stderr.

Exit codes: 0 done, 2 usage or validation error (nothing sent), 3 the API refused,
4 network or server error after retries, 1 anything else.
"""


@click.group(
    "calendly",
    cls=Group,
    help=HELP,
    epilog=examples_epilog(EXAMPLES) + "\n\n" + catalog.index(),
    context_settings=CONTEXT,
    invoke_without_command=True,
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The tap's JSON settings file; TAP_CALENDLY_* variables override it.",
)
@click.option(
    "--output",
    "-o",
    "output_format",
    type=click.Choice(FORMATS),
    default="json",
    show_default=True,
    help="json: one object or a JSON array; table: aligned columns for people.",
)
@click.option(
    "--sandbox",
    is_flag=True,
    help="Run against an in-process sandbox with synthetic data: no account needed.",
)
@click.version_option(package_name="tap-calendly", prog_name="calendly")
@click.pass_context
def cli(ctx: click.Context, config: Path | None, output_format: str, sandbox: bool) -> None:
    state = State(config=config, output_format=output_format, sandbox=sandbox)
    state.out = Output(output_format)
    if isinstance(ctx.obj, _Capture):
        ctx.obj.holder.append(state)
    ctx.obj = state
    ctx.call_on_close(state.close)
    if ctx.invoked_subcommand is None:
        click.echo(ctx.get_help())


def _register() -> None:
    from tap_calendly.actions.cli import (
        cmd_availability,
        cmd_compliance,
        cmd_forms,
        cmd_organization,
        cmd_raw,
        cmd_scheduling,
        cmd_webhooks,
    )

    for module in (
        cmd_scheduling,
        cmd_webhooks,
        cmd_organization,
        cmd_forms,
        cmd_availability,
        cmd_compliance,
        cmd_raw,
    ):
        module.register(cli)


_register()


def _fail(message: str, code: int, secrets: Sequence[str] = ()) -> int:
    line = " ".join(str(redact(message, secrets)).split())
    click.echo(f"calendly: error: {line}", err=True)
    return code


class _StderrHandler(logging.Handler):
    """Client log lines (retries, --debug) on the current stderr, prefixed like errors."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"calendly: {record.getMessage()}", err=True)


def main(argv: Sequence[str] | None = None, *, group: click.Group | None = None) -> int:
    """Run the command (``group`` defaults to :data:`cli`); map every outcome to an exit
    code (see module docstring)."""
    handler = _StderrHandler(logging.INFO)
    loggers = [logging.getLogger(n) for n in ("tap-calendly", *DEBUG_LOGGERS)]
    levels = [log.level for log in loggers]
    loggers[0].addHandler(handler)
    if loggers[0].level == logging.NOTSET:
        loggers[0].setLevel(logging.WARNING)
    try:
        return _run(list(sys.argv[1:] if argv is None else argv), group or cli)
    finally:
        loggers[0].removeHandler(handler)
        for log, level in zip(loggers, levels, strict=True):
            log.setLevel(level)


def _run(args: list[str], group: click.Group) -> int:
    holder: list[State] = []
    try:
        with group.make_context("calendly", args) as ctx:
            ctx.obj = _Capture(holder)
            group.invoke(ctx)
        return 0
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else "")
        return 0
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.UsageError as exc:
        where = exc.ctx.command_path if exc.ctx else "calendly"
        return _fail(f"{where}: {exc.format_message()} (see: {where} --help)", 2)
    except Aborted:
        click.echo("calendly: aborted: nothing was sent", err=True)
        return 1
    except click.Abort:
        click.echo("calendly: aborted", err=True)
        return 1
    except CalendlyError as exc:
        return _fail(str(exc), exc.exit_code, _secrets(holder))
    except KeyboardInterrupt:
        click.echo("calendly: interrupted", err=True)
        return 130
    except BrokenPipeError:
        # The reader went away (`calendly events list | head`): stop quietly.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:
        text = (
            f"{exc.strerror or exc}: {exc.filename}" if exc.filename else str(exc.strerror or exc)
        )
        return _fail(text, 1, _secrets(holder))
    except Exception as exc:
        return _fail(f"unexpected {type(exc).__name__}: {exc}", 1, _secrets(holder))


class _Capture:
    """Placeholder ``ctx.obj`` through which the root callback hands its State back."""

    def __init__(self, holder: list[State]) -> None:
        self.holder = holder


def _secrets(holder: list[State]) -> list[str]:
    return holder[0].secrets() if holder else []


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
