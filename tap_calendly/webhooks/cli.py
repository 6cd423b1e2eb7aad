"""Click commands ``serve`` and ``apply``, ready to hang under ``calendly webhooks``.

Exit statuses, as for every ``calendly`` command: 0 ok, 2 usage or settings, 3 Calendly
refused a request, 4 network or server trouble after retries, 1 anything else (journal,
DuckDB). Errors are one line on stderr, never a traceback, never a secret.
"""

from __future__ import annotations

import functools
import logging
import signal
import sys
from collections.abc import Callable
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

import click
import orjson

from tap_calendly.api import CalendlyClient, CalendlyError, Settings, UsageError
from tap_calendly.api.settings import env_overlay, read_config_file
from tap_calendly.webhooks import apply as applying
from tap_calendly.webhooks import secret_files, subscribe
from tap_calendly.webhooks.journal import prepare_directory
from tap_calendly.webhooks.receiver import (
    DEFAULT_MAX_BODY,
    DEFAULT_PATH,
    ReceiverApp,
    ReceiverConfig,
)
from tap_calendly.webhooks.server import ReceiverServer
from tap_calendly.webhooks.signature import DEFAULT_TOLERANCE

log = logging.getLogger("calendly.webhooks")

KEY_ENV = "TAP_CALENDLY_WEBHOOK_SIGNING_KEY"
JOURNAL_ENV = "TAP_CALENDLY_WEBHOOK_JOURNAL"
#: Key name for the signing key inside the ``--config`` settings file.
KEY_SETTING = "webhook_signing_key"

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Run the command body; a failure becomes one line and its exit status."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        name = click.get_current_context().command_path
        try:
            return command(*args, **kwargs)
        except click.exceptions.Exit:
            raise
        except click.ClickException:
            raise
        except CalendlyError as exc:
            click.echo(f"{name}: error: {exc}", err=True)
            sys.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo(f"{name}: interrupted", err=True)
            sys.exit(130)
        except Exception as exc:  # a bug or an environment problem: still one line
            click.echo(f"{name}: error: {type(exc).__name__}: {exc}", err=True)
            sys.exit(1)

    return wrapper  # type: ignore[return-value]


def _logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper()),
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )


def _settings_mapping(config: Path | None) -> dict[str, Any]:
    """The settings file (if any) with TAP_CALENDLY_* variables over it, like the tap."""
    return env_overlay(None, read_config_file(config) if config else {})


def _config_path(config: Path | None) -> Path | None:
    """This command's --config, else the enclosing ``calendly --config FILE``."""
    if config is not None:
        return config
    root = click.get_current_context().find_root().params
    if root.get("sandbox"):
        raise UsageError("--sandbox does not apply to the receiver: see docs/webhooks.md")
    value = root.get("config")
    return Path(value) if value else None


def _journal_option(command: F) -> F:
    return click.option(
        "--journal",
        type=click.Path(file_okay=False, path_type=Path),
        envvar=JOURNAL_ENV,
        required=True,
        help=f"Directory of the durable journal (created 0700). Env: {JOURNAL_ENV}.",
    )(command)


# -- serve ----------------------------------------------------------------------------


@click.command("serve", short_help="Scheduled Event Trigger: receive signed webhooks")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8080, show_default=True, help="TCP port."
)
@click.option("--path", default=DEFAULT_PATH, show_default=True, help="URL path deliveries use.")
@click.option(
    "--signing-key",
    "signing_keys",
    multiple=True,
    envvar=KEY_ENV,
    help=f"Webhook signing key (repeat to accept an old and a new one). Env: {KEY_ENV}; "
    f"or '{KEY_SETTING}' in --config; or the key kept in the journal by --subscribe.",
)
@_journal_option
@click.option(
    "--tolerance",
    type=click.FloatRange(1, 86_400),
    default=DEFAULT_TOLERANCE,
    show_default=True,
    help="Seconds a signature timestamp may be off from now (replay window).",
)
@click.option(
    "--max-body",
    type=click.IntRange(1024, 64 * 1024 * 1024),
    default=DEFAULT_MAX_BODY,
    show_default=True,
    help="Largest body accepted, in bytes (larger: 413).",
)
@click.option(
    "--config",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Settings file (the tap's JSON); TAP_CALENDLY_* variables win over it.",
)
@click.option(
    "--subscribe",
    "do_subscribe",
    is_flag=True,
    help="Create (or reuse) the Calendly subscription for --public-url before serving.",
)
@click.option("--public-url", help="URL Calendly posts to (your reverse proxy, https).")
@click.option(
    "--events",
    help="Comma-separated events to subscribe to. Default: the invitee and no-show events, "
    "plus routing_form_submission.created in organization scope.",
)
@click.option(
    "--scope",
    type=click.Choice(["organization", "user"]),
    help="Subscription scope. Default: the 'scope' setting (organization).",
)
@click.option(
    "--unsubscribe-on-exit",
    is_flag=True,
    help="On shutdown, delete the subscription this receiver created.",
)
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@one_line_errors
def serve(
    host: str,
    port: int,
    path: str,
    signing_keys: tuple[str, ...],
    journal: Path,
    tolerance: float,
    max_body: int,
    config: Path | None,
    do_subscribe: bool,
    public_url: str | None,
    events: str | None,
    scope: str | None,
    unsubscribe_on_exit: bool,
    log_level: str,
) -> None:
    """Receive Calendly webhooks: verify, journal durably, then acknowledge."""
    _logging(log_level)
    config = _config_path(config)
    if not path.startswith("/"):
        raise UsageError("--path must start with /")
    if (public_url or events or scope or unsubscribe_on_exit) and not do_subscribe:
        raise UsageError(
            "--public-url, --events, --scope and --unsubscribe-on-exit go with --subscribe"
        )
    if do_subscribe and not public_url:
        raise UsageError("--subscribe needs --public-url (the https URL Calendly will call)")
    mapping = _settings_mapping(config) if (config or do_subscribe) else {}
    prepare_directory(journal)
    keys, key_given = _signing_keys(signing_keys, mapping, journal, generate=do_subscribe)
    settings = Settings.parse(mapping) if do_subscribe else None
    chosen_scope = scope or (settings.scope if settings else "organization")
    wanted = _events(events, chosen_scope) if do_subscribe else ()
    url = _checked_url(public_url) if public_url else None
    app = ReceiverApp(
        ReceiverConfig(signing_keys=keys, path=path, tolerance=tolerance, max_body=max_body),
        journal,
    )
    try:
        server = ReceiverServer(app, host, port)
    except BaseException:
        app.close()
        raise
    subscription = None
    client = None
    served = False
    try:
        with _signals_end_serving(server):
            if settings is not None and url is not None:
                client = CalendlyClient.from_settings(settings)
                subscription = subscribe.subscribe(
                    client,
                    journal,
                    url=url,
                    events=wanted,
                    scope=chosen_scope,
                    signing_key=keys[0],
                    key_given=key_given,
                )
                verb = "created" if subscription.created else "reusing"
                click.echo(f"subscription {verb}: {subscription.uri}", err=True)
            click.echo(f"listening on {server.url} (journal {journal})", err=True)
            served = True
            server.run()
    finally:
        server.socket.close()
        app.close()
        if served:
            counts = app.stats.as_dict()
            click.echo(
                f"stopped: {counts['stored']} stored, {counts['duplicates']} duplicates, "
                f"{sum(counts['rejected'].values())} rejected",
                err=True,
            )
        if client is not None:
            try:
                if (
                    unsubscribe_on_exit
                    and subscription is not None
                    and subscribe.owned(journal, subscription.uri)
                ):
                    subscribe.unsubscribe(client, journal, subscription.uri)
                    click.echo(f"subscription deleted: {subscription.uri}", err=True)
            finally:
                client.close()


class _signals_end_serving:
    """SIGINT/SIGTERM end serving gracefully, whenever they come: before uvicorn runs
    (while subscribing) they make it stop right after starting; while it runs, uvicorn
    handles them and, once shut down, re-raises them into these handlers, which then
    only return, so the exit path (unsubscribe, counts) still runs."""

    def __init__(self, server: ReceiverServer) -> None:
        self.server = server

    def __enter__(self) -> None:
        self._old = {sig: signal.signal(sig, self._stop) for sig in (signal.SIGINT, signal.SIGTERM)}

    def __exit__(self, *exc: object) -> None:
        for sig, handler in self._old.items():
            signal.signal(sig, handler)

    def _stop(self, signum: int, frame: FrameType | None) -> None:
        self.server.server.should_exit = True


def _signing_keys(
    given: tuple[str, ...], mapping: dict[str, Any], journal: Path, *, generate: bool
) -> tuple[tuple[str, ...], bool]:
    """The keys to verify with, and whether the user supplied them."""
    keys = tuple(k.strip() for k in given if k.strip())
    if not keys:
        configured = mapping.get(KEY_SETTING)
        if isinstance(configured, str) and configured.strip():
            keys = (configured.strip(),)
    if keys:
        return keys, True
    kept = secret_files.read_key(journal)
    if kept is None and generate:
        kept, _ = secret_files.load_or_create_key(journal)
    if kept is None:
        raise UsageError(
            f"no signing key: pass --signing-key (or set {KEY_ENV}, or '{KEY_SETTING}' in "
            "--config), or use --subscribe to create a subscription with a generated key"
        )
    return (kept,), False


def _checked_url(url: str) -> str:
    if not url.startswith(("https://", "http://")) or url.endswith("://"):
        raise UsageError("--public-url must be an http(s) URL")
    return url


def _events(text: str | None, scope: str) -> tuple[str, ...]:
    if not text:
        return subscribe.default_events(scope)
    chosen = tuple(dict.fromkeys(e.strip() for e in text.split(",") if e.strip()))
    allowed = subscribe.default_events(scope)
    unknown = [e for e in chosen if e not in allowed]
    if unknown or not chosen:
        raise UsageError(
            f"--events: {', '.join(unknown) or 'none given'}; in {scope} scope choose from "
            f"{', '.join(allowed)}"
        )
    return chosen


# -- apply ----------------------------------------------------------------------------


@click.command("apply", short_help="Merge journaled webhook deliveries into DuckDB")
@click.option(
    "--database",
    type=click.Path(dir_okay=False, path_type=Path),
    envvar="TARGET_CALENDLY_DUCKDB_DATABASE",
    required=True,
    help="The loader's DuckDB file. Env: TARGET_CALENDLY_DUCKDB_DATABASE.",
)
@_journal_option
@click.option(
    "--schema",
    default=applying.DEFAULT_SCHEMA,
    envvar="TARGET_CALENDLY_DUCKDB_SCHEMA",
    show_default=True,
    help="Schema holding the loader's tables.",
)
@click.option(
    "--lock-timeout",
    type=click.FloatRange(0, 86_400),
    default=applying.DEFAULT_LOCK_TIMEOUT,
    show_default=True,
    help="Seconds to wait while a batch load holds the DuckDB file.",
)
@click.option(
    "--retention-days",
    type=click.FloatRange(0, 3650),
    default=applying.DEFAULT_RETENTION_DAYS,
    show_default=True,
    help="Keep applied deliveries this long (duplicates within it are still recognised).",
)
@click.option(
    "--skip-missing-tables",
    is_flag=True,
    help="Apply to the tables that exist and mark deliveries done, instead of keeping "
    "deliveries journaled until every table they need exists.",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON on stdout.")
@click.option(
    "--log-level",
    type=click.Choice(["debug", "info", "warning", "error"]),
    default="info",
    show_default=True,
)
@one_line_errors
def apply(
    database: Path,
    journal: Path,
    schema: str,
    lock_timeout: float,
    retention_days: float,
    skip_missing_tables: bool,
    as_json: bool,
    log_level: str,
) -> None:
    """Merge journaled deliveries into the loader's DuckDB tables (newest wins)."""
    _logging(log_level)
    report = applying.apply_journal(
        journal,
        database,
        schema=schema,
        lock_timeout=lock_timeout,
        retention_days=retention_days,
        skip_missing_tables=skip_missing_tables,
    )
    if as_json:
        click.echo(orjson.dumps(applying.describe(report)).decode())
    click.echo(report.summary(), err=True)
