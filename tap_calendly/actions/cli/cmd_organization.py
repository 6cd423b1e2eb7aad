"""me, users, memberships, invitations, groups, activity-log."""

from __future__ import annotations

import click

from tap_calendly.actions.cli.common import (
    add_get,
    add_removal,
    command,
    destructive_options,
    group,
    limit_option,
    output_option,
    show,
    show_many,
    write_options,
)
from tap_calendly.actions.cli.state import get_state

S = "calendly --sandbox"
ORG_HELP = "Organization URI (default: the token's current organization)."

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


@command(
    memberships,
    "list",
    "List organization memberships",
    examples=[f"{S} memberships list --role admin", f"{S} memberships list --email a@b.co"],
)
@click.option("--organization", help=ORG_HELP)
@click.option("--user", help="User URI: that user's memberships.")
@click.option("--email", help="Only the member with this e-mail.")
@click.option("--role", type=click.Choice(["owner", "admin", "user"]))
@limit_option
def memberships_list(
    organization: str | None,
    user: str | None,
    email: str | None,
    role: str | None,
    limit: int | None,
) -> None:
    rows = (
        get_state()
        .client()
        .memberships.list(organization=organization, user=user, email=email, role=role, limit=limit)
    )
    show_many(rows, ("uri", "role", "user.name", "user.email", "created_at"))


# -- invitations -------------------------------------------------------------------------


@command(
    invitations,
    "list",
    "List organization invitations",
    examples=[f"{S} invitations list --status pending"],
)
@click.option("--organization", help=ORG_HELP)
@click.option("--email", help="Only invitations sent to this e-mail.")
@click.option("--status", type=click.Choice(["pending", "accepted", "declined"]))
@click.option("--sort", type=click.Choice(["created_at:asc", "created_at:desc"]))
@limit_option
def invitations_list(
    organization: str | None,
    email: str | None,
    status: str | None,
    sort: str | None,
    limit: int | None,
) -> None:
    rows = (
        get_state()
        .client()
        .invitations.list(
            organization=organization, email=email, status=status, sort=sort, limit=limit
        )
    )
    show_many(rows, ("uri", "email", "status", "last_sent_at"))


@command(
    invitations,
    "get",
    "Show one invitation",
    examples=[f"{S} invitations get 010c4759-482c-4cbc-8343-5cc52eae05cf"],
)
@click.argument("uuid")
@click.option("--organization", help=ORG_HELP)
def invitations_get(uuid: str, organization: str | None) -> None:
    """UUID is the invitation's UUID or its full URI."""
    show(get_state().client().invitations.get(uuid, organization=organization))


@command(
    invitations,
    "create",
    "Invite someone to the organization",
    examples=[f"{S} invitations create --email new.hire@example.com"],
    details=(
        "Calendly e-mails the invitation. Retried after a connection failure; a retry "
        'answered "Already Invited" counts as done and shows the pending invitation. A '
        'first attempt answered "Already Invited" or "Already Organization Member" is an '
        "error (exit 3)."
    ),
)
@click.option("--email", required=True, help="Who to invite.")
@click.option("--organization", help=ORG_HELP)
@write_options
def invitations_create(email: str, organization: str | None, dry_run: bool) -> None:
    client = get_state().client(dry_run=dry_run)
    show(client.invitations.create(email, organization=organization))


@command(
    invitations,
    "revoke",
    "Revoke a pending invitation",
    examples=[f"{S} invitations revoke 010c4759-482c-4cbc-8343-5cc52eae05cf --yes"],
    details=(
        "The invitation link stops working. Only pending invitations can be revoked. "
        "Retried after a connection failure; a retry answered 404 counts as done."
    ),
)
@click.argument("uuid")
@click.option("--organization", help=ORG_HELP)
@destructive_options
def invitations_revoke(uuid: str, organization: str | None, yes: bool, dry_run: bool) -> None:
    state = get_state()
    state.confirm(f"Revoke invitation {uuid}?", yes=yes, dry_run=dry_run)
    show(state.client(dry_run=dry_run).invitations.revoke(uuid, organization=organization))


# -- groups and activity log -----------------------------------------------------------------


@command(groups, "list", "List groups", examples=[f"{S} groups list --output table"])
@click.option("--organization", help=ORG_HELP)
@limit_option
def groups_list(organization: str | None, limit: int | None) -> None:
    rows = get_state().client().groups.list(organization=organization, limit=limit)
    show_many(rows, ("uri", "name", "member_count", "updated_at"))


@command(
    activity,
    "list",
    "List activity log entries",
    examples=[
        f"{S} activity-log list --namespace User --limit 5",
        f"{S} activity-log list --sort occurred_at:asc --min-occurred-at 2025-01-01T00:00:00Z",
    ],
    details="Enterprise plans only (403 otherwise). Pages of up to 1000 entries.",
)
@click.option("--organization", help=ORG_HELP)
@click.option("--search-term", help="Calendly's search syntax, at most 300 characters.")
@click.option("--actor", multiple=True, help="User URI; repeat for several.")
@click.option("--namespace", multiple=True, help="e.g. User; repeat for several.")
@click.option("--action", multiple=True, help="e.g. Add; repeat for several.")
@click.option("--sort", multiple=True, help="FIELD:asc|desc (occurred_at, action, namespace ...).")
@click.option("--min-occurred-at", help="ISO 8601 instant.")
@click.option("--max-occurred-at", help="ISO 8601 instant.")
@limit_option
def activity_list(
    organization: str | None,
    search_term: str | None,
    actor: tuple[str, ...],
    namespace: tuple[str, ...],
    action: tuple[str, ...],
    sort: tuple[str, ...],
    min_occurred_at: str | None,
    max_occurred_at: str | None,
    limit: int | None,
) -> None:
    rows = (
        get_state()
        .client()
        .activity_log.list(
            organization=organization,
            search_term=search_term,
            actor=actor,
            namespace=namespace,
            action=action,
            sort=sort,
            min_occurred_at=min_occurred_at,
            max_occurred_at=max_occurred_at,
            limit=limit,
        )
    )
    show_many(rows, ("occurred_at", "fully_qualified_name", "actor.display_name", "uri"))


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
    call=lambda client, uuid: client.memberships.remove(uuid),
    example=f"{S} memberships remove 10a3d6b2-aa05-411a-b271-5945795e8229 --yes",
    details=(
        "Admins only; the owner cannot be removed. The user loses access at once and "
        "their user-scoped webhook subscriptions stop. Retried after a connection failure; "
        "a retry that finds the membership gone (404) counts as done."
    ),
)
add_get(groups, "groups", "Show one group", example=f"{S} groups get GROUP_UUID")
