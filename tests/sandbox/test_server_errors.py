"""Every 4xx body shape the sandbox answers, with Calendly's ErrorResponse fields."""

from __future__ import annotations

from datetime import timedelta

import pytest
import requests

from tap_calendly.sandbox.store import format_ts

from .conftest import FIXED_NOW


def _error(response, status):
    assert response.status_code == status, response.text
    body = response.json()
    assert isinstance(body["title"], str)
    assert isinstance(body["message"], str)
    assert set(body) <= {"title", "message", "details"}
    return body


def _org(sandbox):
    return sandbox.org.organization["uri"]


@pytest.mark.parametrize(
    ("path", "parameter"),
    [
        ("/scheduled_events", "organization"),
        ("/event_types", "organization"),
        ("/organization_memberships", "organization"),
        ("/routing_forms", "organization"),
        ("/routing_form_submissions", "form"),
        ("/activity_log_entries", "organization"),
        ("/groups", "organization"),
        ("/user_busy_times", "user"),
        ("/event_type_available_times", "event_type"),
    ],
)
def test_missing_owner_parameter_is_400(sandbox, admin, path, parameter):
    body = _error(admin.get(sandbox.url + path), 400)
    assert body["title"] == "Invalid Argument"
    assert body["details"][0]["parameter"] == parameter


def test_webhook_listing_needs_scope(sandbox, admin):
    response = admin.get(
        f"{sandbox.url}/webhook_subscriptions", params={"organization": _org(sandbox)}
    )
    assert _error(response, 400)["details"][0]["parameter"] == "scope"


@pytest.mark.parametrize(
    ("path", "count", "status"),
    [
        ("/scheduled_events", 101, 400),
        ("/scheduled_events", 0, 400),
        ("/scheduled_events", 100, 200),
        ("/activity_log_entries", 1001, 400),
        ("/activity_log_entries", 1000, 200),
    ],
)
def test_count_limits(sandbox, admin, path, count, status):
    response = admin.get(sandbox.url + path, params={"organization": _org(sandbox), "count": count})
    assert response.status_code == status
    if status == 400:
        assert _error(response, 400)["details"][0]["parameter"] == "count"


def test_bad_page_token_is_400(sandbox, admin):
    response = admin.get(
        f"{sandbox.url}/scheduled_events",
        params={"organization": _org(sandbox), "page_token": "not-a-token"},
    )
    assert _error(response, 400)["details"][0]["parameter"] == "page_token"


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic abc"])
def test_missing_or_wrong_token_is_401(sandbox, header):
    headers = {"Authorization": header} if header else {}
    response = requests.get(f"{sandbox.url}/users/me", headers=headers, timeout=5)
    body = _error(response, 401)
    assert body == {"title": "Unauthenticated", "message": "The access token is invalid"}
    assert "X-RateLimit-Limit" in response.headers


@pytest.mark.parametrize(
    ("path", "extra"),
    [
        ("/scheduled_events", {}),
        ("/organization_memberships", {}),
        ("/webhook_subscriptions", {"scope": "organization"}),
        ("/activity_log_entries", {}),
    ],
)
def test_member_token_cannot_list_organization_wide(sandbox, member, path, extra):
    response = member.get(sandbox.url + path, params={"organization": _org(sandbox), **extra})
    assert _error(response, 403)["title"] == "Permission Denied"


def test_member_token_can_list_own_events(sandbox, member):
    me = member.get(f"{sandbox.url}/users/me").json()["resource"]
    response = member.get(f"{sandbox.url}/scheduled_events", params={"user": me["uri"]})
    assert response.status_code == 200
    assert all(
        any(m["user"] == me["uri"] for m in e["event_memberships"])
        for e in response.json()["collection"]
    )


def test_plan_gates_activity_log_and_compliance(sandbox, admin):
    sandbox.configure(plan="teams")
    response = admin.get(
        f"{sandbox.url}/activity_log_entries", params={"organization": _org(sandbox)}
    )
    assert _error(response, 403)["title"] == "Permission Denied"
    response = admin.post(
        f"{sandbox.url}/data_compliance/deletion/invitees", json={"emails": ["a@example.com"]}
    )
    assert _error(response, 403)["title"] == "Permission Denied"
    assert (
        admin.get(f"{sandbox.url}/organizations/{_org(sandbox).rsplit('/', 1)[-1]}").json()[
            "resource"
        ]["plan"]
        == "teams"
    )
    sandbox.configure(plan="enterprise")
    response = admin.get(
        f"{sandbox.url}/activity_log_entries", params={"organization": _org(sandbox)}
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/scheduled_events/nope",
        "/event_types/nope",
        "/users/nope",
        "/scheduled_events/nope/invitees",
        "/no/such/endpoint",
    ],
)
def test_unknown_resource_is_404(sandbox, admin, path):
    body = _error(admin.get(sandbox.url + path), 404)
    assert body == {
        "title": "Resource Not Found",
        "message": "The server could not find the requested resource.",
    }


def _window(days_from_now, days_long):
    start = FIXED_NOW + timedelta(days=days_from_now)
    return format_ts(start), format_ts(start + timedelta(days=days_long))


@pytest.mark.parametrize(
    ("offset", "length", "status"),
    [(1, 7, 200), (1, 8, 400), (-1, 2, 400), (1, 0, 400)],
)
def test_busy_times_window(sandbox, admin, offset, length, status):
    start, end = _window(offset, length)
    response = admin.get(
        f"{sandbox.url}/user_busy_times",
        params={"user": sandbox.org.owner_uri, "start_time": start, "end_time": end},
    )
    assert response.status_code == status
    if status == 400:
        _error(response, 400)


@pytest.mark.parametrize(("length", "status"), [(31, 200), (32, 400)])
def test_available_times_window(sandbox, admin, length, status):
    event_type = next(iter(sandbox.org.collections["event_types"]))
    start, end = _window(1, length)
    response = admin.get(
        f"{sandbox.url}/event_type_available_times",
        params={"event_type": event_type, "start_time": start, "end_time": end},
    )
    assert response.status_code == status
