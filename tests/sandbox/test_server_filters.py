"""List filters: e-mail (case-insensitive) and status, as Calendly applies them."""

from __future__ import annotations

import pytest
import requests

from tap_calendly.sandbox.runner import Sandbox


def _all(session: requests.Session, url: str, **params: str) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    query: dict[str, str] = {"count": "100", **params}
    while True:
        body = session.get(url, params=query, timeout=10).json()
        rows.extend(body["collection"])
        token = body["pagination"]["next_page_token"]
        if not token:
            return rows
        query = {"count": "100", "page_token": token}


def test_invitee_email_filter_ignores_case(sandbox: Sandbox, admin: requests.Session) -> None:
    invitee = next(iter(sandbox.org.records("event_invitees")))
    event_uuid = str(invitee["event"]).rsplit("/", 1)[-1]
    url = f"{sandbox.url}/scheduled_events/{event_uuid}/invitees"
    found = _all(admin, url, email=str(invitee["email"]).upper())
    expected = [
        r["uri"]
        for r in sandbox.org.children_of("event_invitees", str(invitee["event"]))
        if str(r["email"]).lower() == str(invitee["email"]).lower()
    ]
    assert invitee["uri"] in expected
    assert sorted(str(row["uri"]) for row in found) == sorted(expected)
    assert _all(admin, url, email="nobody@example.invalid") == []


def test_membership_email_filter(sandbox: Sandbox, admin: requests.Session) -> None:
    membership = next(iter(sandbox.org.records("organization_memberships")))
    email = membership["user"]["email"]
    found = _all(
        admin,
        f"{sandbox.url}/organization_memberships",
        organization=sandbox.org.organization["uri"],
        email=email.title(),
    )
    assert [row["uri"] for row in found] == [membership["uri"]]


def test_invitation_status_filter_and_bad_status(sandbox: Sandbox, admin: requests.Session) -> None:
    org_uuid = sandbox.org.organization["uri"].rsplit("/", 1)[-1]
    url = f"{sandbox.url}/organizations/{org_uuid}/invitations"
    pending = _all(admin, url, status="pending")
    expected = sorted(
        r["uri"]
        for r in sandbox.org.records("organization_invitations")
        if r["status"] == "pending"
    )
    assert expected, "the small org has pending invitations"
    assert sorted(str(row["uri"]) for row in pending) == expected
    bad = admin.get(url, params={"status": "open"}, timeout=10)
    assert bad.status_code == 400
    assert bad.json()["details"][0]["parameter"] == "status"


def test_list_table_declares_every_parameter_it_reads():
    from tap_calendly.sandbox.api_lists import ENDPOINTS, Email, ListEndpoint
    from tap_calendly.sandbox.http_routes import ROUTES

    routed = {r.template for r in ROUTES if r.method == "GET"}
    assert {e.path for e in ENDPOINTS} <= routed
    assert len(ENDPOINTS) == 10
    with pytest.raises(ValueError, match="not declared"):
        ListEndpoint(
            path="/x",
            collection="groups",
            key="x",
            params=("sort",),
            view=ENDPOINTS[0].view,
            filters=(Email("email", "email"),),
        )
