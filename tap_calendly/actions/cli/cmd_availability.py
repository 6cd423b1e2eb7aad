"""availability-schedules, busy-times."""

from __future__ import annotations

import click

from tap_calendly.actions.cli.common import command, group, show, show_many
from tap_calendly.actions.cli.state import get_state

S = "calendly --sandbox"

schedules = group(
    "availability-schedules",
    "List and show availability schedules.",
    [f"{S} availability-schedules list"],
)
busy = group(
    "busy-times",
    "List a user's busy times.",
    [f"{S} busy-times list --start-time 2031-01-06T00:00:00Z --end-time 2031-01-13T00:00:00Z"],
)


def register(root: click.Group) -> None:
    root.add_command(schedules)
    root.add_command(busy)


@command(
    schedules,
    "list",
    "List a user's availability schedules",
    examples=[f"{S} availability-schedules list --output table"],
)
@click.option("--user", help="User URI (default: the token's user).")
def schedules_list(user: str | None) -> None:
    rows = get_state().client().availability_schedules.list(user=user)
    show_many(rows, ("uri", "name", "default", "timezone"))


@command(
    schedules,
    "get",
    "Show one availability schedule",
    examples=[f"{S} availability-schedules get UUID"],
)
@click.argument("uuid")
def schedules_get(uuid: str) -> None:
    show(get_state().client().availability_schedules.get(uuid))


@command(
    busy,
    "list",
    "List a user's busy times",
    examples=[
        f"{S} busy-times list --start-time 2031-01-06T00:00:00Z --end-time 2031-01-13T00:00:00Z"
    ],
    details="The window must be in the future and at most 7 days long.",
)
@click.option("--user", help="User URI (default: the token's user).")
@click.option("--start-time", required=True, help="ISO 8601 instant (future).")
@click.option("--end-time", required=True, help="ISO 8601 instant, at most 7 days later.")
def busy_list(user: str | None, start_time: str, end_time: str) -> None:
    rows = get_state().client().busy_times.list(user=user, start_time=start_time, end_time=end_time)
    show_many(rows, ("type", "start_time", "end_time", "event.uri"))
