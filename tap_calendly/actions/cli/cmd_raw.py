"""raw: any request to the API host ("API Request")."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import click
import orjson

from tap_calendly.actions import validate
from tap_calendly.actions.cli.common import command, show, write_options
from tap_calendly.actions.cli.state import get_state
from tap_calendly.actions.raw import (
    DEBUG_LOGGERS,
    METHODS,
    RESPONSE_TYPES,
    grouped,
    parse_pairs,
    raw_policy,
)

S = "calendly --sandbox"


def register(root: click.Group) -> None:
    command(
        root,
        "raw",
        "Send any request to the Calendly API",
        examples=[
            f"{S} raw GET /users/me",
            f"{S} raw GET /event_types --query organization=ORG_URI --query count=5",
            f'{S} raw POST /invitee_no_shows --data \'{{"invitee": "INVITEE_URI"}}\'',
            f"{S} raw GET /users/me --max-retries 3 --retry-delay-ms 500 --exponential-backoff",
        ],
        details=(
            "PATH is relative to the API base (api_url); an absolute URL to another host is "
            "refused. The token, rate limit and OAuth refresh are the client's. Retries, as "
            "the connector's: none by default; --max-retries N retries 5xx and network "
            "errors (every error with --retry-on-all-errors), with a fixed delay "
            "(--exponential-backoff doubles it); asking for retries allows repeating a "
            "write that may have been applied. 429 is always waited out. Binary responses "
            "go to stdout or --out FILE."
        ),
    )(raw)


@click.argument("method", type=click.Choice(METHODS, case_sensitive=False))
@click.argument("path")
@click.option("--data", help="JSON body (or @FILE to read it from a file).")
@click.option("--form", multiple=True, help="Form field KEY=VALUE; repeat for several.")
@click.option("--file", "file_args", multiple=True, help="Upload KEY=PATH; repeat for several.")
@click.option("--file-name", multiple=True, help="KEY=NAME: the file name sent for --file KEY.")
@click.option("--query", multiple=True, help="Query parameter KEY=VALUE; repeat for several.")
@click.option("--header", multiple=True, help='"Name: value"; repeat for several.')
@click.option(
    "--response-type", type=click.Choice(RESPONSE_TYPES), default="json", show_default=True
)
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), help="Write the body here.")
@click.option("--timeout", type=float, help="Seconds per attempt (default: request_timeout).")
@click.option("--debug", is_flag=True, help="Log the request and response on stderr (redacted).")
@click.option("--max-retries", type=int, default=0, show_default=True)
@click.option("--retry-delay-ms", type=float, default=1000, show_default=True)
@click.option("--retry-on-all-errors", is_flag=True, help="Also retry 4xx answers.")
@click.option("--exponential-backoff", is_flag=True, help="Double the delay on each retry.")
@write_options
def raw(
    method: str,
    path: str,
    data: str | None,
    form: tuple[str, ...],
    file_args: tuple[str, ...],
    file_name: tuple[str, ...],
    query: tuple[str, ...],
    header: tuple[str, ...],
    response_type: str,
    out: Path | None,
    timeout: float | None,
    debug: bool,
    max_retries: int,
    retry_delay_ms: float,
    retry_on_all_errors: bool,
    exponential_backoff: bool,
    dry_run: bool,
) -> None:
    """METHOD is GET, POST, PUT, PATCH, DELETE, HEAD or OPTIONS."""
    policy = raw_policy(
        max_retries=max_retries,
        retry_delay_ms=retry_delay_ms,
        retry_on_all_errors=retry_on_all_errors,
        exponential_backoff=exponential_backoff,
    )
    body = None
    if data is not None:
        body = validate.json_arg(_read_data(data), "--data")
    names = dict(parse_pairs(file_name, "--file-name"))
    files: dict[str, tuple[str, bytes]] = {}
    for key, where in parse_pairs(file_args, "--file"):
        source = Path(where).expanduser()
        if not source.is_file():
            raise validate.fail(f"--file {key}: {where} is not a readable file")
        files[key] = (names.get(key, source.name), source.read_bytes())
    unknown = set(names) - set(files)
    if unknown:
        raise validate.fail(f"--file-name {', '.join(sorted(unknown))}: no --file with that KEY")
    if response_type == "binary" and out is None and sys.stdout.isatty():
        raise validate.fail("binary output on a terminal: pass --out FILE or redirect stdout")
    if debug:
        for name in DEBUG_LOGGERS:
            logging.getLogger(name).setLevel(logging.INFO)
    client = get_state().client(dry_run=dry_run)
    answer = client.raw_response(
        method,
        path,
        json=body,
        form=grouped(parse_pairs(form, "--form")) or None,
        files=files or None,
        query=grouped(parse_pairs(query, "--query")) or None,
        headers=dict(parse_pairs(header, "--header", sep=":")) or None,
        response_type=response_type,
        timeout=timeout,
        retry=policy,
    )
    if answer.planned is not None:
        show({"dry_run": True, "request": answer.planned})
        return
    _write_body(answer.body, response_type, out)


def _read_data(data: str) -> str:
    if not data.startswith("@"):
        return data
    try:
        return Path(data[1:]).expanduser().read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise validate.fail(f"--data {data}: cannot read the file ({type(exc).__name__})") from None


def _write_body(body: object, response_type: str, out: Path | None) -> None:
    if out is not None:
        if isinstance(body, bytes):
            out.write_bytes(body)
        elif isinstance(body, str):
            out.write_text(body, encoding="utf-8")
        else:
            out.write_bytes(orjson.dumps(body, option=orjson.OPT_INDENT_2) + b"\n")
        click.echo(f"calendly: wrote {out}", err=True)
        return
    if isinstance(body, bytes):
        sys.stdout.buffer.write(body)
        sys.stdout.buffer.flush()
    elif isinstance(body, str):
        click.echo(body, nl=not body.endswith("\n"))
    elif body is not None:
        show(body)
