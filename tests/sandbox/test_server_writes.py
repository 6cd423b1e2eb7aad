"""Write endpoints: success codes and bodies, and ops' 400/403/404/409 as Calendly bodies."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tap_calendly.sandbox.store import format_ts

from .conftest import FIXED_NOW, session_for, walk


@pytest.fixture
def sb(fresh_sandbox):
    return fresh_sandbox


@pytest.fixture
def owner(sb):
    with session_for(sb.admin_token) as session:
        yield session


@pytest.fixture
def plain(sb):
    with session_for(sb.user_token) as session:
        yield session


def _uuid(uri):
    return uri.rsplit("/", 1)[-1]


def _future_event(sb, member_of=None, exclude=None):
    now = format_ts(sb.org.now())
    for event in sorted(sb.org.records("scheduled_events"), key=lambda e: e["start_time"]):
        users = {m["user"] for m in event["event_memberships"]}
        if event["status"] != "active" or event["start_time"] <= now:
            continue
        if member_of and member_of not in users:
            continue
        if exclude and exclude in users:
            continue
        return event
    raise AssertionError("no future event")


def _member_uri(sb):
    return session_for(sb.user_token).get(f"{sb.url}/users/me").json()["resource"]["uri"]


def test_cancel_event(sb, owner):
    event = _future_event(sb)
    url = f"{sb.url}/scheduled_events/{_uuid(event['uri'])}/cancellation"
    response = owner.post(url, json={"reason": "conflict"})
    assert response.status_code == 201
    assert response.json()["resource"]["reason"] == "conflict"
    assert response.json()["resource"]["canceler_type"] == "host"
    fetched = owner.get(f"{sb.url}/scheduled_events/{_uuid(event['uri'])}").json()["resource"]
    assert fetched["status"] == "canceled"
    again = owner.post(url, json={})
    assert again.status_code == 403
    assert again.json()["title"] == "Permission Denied"


def test_member_cannot_cancel_someone_elses_event(sb, plain):
    event = _future_event(sb, exclude=_member_uri(sb))
    response = plain.post(f"{sb.url}/scheduled_events/{_uuid(event['uri'])}/cancellation")
    assert response.status_code == 403


def test_no_show_roundtrip(sb, owner):
    now = format_ts(sb.org.now())
    invitee = next(
        i
        for i in sb.org.records("event_invitees")
        if i["status"] == "active"
        and i["no_show"] is None
        and sb.org.get("scheduled_events", i["event"])["start_time"] < now
    )
    created = owner.post(f"{sb.url}/invitee_no_shows", json={"invitee": invitee["uri"]})
    assert created.status_code == 201
    no_show = created.json()["resource"]
    assert no_show["invitee"] == invitee["uri"]
    assert owner.get(f"{sb.url}/invitee_no_shows/{_uuid(no_show['uri'])}").status_code == 200
    repeat = owner.post(f"{sb.url}/invitee_no_shows", json={"invitee": invitee["uri"]})
    assert repeat.status_code == 400
    assert owner.delete(f"{sb.url}/invitee_no_shows/{_uuid(no_show['uri'])}").status_code == 204
    assert owner.get(f"{sb.url}/invitee_no_shows/{_uuid(no_show['uri'])}").status_code == 404


def test_webhook_create_conflict_delete(sb, owner):
    org = sb.org.organization["uri"]
    body = {
        "url": "http://127.0.0.1:9/hook",
        "events": ["invitee.created"],
        "organization": org,
        "scope": "organization",
    }
    created = owner.post(f"{sb.url}/webhook_subscriptions", json=body)
    assert created.status_code == 201
    hook = created.json()["resource"]
    assert hook["callback_url"] == body["url"]
    assert hook["state"] == "active"
    conflict = owner.post(f"{sb.url}/webhook_subscriptions", json=body)
    assert conflict.status_code == 409
    assert conflict.json()["title"] == "Already Exists"
    listed = walk(
        owner, f"{sb.url}/webhook_subscriptions", {"organization": org, "scope": "organization"}
    )
    assert hook["uri"] in {h["uri"] for h in listed}
    assert owner.delete(f"{sb.url}/webhook_subscriptions/{_uuid(hook['uri'])}").status_code == 204
    assert owner.get(f"{sb.url}/webhook_subscriptions/{_uuid(hook['uri'])}").status_code == 404


def test_webhook_create_missing_fields_is_400(sb, owner):
    response = owner.post(f"{sb.url}/webhook_subscriptions", json={"url": "http://127.0.0.1:9/"})
    assert response.status_code == 400
    assert response.json()["details"][0]["parameter"] == "events"


def test_invitations(sb, owner, plain):
    org_uuid = _uuid(sb.org.organization["uri"])
    url = f"{sb.url}/organizations/{org_uuid}/invitations"
    created = owner.post(url, json={"email": "new.person@example.com"})
    assert created.status_code == 201
    invitation = created.json()["resource"]
    assert invitation["status"] == "pending"
    assert owner.post(url, json={"email": "new.person@example.com"}).json()["title"] == (
        "Already Invited"
    )
    assert owner.post(url, json={"email": "nope"}).status_code == 400
    assert plain.post(url, json={"email": "x@example.com"}).status_code == 403
    listed = walk(owner, url, {"count": 100})
    assert invitation["uri"] in {i["uri"] for i in listed}
    assert owner.delete(f"{url}/{_uuid(invitation['uri'])}").status_code == 204


def test_remove_membership(sb, owner, plain):
    memberships = list(sb.org.records("organization_memberships"))
    member = next(m for m in memberships if m["role"] == "user")
    owner_membership = next(m for m in memberships if m["role"] == "owner")
    url = f"{sb.url}/organization_memberships/"
    assert plain.delete(url + _uuid(member["uri"])).status_code == 403
    refused = owner.delete(url + _uuid(owner_membership["uri"]))
    assert refused.status_code in (400, 403)
    assert owner.delete(url + _uuid(member["uri"])).status_code == 204
    assert owner.get(url + _uuid(member["uri"])).status_code == 404


def test_shares_and_scheduling_links(sb, owner):
    event_type = next(e for e in sb.org.records("event_types") if e["active"])
    share = owner.post(f"{sb.url}/shares", json={"event_type": event_type["uri"], "duration": 45})
    assert share.status_code == 201
    assert share.json()["resource"]["share_override"]["duration"] == 45
    link = owner.post(
        f"{sb.url}/scheduling_links",
        json={"max_event_count": 1, "owner": event_type["uri"], "owner_type": "EventType"},
    )
    assert link.status_code == 201
    assert link.json()["resource"]["owner"] == event_type["uri"]
    assert owner.post(f"{sb.url}/shares", json={}).status_code == 400


def test_data_compliance_deletions(sb, owner):
    email = next(iter(sb.org.records("event_invitees")))["email"]
    response = owner.post(f"{sb.url}/data_compliance/deletion/invitees", json={"emails": [email]})
    assert response.status_code == 202
    assert all(i["email"] != email for i in sb.org.records("event_invitees"))
    start = FIXED_NOW - timedelta(days=400)
    window = {"start_time": format_ts(start), "end_time": format_ts(start + timedelta(days=30))}
    assert owner.post(f"{sb.url}/data_compliance/deletion/events", json=window).status_code == 202
    future = {
        "start_time": format_ts(FIXED_NOW),
        "end_time": format_ts(FIXED_NOW + timedelta(days=1)),
    }
    response = owner.post(f"{sb.url}/data_compliance/deletion/events", json=future)
    assert response.status_code == 400


def test_advance_over_http_changes_data(sb, owner):
    before = len(sb.org.collections["event_invitees"])
    response = owner.post(f"{sb.url}/_sandbox/advance", json={"days": 1})
    assert response.status_code == 200
    body = response.json()
    assert body["changes"]["bookings"] > 0
    assert len(sb.org.collections["event_invitees"]) > before
    assert body["now"] == format_ts(FIXED_NOW + timedelta(days=1))
