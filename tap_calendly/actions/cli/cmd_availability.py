"""availability-schedules, busy-times."""

from __future__ import annotations

import click

from tap_calendly.actions.cli.common import add_list, command, group, show
from tap_calendly.actions.cli.state import get_state

S = "calendly --sandbox"
USER = click.option("--user", help="User URI (default: the token's user).")

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


add_list(
    schedules,
    "list",
    "List a user's availability schedules",
    method=lambda client: client.availability_schedules.list,
    columns=("uri", "name", "default", "timezone"),
    examples=[f"{S} availability-schedules list --output table"],
    params=[USER],
)


@command(
    schedules,
    "get",
    "Show one availability schedule",
    examples=[f"{S} availability-schedules get UUID"],
)
@click.argument("uuid")
def schedules_get(uuid: str) -> None:
    show(get_state().client().availability_schedules.get(uuid))


add_list(
    busy,
    "list",
    "List a user's busy times",
    method=lambda client: client.busy_times.list,
    columns=("type", "start_time", "end_time", "event.uri"),
    examples=[
        f"{S} busy-times list --start-time 2031-01-06T00:00:00Z --end-time 2031-01-13T00:00:00Z"
    ],
    details="The window must be in the future and at most 7 days long.",
    params=[
        USER,
        click.option("--start-time", required=True, help="ISO 8601 instant (future)."),
        click.option("--end-time", required=True, help="ISO 8601 instant, at most 7 days later."),
    ],
)
