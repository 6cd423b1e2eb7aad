"""Consistency checks over a whole organization, for tests of every part that changes it.

Each check returns human-readable problems (empty when consistent) rather than raising,
so a failing test shows every broken record at once.
"""

from __future__ import annotations

import re
from typing import Any

from tap_calendly.sandbox.store import SandboxOrg

TS_PATTERN = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$")


def _links_back(table: dict[str, dict[str, Any]], target: str, key: str, uri: str) -> bool:
    """The record ``target`` exists in ``table`` and names ``uri`` under ``key``."""
    found = table.get(target)
    return found is not None and found[key] == uri


def integrity_problems(org: SandboxOrg, *, after_compliance: bool = False) -> list[str]:
    """Cross-record references and derived fields that must agree.

    ``after_compliance``: a data-compliance deletion may remove the last active invitee
    of an event that stays active (deleting data cancels no meeting), so that one rule
    is skipped."""
    problems: list[str] = []
    c = org.collections
    events, invitees = c["scheduled_events"], c["event_invitees"]
    for uri, event in events.items():
        if event["event_type"] not in c["event_types"]:
            problems.append(f"{uri}: event_type missing")
        mine = org.children_of("event_invitees", uri)
        counter = event["invitees_counter"]
        active = sum(1 for i in mine if i["status"] == "active")
        if (counter["total"], counter["active"]) != (len(mine), active):
            problems.append(f"{uri}: invitees_counter {counter} vs {len(mine)}/{active}")
        if active > counter["limit"]:
            problems.append(f"{uri}: more active invitees than the limit")
        if (event["status"] == "canceled") != ("cancellation" in event):
            problems.append(f"{uri}: status {event['status']} vs cancellation")
        if event["status"] == "active" and mine and active == 0 and not after_compliance:
            problems.append(f"{uri}: active event without active invitees")
    for uri, invitee in invitees.items():
        parent = events.get(invitee["event"])
        if parent is None or not uri.startswith(invitee["event"] + "/invitees/"):
            problems.append(f"{uri}: event missing or uri not under it")
            continue
        if (invitee["status"] == "canceled") != ("cancellation" in invitee):
            problems.append(f"{uri}: status {invitee['status']} vs cancellation")
        if invitee["rescheduled"] != (invitee["new_invitee"] is not None):
            problems.append(f"{uri}: rescheduled flag vs new_invitee")
        if invitee["new_invitee"] is not None:
            if invitee["status"] != "canceled":
                problems.append(f"{uri}: rescheduled but not canceled")
            if not _links_back(invitees, invitee["new_invitee"], "old_invitee", uri):
                problems.append(f"{uri}: new_invitee does not link back")
        if invitee["old_invitee"] is not None and not _links_back(
            invitees, invitee["old_invitee"], "new_invitee", uri
        ):
            problems.append(f"{uri}: old_invitee does not link forward")
        mark = invitee["no_show"]
        if mark is not None:
            record = c["invitee_no_shows"].get(mark["uri"])
            if record is None or record["invitee"] != uri:
                problems.append(f"{uri}: no_show does not resolve")
            elif record["created_at"] != mark["created_at"]:
                problems.append(f"{uri}: no_show created_at differs")
        submission_uri = invitee["routing_form_submission"]
        if submission_uri is not None and submission_uri not in c["routing_form_submissions"]:
            problems.append(f"{uri}: routing_form_submission missing")
    for uri, mark in c["invitee_no_shows"].items():
        marked = invitees.get(mark["invitee"])
        if marked is None or (marked["no_show"] or {}).get("uri") != uri:
            problems.append(f"{uri}: no-show not on its invitee")
    for uri, submission in c["routing_form_submissions"].items():
        if submission["routing_form"] not in c["routing_forms"]:
            problems.append(f"{uri}: routing form missing")
        if submission["submitter"] is not None:
            if not _links_back(invitees, submission["submitter"], "routing_form_submission", uri):
                problems.append(f"{uri}: submitter does not link back")
            if submission["submitter_type"] != "Invitee":
                problems.append(f"{uri}: submitter_type")
    emails = {u["email"].lower() for u in c["users"].values()}
    for uri, membership in c["organization_memberships"].items():
        user = c["users"].get(membership["user"]["uri"])
        if user is None:
            problems.append(f"{uri}: user missing")
        elif any(user[k] != v for k, v in membership["user"].items()):
            problems.append(f"{uri}: embedded user differs from the user")
    members = {m["user"]["uri"] for m in c["organization_memberships"].values()}
    if set(c["users"]) != members:
        problems.append("users and memberships disagree")
    owners = [m for m in c["organization_memberships"].values() if m["role"] == "owner"]
    if len(owners) != 1 or owners[0]["user"]["uri"] != org.owner_uri:
        problems.append("exactly one owner, equal to org.owner_uri, expected")
    for uri, invitation in c["organization_invitations"].items():
        if not uri.startswith(org.organization["uri"] + "/invitations/"):
            problems.append(f"{uri}: not under the organization")
        if invitation["status"] == "pending" and invitation["email"].lower() in emails:
            problems.append(f"{uri}: pending invitation for a member")
        if invitation["status"] == "accepted" and "user" not in invitation:
            problems.append(f"{uri}: accepted without user")
    for uri, schedule in c["user_availability_schedules"].items():
        if schedule["user"] not in c["users"]:
            problems.append(f"{uri}: user missing")
    for user_uri in org.external_busy:
        if user_uri not in c["users"]:
            problems.append(f"external_busy for non-member {user_uri}")
    for uri in org.signing_keys:
        if uri not in c["webhook_subscriptions"]:
            problems.append(f"signing key for unknown subscription {uri}")
    return problems


def time_problems(org: SandboxOrg) -> list[str]:
    """Timestamp format and ordering: created <= updated <= now, bookings before starts."""
    problems: list[str] = []
    now = org.now_ts()
    for name, table in org.collections.items():
        for uri, record in table.items():
            for key in ("created_at", "updated_at", "occurred_at"):
                value = record.get(key)
                if value is None:
                    continue
                if not TS_PATTERN.match(value):
                    problems.append(f"{uri}: {key} {value!r} not in Calendly's format")
                if value > now:
                    problems.append(f"{uri}: {key} in the future")
            if "updated_at" in record and record["created_at"] > record["updated_at"]:
                problems.append(f"{name} {uri}: created_at after updated_at")
            if name == "scheduled_events" and not (
                record["created_at"] < record["start_time"] < record["end_time"]
            ):
                problems.append(f"{uri}: booked after start or ends before start")
    return problems
