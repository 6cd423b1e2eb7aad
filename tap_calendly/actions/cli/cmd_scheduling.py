"""events, invitees, event-types, shares, scheduling-links, no-shows."""

from __future__ import annotations

import click

from tap_calendly.actions.cli.common import (
    add_get,
    add_list,
    add_removal,
    add_write,
    command,
    created_at_sort,
    group,
    limit_option,
    show,
    write_options,
)
from tap_calendly.actions.cli.state import get_state

S = "calendly --sandbox"
OWNER_HELP = "Default: the settings' scope (organization, or the token's user)."

events = group(
    "events",
    "List, show and cancel scheduled events.",
    [
        f"{S} events list --status active --min-start-time 2030-01-01T00:00:00Z --limit 5",
        f'{S} events cancel EVENT_UUID --reason "Double-booked" --yes',
    ],
)
invitees = group(
    "invitees",
    "List and show an event's invitees.",
    [f"{S} invitees list EVENT_UUID --output table"],
)
event_types = group(
    "event-types",
    "List and show event types and bookable times.",
    [f"{S} event-types list --active --output table"],
)
shares = group(
    "shares",
    "Create customised shares of an event type.",
    [f"{S} shares create --event-type EVENT_TYPE_URI --name 'Intro call' --duration 30"],
)
links = group(
    "scheduling-links",
    "Create single-use booking links.",
    [f"{S} scheduling-links create --owner EVENT_TYPE_URI"],
)
no_shows = group(
    "no-shows",
    "Mark and unmark invitees as no-shows.",
    [f"{S} no-shows mark INVITEE_URI", f"{S} no-shows unmark NO_SHOW_UUID --yes"],
)


def register(root: click.Group) -> None:
    for sub in (events, invitees, event_types, shares, links, no_shows):
        root.add_command(sub)


# -- events ------------------------------------------------------------------------------

add_list(
    events,
    "list",
    "List scheduled events",
    method=lambda client: client.events.list,
    columns=("uri", "name", "status", "start_time", "invitees_counter.active"),
    examples=[
        f"{S} events list --status active --limit 5",
        f"{S} events list --invitee-email someone@example.com --output table",
    ],
    details=OWNER_HELP,
    params=[
        click.option("--user", help="User URI: that user's events."),
        click.option("--organization", help="Organization URI: all its events (admin token)."),
        click.option("--invitee-email", help="Only events this e-mail is invited to."),
        click.option("--status", type=click.Choice(["active", "canceled"])),
        click.option("--sort", type=click.Choice(["start_time:asc", "start_time:desc"])),
        click.option("--min-start-time", help="ISO 8601 instant, e.g. 2024-01-31T00:00:00Z."),
        click.option("--max-start-time", help="ISO 8601 instant."),
        limit_option,
    ],
)
add_removal(
    events,
    "cancel",
    "Cancel a scheduled event",
    question="Cancel event {uuid} and notify its invitees?",
    method=lambda client: client.events.cancel,
    example=f'{S} events cancel EVENT_UUID --reason "Double-booked" --yes',
    details=(
        "Calendly notifies the invitees. Retried after a connection failure: a retry "
        'answered "Event is already canceled" counts as done and prints the recorded '
        "cancellation. Canceling an event that was already canceled (or has started) on the "
        "first attempt is an error (exit 3, 403)."
    ),
    params=[click.option("--reason", help="Shown to the invitees; at most 10,000 characters.")],
)


# -- invitees ------------------------------------------------------------------------------

# EVENT is the event's UUID or URI.
add_list(
    invitees,
    "list",
    "List the invitees of an event",
    method=lambda client: client.invitees.list,
    columns=("uri", "name", "email", "status", "created_at"),
    examples=[f"{S} invitees list EVENT_UUID --status active"],
    params=[
        click.argument("event"),
        click.option("--status", type=click.Choice(["active", "canceled"])),
        click.option("--email", help="Only the invitee with this e-mail."),
        created_at_sort,
        limit_option,
    ],
)


@command(
    invitees,
    "get",
    "Show one invitee",
    examples=[f"{S} invitees get INVITEE_URI", f"{S} invitees get EVENT_UUID INVITEE_UUID"],
)
@click.argument("invitee")
@click.argument("invitee_uuid", required=False)
def invitees_get(invitee: str, invitee_uuid: str | None) -> None:
    """INVITEE is the invitee's URI, or the event UUID followed by the invitee UUID."""
    show(get_state().client().invitees.get(invitee, invitee_uuid))


# -- event types ---------------------------------------------------------------------------

add_list(
    event_types,
    "list",
    "List event types",
    method=lambda client: client.event_types.list,
    columns=("uri", "name", "active", "duration", "kind"),
    examples=[f"{S} event-types list --active --output table"],
    details=OWNER_HELP,
    params=[
        click.option("--user", help="User URI: that user's event types."),
        click.option("--organization", help="Organization URI: all its event types."),
        click.option("--active/--inactive", default=None, help="Only active (or inactive) types."),
        click.option("--admin-managed/--not-admin-managed", default=None),
        click.option("--sort", type=click.Choice(["name:asc", "name:desc"])),
        limit_option,
    ],
)
# EVENT_TYPE is the event type's URI.
add_list(
    event_types,
    "available-times",
    "List bookable times of an event type",
    method=lambda client: client.event_types.available_times,
    columns=("start_time", "status", "invitees_remaining", "scheduling_url"),
    examples=[
        f"{S} event-types available-times EVENT_TYPE_URI "
        "--start-time 2031-01-06T00:00:00Z --end-time 2031-01-13T00:00:00Z"
    ],
    details="The window must be in the future and at most 31 days long.",
    params=[
        click.argument("event_type"),
        click.option("--start-time", required=True, help="ISO 8601 instant (future)."),
        click.option("--end-time", required=True, help="ISO 8601 instant, at most 31 days later."),
    ],
)


# -- shares and single-use links -----------------------------------------------------------

add_write(
    shares,
    "create",
    "Create a share of an event type",
    method=lambda client: client.shares.create,
    examples=[
        f"{S} shares create --event-type EVENT_TYPE_URI --duration 45 "
        "--period-type fixed --start-date 2031-02-01 --end-date 2031-02-14",
    ],
    details=(
        "Omitted fields are copied from the event type. --period-type fixed needs "
        "--start-date and --end-date; moving and available_moving need --max-booking-time "
        "(days). Checked before anything is sent. Never repeated after a connection "
        "failure (a repeat would create a second share)."
    ),
    params=[
        click.option("--event-type", required=True, help="Event type URI."),
        click.option("--name", help="At most 55 characters."),
        click.option("--duration", type=int, help="Minutes, 1 to 720."),
        click.option(
            "--period-type",
            type=click.Choice(["available_moving", "moving", "fixed", "unlimited"]),
        ),
        click.option("--start-date", help="YYYY-MM-DD (period type fixed)."),
        click.option("--end-date", help="YYYY-MM-DD (period type fixed)."),
        click.option("--max-booking-time", type=int, help="Days ahead (moving, available_moving)."),
        click.option("--hide-location/--show-location", default=None),
        click.option(
            "--location-configurations", help='JSON array, e.g. \'[{"kind": "zoom_conference"}]\'.'
        ),
        click.option(
            "--availability-rule",
            help='JSON object: {"timezone": "...", "rules": [{"type": "wday", ...}]}.',
        ),
    ],
)
add_write(
    links,
    "create",
    "Create a single-use scheduling link",
    method=lambda client: client.scheduling_links.create,
    examples=[f"{S} scheduling-links create --owner EVENT_TYPE_URI"],
    details=(
        "The link books one event, then expires. Never repeated after a connection "
        "failure (a repeat would create a second link)."
    ),
    params=[
        click.option("--owner", required=True, help="Event type URI."),
        click.option(
            "--owner-type", default="EventType", show_default=True, help="Always EventType."
        ),
        click.option("--max-event-count", type=int, default=1, show_default=True, help="Always 1."),
    ],
)


# -- no-shows ------------------------------------------------------------------------------


@command(
    no_shows,
    "mark",
    "Mark an invitee as a no-show",
    examples=[f"{S} no-shows mark INVITEE_URI"],
    details=(
        "The event must have started. Retried after a connection failure; a retry answered "
        '"already marked" counts as done and shows the existing mark.'
    ),
)
@click.argument("invitee_uri")
@write_options
def no_shows_mark(invitee_uri: str, dry_run: bool) -> None:
    show(get_state().client(dry_run=dry_run).no_shows.mark(invitee_uri))


add_get(events, "events", "Show one scheduled event", example=f"{S} events get EVENT_UUID")
add_get(event_types, "event_types", "Show one event type", example=f"{S} event-types get UUID")
add_get(no_shows, "no_shows", "Show one no-show mark", example=f"{S} no-shows get NO_SHOW_UUID")
add_removal(
    no_shows,
    "unmark",
    "Undo a no-show mark",
    question="Delete no-show mark {uuid}?",
    method=lambda client: client.no_shows.unmark,
    example=f"{S} no-shows unmark NO_SHOW_UUID --yes",
    details="Retried after a connection failure; a retry answered 404 counts as done.",
)
