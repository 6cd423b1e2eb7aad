"""me, users, memberships, invitations, groups, activity-log."""

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
    output_option,
    show,
)
from tap_calendly.actions.cli.state import get_state

S = "calendly --sandbox"
ORGANIZATION = click.option(
    "--organization", help="Organization URI (default: the token's current organization)."
)

users = group("users", "Show users.", [f"{S} users get me"])
memberships = group(
    "memberships",
    "List, show and remove organization members.",
    [
        f"{S} memberships list --role admin --output table",
        f"{S} memberships remove 6d76b07e-881e-4162-ae2e-b1547f150524 --yes",
    ],
)
invitations = group(
    "invitations",
    "List, send and revoke organization invitations.",
    [
        f"{S} invitations create --email new.hire@example.com",
        f"{S} invitations list --status pending --output table",
    ],
)
groups = group("groups", "List and show groups.", [f"{S} groups list"])
activity = group(
    "activity-log",
    "Read the activity log (Enterprise).",
    [f"{S} activity-log list --namespace User --limit 5"],
)


def register(root: click.Group) -> None:
    root.commands = {"me": me, **root.commands}
    for sub in (users, memberships, invitations, groups, activity):
        root.add_command(sub)


@click.command(
    "me",
    help='Show the user the token belongs to ("Get Current User").',
    short_help='Show the token\'s user ("Get Current User")',
    epilog=f"\b\nExamples:\n  $ {S} me\n  $ calendly --config tap.json me --output table",
)
@output_option
def me() -> None:
    show(get_state().client().users.me())


# -- memberships -------------------------------------------------------------------------

add_list(
    memberships,
    "list",
    "List organization memberships",
    method=lambda client: client.memberships.list,
    columns=("uri", "role", "user.name", "user.email", "created_at"),
    examples=[f"{S} memberships list --role admin", f"{S} memberships list --email a@b.co"],
    params=[
        ORGANIZATION,
        click.option("--user", help="User URI: that user's memberships."),
        click.option("--email", help="Only the member with this e-mail."),
        click.option("--role", type=click.Choice(["owner", "admin", "user"])),
        limit_option,
    ],
)


# -- invitations -------------------------------------------------------------------------

add_list(
    invitations,
    "list",
    "List organization invitations",
    method=lambda client: client.invitations.list,
    columns=("uri", "email", "status", "last_sent_at"),
    examples=[f"{S} invitations list --status pending"],
    params=[
        ORGANIZATION,
        click.option("--email", help="Only invitations sent to this e-mail."),
        click.option("--status", type=click.Choice(["pending", "accepted", "declined"])),
        created_at_sort,
        limit_option,
    ],
)


@command(
    invitations,
    "get",
    "Show one invitation",
    examples=[f"{S} invitations get 010c4759-482c-4cbc-8343-5cc52eae05cf"],
)
@click.argument("uuid")
@ORGANIZATION
def invitations_get(uuid: str, organization: str | None) -> None:
    """UUID is the invitation's UUID or its full URI."""
    show(get_state().client().invitations.get(uuid, organization=organization))


add_write(
    invitations,
    "create",
    "Invite someone to the organization",
    method=lambda client: client.invitations.create,
    examples=[f"{S} invitations create --email new.hire@example.com"],
    details=(
        "Calendly e-mails the invitation. Retried after a connection failure; a retry "
        'answered "Already Invited" counts as done and shows the pending invitation. A '
        'first attempt answered "Already Invited" or "Already Organization Member" is an '
        "error (exit 3)."
    ),
    params=[click.option("--email", required=True, help="Who to invite."), ORGANIZATION],
)
add_removal(
    invitations,
    "revoke",
    "Revoke a pending invitation",
    question="Revoke invitation {uuid}?",
    method=lambda client: client.invitations.revoke,
    example=f"{S} invitations revoke 010c4759-482c-4cbc-8343-5cc52eae05cf --yes",
    details=(
        "The invitation link stops working. Only pending invitations can be revoked. "
        "Retried after a connection failure; a retry answered 404 counts as done."
    ),
    params=[ORGANIZATION],
)


# -- groups and activity log -----------------------------------------------------------------

add_list(
    groups,
    "list",
    "List groups",
    method=lambda client: client.groups.list,
    columns=("uri", "name", "member_count", "updated_at"),
    examples=[f"{S} groups list --output table"],
    params=[ORGANIZATION, limit_option],
)
add_list(
    activity,
    "list",
    "List activity log entries",
    method=lambda client: client.activity_log.list,
    columns=("occurred_at", "fully_qualified_name", "actor.display_name", "uri"),
    examples=[
        f"{S} activity-log list --namespace User --limit 5",
        f"{S} activity-log list --sort occurred_at:asc --min-occurred-at 2025-01-01T00:00:00Z",
    ],
    details="Enterprise plans only (403 otherwise). Pages of up to 1000 entries.",
    params=[
        ORGANIZATION,
        click.option("--search-term", help="Calendly's search syntax, at most 300 characters."),
        click.option("--actor", multiple=True, help="User URI; repeat for several."),
        click.option("--namespace", multiple=True, help="e.g. User; repeat for several."),
        click.option("--action", multiple=True, help="e.g. Add; repeat for several."),
        click.option(
            "--sort", multiple=True, help="FIELD:asc|desc (occurred_at, action, namespace ...)."
        ),
        click.option("--min-occurred-at", help="ISO 8601 instant."),
        click.option("--max-occurred-at", help="ISO 8601 instant."),
        limit_option,
    ],
)


add_get(users, "users", "Show one user (UUID, URI or me)", example=f"{S} users get me")
add_get(
    memberships,
    "memberships",
    "Show one membership",
    example=f"{S} memberships get 10a3d6b2-aa05-411a-b271-5945795e8229",
)
add_removal(
    memberships,
    "remove",
    "Remove a user from the organization",
    question="Remove membership {uuid} from the organization?",
    method=lambda client: client.memberships.remove,
    example=f"{S} memberships remove 10a3d6b2-aa05-411a-b271-5945795e8229 --yes",
    details=(
        "Admins only; the owner cannot be removed. The user loses access at once and "
        "their user-scoped webhook subscriptions stop. Retried after a connection failure; "
        "a retry that finds the membership gone (404) counts as done."
    ),
)
add_get(groups, "groups", "Show one group", example=f"{S} groups get GROUP_UUID")
