"""data-compliance: delete-invitees, delete-events (Enterprise), with the DuckDB copy."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from tap_calendly.actions import validate
from tap_calendly.actions.cli.common import command, destructive_options, group, show, stack
from tap_calendly.actions.cli.state import get_state
from tap_calendly.actions.client import Calendly

S = "calendly --sandbox"
DUCKDB_HELP = (
    "Also erase the same data from this DuckDB database loaded by target-calendly-duckdb "
    "(opened before anything is sent; fails if a load holds it)."
)
erasure_options = stack(
    click.option(
        "--duckdb", "database", type=click.Path(dir_okay=False, path_type=Path), help=DUCKDB_HELP
    ),
    click.option(
        "--no-api", is_flag=True, help="Only the --duckdb erasure (Calendly was asked already)."
    ),
    destructive_options,
)

compliance = group(
    "data-compliance",
    "Erase invitee or event data (Enterprise).",
    [
        f"{S} data-compliance delete-invitees someone@example.com --yes",
        "calendly --config tap.json data-compliance delete-invitees someone@example.com "
        "--duckdb calendly.duckdb --yes",
    ],
)


def register(root: click.Group) -> None:
    root.add_command(compliance)


def _erase(question: str, call: Callable[[Calendly], Any], *, yes: bool, dry_run: bool) -> None:
    """Confirm, then erase with the (dry-run) client and show what was done."""
    state = get_state()
    state.confirm(question, yes=yes, dry_run=dry_run)
    show(call(state.client(dry_run=dry_run)))


@command(
    compliance,
    "delete-invitees",
    "Erase all data of invitees by e-mail",
    examples=[f"{S} data-compliance delete-invitees someone@example.com other@example.com --yes"],
    details=(
        "Calendly removes the invitees from every past booking within 7 days (202 "
        "Accepted). With --duckdb, every row of the database that holds one of the "
        "addresses (in any column, JSON included) is deleted, with the rows that depend on "
        "an erased invitee (its routing form submissions, its no-shows). Retried after a "
        "connection failure: asking twice erases once."
    ),
)
@click.argument("emails", nargs=-1, required=True)
@erasure_options
def delete_invitees(
    emails: tuple[str, ...], database: Path | None, no_api: bool, yes: bool, dry_run: bool
) -> None:
    addresses = validate.emails(emails)
    places = ([] if no_api else ["in Calendly"]) + ([f"in {database}"] if database else [])
    _erase(
        f"Erase all data of {len(addresses)} invitee(s) {' and '.join(places)}?",
        lambda client: client.data_compliance.delete_invitees(
            addresses, duckdb=database, api=not no_api
        ),
        yes=yes,
        dry_run=dry_run,
    )


@command(
    compliance,
    "delete-events",
    "Erase scheduled events in a time range",
    examples=[
        f"{S} data-compliance delete-events --start-time 2024-01-01T00:00:00Z "
        "--end-time 2024-02-01T00:00:00Z --yes"
    ],
    details=(
        "Events starting in [start, end): the range must be in the past and at most 24 "
        "months long (Calendly's limits, checked before anything is sent). With --duckdb, "
        "those events, their invitees and the rows depending on those are deleted from the "
        "database. Retried after a connection failure: asking twice erases once."
    ),
)
@click.option("--start-time", required=True, help="ISO 8601 instant.")
@click.option("--end-time", required=True, help="ISO 8601 instant, in the past.")
@erasure_options
def delete_events(
    start_time: str, end_time: str, database: Path | None, no_api: bool, yes: bool, dry_run: bool
) -> None:
    start, end = validate.deletion_range(start_time, end_time)
    _erase(
        f"Erase every event starting from {validate.calendly_time(start)} to "
        f"{validate.calendly_time(end)}?",
        lambda client: client.data_compliance.delete_events(
            start, end, duckdb=database, api=not no_api
        ),
        yes=yes,
        dry_run=dry_run,
    )
