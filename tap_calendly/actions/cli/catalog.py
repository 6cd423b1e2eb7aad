"""The seed connector's action names and the command that performs each.

``calendly --help`` prints this index, and each command's help carries its action name,
so ``calendly --help | grep -i "instanced"`` finds ``webhooks delete-instanced``.
"""

from __future__ import annotations

#: (connector action, command path after ``calendly``), alphabetical by action.
ACTIONS: tuple[tuple[str, str], ...] = (
    ("API Request (Raw Request)", "raw"),
    ("Cancel Event", "events cancel"),
    ("Create Invitee No Show", "no-shows mark"),
    ("Create Share", "shares create"),
    ("Create Single-Use Scheduling Link", "scheduling-links create"),
    ("Create Webhook Subscription", "webhooks create"),
    ("Data Compliance: Delete Invitee Data", "data-compliance delete-invitees"),
    ("Data Compliance: Delete Scheduled Event Data", "data-compliance delete-events"),
    ("Delete Instanced Webhooks", "webhooks delete-instanced"),
    ("Delete Invitee No Show", "no-shows unmark"),
    ("Delete Webhook Subscription", "webhooks delete"),
    ("Get Current User", "me"),
    ("Get Event", "events get"),
    ("Get Event Invitee", "invitees get"),
    ("Get Event Type", "event-types get"),
    ("Get Group", "groups get"),
    ("Get Invitee No Show", "no-shows get"),
    ("Get Organization Invitation", "invitations get"),
    ("Get Organization Membership", "memberships get"),
    ("Get Routing Form", "routing-forms get"),
    ("Get Routing Form Submission", "routing-form-submissions get"),
    ("Get User", "users get"),
    ("Get User Availability Schedule", "availability-schedules get"),
    ("Get Webhook Subscription", "webhooks get"),
    ("Invite User to Organization", "invitations create"),
    ("List Activity Log Entries", "activity-log list"),
    ("List Event Invitees", "invitees list"),
    ("List Event Type Available Times", "event-types available-times"),
    ("List Events", "events list"),
    ("List Groups", "groups list"),
    ("List Organization Invitations", "invitations list"),
    ("List Organization Memberships", "memberships list"),
    ("List Routing Form Submissions", "routing-form-submissions list"),
    ("List Routing Forms", "routing-forms list"),
    ("List User Availability Schedules", "availability-schedules list"),
    ("List User Busy Times", "busy-times list"),
    ("List User's Event Types", "event-types list"),
    ("List Webhook Subscriptions", "webhooks list"),
    ("Remove User from Organization", "memberships remove"),
    ("Revoke User's Organization Invitation", "invitations revoke"),
)


def action_for(path: str) -> str | None:
    """The connector action a command path performs, if any."""
    return next((name for name, where in ACTIONS if where == path), None)


def index() -> str:
    """The root help's action index (one line per action)."""
    width = max(len(name) for name, _ in ACTIONS)
    lines = [f"  {name.ljust(width)}  calendly {path}" for name, path in ACTIONS]
    return "\b\nConnector actions (find one with: calendly --help | grep -i NAME):\n" + "\n".join(
        lines
    )
