"""me, users, memberships, invitations, groups, activity-log against the sandbox."""

from __future__ import annotations

from tests.support.sandbox_config import reconfigured

from . import ids

INVITATION = f"{ids.ORG}/invitations/{ids.PENDING_INVITATION}"
MEMBERSHIP = f"{ids.API}/organization_memberships/{ids.MEMBERSHIP}"


def test_me_and_users_get(cli):
    me = cli("me")
    assert me.code == 0, me.err
    assert me.json["uri"] == ids.OWNER
    assert cli("users", "get", "me").json == me.json
    assert cli("users", "get", ids.OWNER).json == me.json
    table = cli("me", "--output", "table")
    assert any(line.split() == ["uri", ids.OWNER] for line in table.out.splitlines())


def test_invitation_create_list_get_and_revoke(cli, sandbox):
    made = cli("invitations", "create", "--email", "new.hire@example.com")
    assert made.code == 0, made.err
    assert made.json["status"] == "pending"
    assert sandbox.org.get("organization_invitations", made.json["uri"])["email"] == (
        "new.hire@example.com"
    )
    listed = cli("invitations", "list", "--email", "new.hire@example.com")
    assert [i["uri"] for i in listed.json] == [made.json["uri"]]
    assert cli("invitations", "get", made.json["uri"]).json == made.json

    again = cli("invitations", "create", "--email", "new.hire@example.com")
    assert again.code == 3
    assert "400 Already Invited" in again.error_line

    revoked = cli("invitations", "revoke", made.json["uri"], "--yes")
    assert revoked.code == 0, revoked.err
    assert revoked.json["result"] == "revoked"
    assert sandbox.org.get("organization_invitations", made.json["uri"]) is None
    gone = cli("invitations", "revoke", made.json["uri"], "--yes")
    assert gone.code == 3
    assert "404" in gone.error_line


def test_invitation_checks(cli, sent):
    member = cli("invitations", "create", "--email", ids.MEMBER_EMAIL)
    assert member.code == 3
    assert "Already Organization Member" in member.error_line
    bad = cli("invitations", "create", "--email", "not-an-address")
    assert bad.code == 2
    assert "not an e-mail address" in bad.error_line
    assert sent("POST /organizations/{uuid}/invitations") == 1  # only the member's
    as_member = cli("invitations", "create", "--email", "x@example.com", member_token=True)
    assert as_member.code == 3
    assert "403" in as_member.error_line


def test_revoke_by_uuid_uses_the_tokens_organization(cli, sandbox):
    result = cli("invitations", "revoke", ids.PENDING_INVITATION, "--dry-run")
    assert result.code == 0, result.err
    assert result.json["request"]["method"] == "DELETE"
    assert result.json["request"]["url"].endswith(
        f"/organizations/{ids.ORG_UUID}/invitations/{ids.PENDING_INVITATION}"
    )
    assert sandbox.org.get("organization_invitations", INVITATION)["status"] == "pending"


def test_memberships_list_get_and_remove(cli, sandbox):
    admins = cli("memberships", "list", "--role", "user", "--output", "table")
    assert admins.code == 0, admins.err
    assert admins.out.splitlines()[0].split() == [
        "URI",
        "ROLE",
        "USER.NAME",
        "USER.EMAIL",
        "CREATED_AT",
    ]
    found = cli("memberships", "list", "--email", ids.MEMBER_EMAIL)
    assert [m["uri"] for m in found.json] == [MEMBERSHIP]
    assert cli("memberships", "get", ids.MEMBERSHIP).json["uri"] == MEMBERSHIP

    as_member = cli("memberships", "remove", ids.MEMBERSHIP, "--yes", member_token=True)
    assert as_member.code == 3
    assert "403" in as_member.error_line
    removed = cli("memberships", "remove", MEMBERSHIP, "--yes")
    assert removed.code == 0, removed.err
    assert removed.json == {"uri": MEMBERSHIP, "result": "removed", "already_done": False}
    assert sandbox.org.get("organization_memberships", MEMBERSHIP) is None


def test_the_owner_cannot_be_removed(cli, sandbox):
    owner = next(m for m in sandbox.org.records("organization_memberships") if m["role"] == "owner")
    result = cli("memberships", "remove", owner["uri"], "--yes")
    assert result.code == 3
    assert "403 Permission Denied: You can not change owner role" in result.error_line


def test_groups_and_activity_log(cli, sandbox):
    groups = cli("groups", "list")
    assert groups.code == 0, groups.err
    assert f"{ids.API}/groups/{ids.GROUP}" in [g["uri"] for g in groups.json]
    assert cli("groups", "get", ids.GROUP).json["uri"] == f"{ids.API}/groups/{ids.GROUP}"
    entries = cli("activity-log", "list", "--namespace", "User", "--limit", "5")
    assert entries.code == 0, entries.err
    assert len(entries.json) == 5
    assert all(e["namespace"] == "User" for e in entries.json)
    bad_sort = cli("activity-log", "list", "--sort", "name:asc")
    assert bad_sort.code == 2


def test_activity_log_needs_enterprise(cli, sandbox):
    with reconfigured(sandbox, plan="teams"):
        result = cli("activity-log", "list", "--limit", "1")
    assert result.code == 3
    assert "403 Permission Denied" in result.error_line


def test_routing_forms_schedules_and_busy_times(cli):
    forms = cli("routing-forms", "list")
    assert ids.ROUTING_FORM in [f["uri"] for f in forms.json]
    assert cli("routing-forms", "get", ids.ROUTING_FORM_UUID).json["uri"] == ids.ROUTING_FORM
    submissions = cli(
        "routing-form-submissions", "list", "--form", ids.ROUTING_FORM, "--limit", "3"
    )
    assert len(submissions.json) == 3
    assert all(s["routing_form"] == ids.ROUTING_FORM for s in submissions.json)
    one = cli("routing-form-submissions", "get", ids.SUBMISSION)
    assert one.json["uri"].endswith(ids.SUBMISSION)
    schedules = cli("availability-schedules", "list")
    assert [s["user"] for s in schedules.json] == [ids.OWNER] * len(schedules.json)
    assert cli("availability-schedules", "get", ids.SCHEDULE).json["user"] == ids.OWNER
    busy = cli(
        "busy-times", "list", "--start-time", "2030-01-08T00:00:00Z", "--end-time",
        "2030-01-15T00:00:00Z",
    )  # fmt: skip
    assert busy.code == 0, busy.err
    assert all(b["type"] in ("calendly", "external") for b in busy.json)
    too_long = cli(
        "busy-times", "list", "--start-time", "2030-01-08T00:00:00Z", "--end-time",
        "2030-01-16T00:00:00Z",
    )  # fmt: skip
    assert too_long.code == 2
    assert "at most 7 days" in too_long.error_line
