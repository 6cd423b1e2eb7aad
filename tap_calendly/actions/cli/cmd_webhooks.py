"""webhooks: list, get, create, delete, delete-instanced."""

from __future__ import annotations

import click

from tap_calendly.actions.cli.common import (
    add_get,
    add_list,
    add_removal,
    add_write,
    command,
    created_at_sort,
    destructive_options,
    group,
    limit_option,
    show,
    show_many,
)
from tap_calendly.actions.cli.state import get_state
from tap_calendly.actions.validate import WEBHOOK_EVENTS

S = "calendly --sandbox"
COLUMNS = ("uri", "callback_url", "state", "scope", "events")
ORGANIZATION = click.option("--organization", help="Organization URI (default: the token's).")
SCOPED_USER = click.option("--user", help="User URI for --scope user (default: the token's user).")

webhooks = group(
    "webhooks",
    "Manage webhook subscriptions.",
    [
        f"{S} webhooks create --url https://hooks.example.com/calendly "
        "--event invitee.created --event invitee.canceled --scope organization",
        f"{S} webhooks delete-instanced --url https://hooks.example.com/ --yes",
    ],
)


def register(root: click.Group) -> None:
    root.add_command(webhooks)


add_list(
    webhooks,
    "list",
    "List webhook subscriptions",
    method=lambda client: client.webhooks.list,
    columns=COLUMNS,
    examples=[f"{S} webhooks list --scope organization --output table"],
    details="Organization scope needs an admin token. Default scope: the settings' scope.",
    params=[
        click.option("--scope", type=click.Choice(["organization", "user"])),
        ORGANIZATION,
        SCOPED_USER,
        created_at_sort,
        limit_option,
    ],
)
add_write(
    webhooks,
    "create",
    "Create a webhook subscription",
    method=lambda client: client.webhooks.create,
    examples=[
        f"{S} webhooks create --url https://hooks.example.com/calendly "
        "--event invitee.created --scope organization",
        f"{S} webhooks create --url https://hooks.example.com/me --event invitee.canceled "
        "--scope user",
    ],
    details=(
        "Organization and user default to the token's (/users/me). The signing key can "
        "come from CALENDLY_WEBHOOK_SIGNING_KEY instead of the command line; it is never "
        "printed. A URL that is already subscribed is an error (exit 3, 409); a retry "
        'after a connection failure answered 409 "Already Exists" counts as done and shows '
        "the subscription."
    ),
    params=[
        click.option("--url", required=True, help="Callback URL (http or https)."),
        click.option(
            "--event",
            "events",
            multiple=True,
            required=True,
            type=click.Choice(WEBHOOK_EVENTS),
            help="Event to receive; repeat for several.",
        ),
        click.option("--scope", required=True, type=click.Choice(["organization", "user"])),
        ORGANIZATION,
        SCOPED_USER,
        click.option(
            "--signing-key",
            envvar="CALENDLY_WEBHOOK_SIGNING_KEY",
            help="Secret Calendly signs deliveries with.",
        ),
    ],
)


@command(
    webhooks,
    "delete-instanced",
    "Delete every subscription whose URL starts with a prefix",
    examples=[f"{S} webhooks delete-instanced --url https://hooks.example.com/ --yes"],
    details=(
        "Prints the subscriptions it deleted. Without --scope both scopes are searched "
        "(organization scope is skipped, with a note, when the token may not list it). "
        "Each delete is retried after a connection failure; 404 on a retry counts as done."
    ),
)
@click.option("--url", required=True, help="Callback URL prefix, including scheme and host.")
@click.option("--scope", type=click.Choice(["organization", "user"]))
@click.option("--user", help="User URI for the user scope (default: the token's user).")
@destructive_options
def webhooks_delete_instanced(
    url: str, scope: str | None, user: str | None, yes: bool, dry_run: bool
) -> None:
    state = get_state()
    hooks_api = state.client(dry_run=dry_run).webhooks
    found, notes = hooks_api.instanced(url, scope=scope, user=user)
    for note in notes:
        click.echo(f"calendly: note: {note}", err=True)
    if found:
        state.confirm(
            f"Delete {len(found)} webhook subscription(s) whose URL starts with {url}?",
            yes=yes,
            dry_run=dry_run,
        )
    result = hooks_api.delete_all(found)
    if dry_run:
        show(result)
    else:
        show_many(result["deleted"], COLUMNS)


add_get(webhooks, "webhooks", "Show one subscription", example=f"{S} webhooks get UUID")
add_removal(
    webhooks,
    "delete",
    "Delete a webhook subscription",
    question="Delete webhook subscription {uuid}?",
    method=lambda client: client.webhooks.delete,
    example=f"{S} webhooks delete UUID --yes",
    details="Retried after a connection failure; a retry answered 404 counts as done.",
)
