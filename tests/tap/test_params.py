"""Request parameters per stream, given a config and a state: no HTTP.

The owner lookup (``/users/me``) is replaced by a fixed ``Owner`` so each stream's
prepared request can be asserted exactly.
"""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest

from tap_calendly.api import Owner
from tap_calendly.api.errors import CalendlyError
from tap_calendly.tap import TapCalendly

BASE = "https://api.example.test"
ORG = f"{BASE}/organizations/ORG1"
ME = f"{BASE}/users/ME1"
NOW = datetime(2026, 7, 1, 12, 0, 0, tzinfo=UTC)


def make_tap(state: dict | None = None, **config) -> TapCalendly:
    tap = TapCalendly(
        config={"personal_access_token": "pat-secret", "api_url": BASE, **config},
        state=state or {},
        setup_mapper=False,
    )
    tap.sync_context.client._owner = Owner(
        me={"uri": ME, "current_organization": ORG},
        user_uri=ME,
        organization_uri=ORG,
        server_now=NOW,
    )
    return tap


def request_of(tap: TapCalendly, stream: str, context=None, token=None):
    prepared = tap.streams[stream].prepared_request(context, token)
    parts = urlsplit(prepared.url)
    query = {k: v[0] if len(v) == 1 else v for k, v in parse_qs(parts.query).items()}
    return parts.path, query, prepared


def bookmark(stream: str, value: str, key: str = "updated_at") -> dict:
    return {"bookmarks": {stream: {"replication_key": key, "replication_key_value": value}}}


def test_scheduled_events_first_run_uses_start_date_and_no_upper_bound():
    tap = make_tap(start_date="2026-01-01T00:00:00Z")
    path, query, _ = request_of(tap, "scheduled_events")
    assert path == "/scheduled_events"
    assert query == {
        "count": "100",
        "organization": ORG,
        "sort": "start_time:asc",
        "min_start_time": "2026-01-01T00:00:00.000000Z",
    }


def test_scheduled_events_incremental_window_is_bookmark_minus_lookback():
    state = bookmark("scheduled_events", "2026-06-30T10:00:00.000000Z")
    state["bookmarks"].update(
        bookmark("event_invitees", "2026-06-30T11:00:00.000000Z")["bookmarks"]
    )
    tap = make_tap(state, start_date="2026-01-01T00:00:00Z", lookback_days=10)
    _, query, _ = request_of(tap, "scheduled_events", token="TOKEN2")
    assert query["min_start_time"] == "2026-06-20T10:00:00.000000Z"
    assert query["page_token"] == "TOKEN2"
    assert "max_start_time" not in query
    assert "status" not in query


def test_window_follows_the_older_bookmark_of_events_and_invitees():
    state = bookmark("scheduled_events", "2026-06-30T10:00:00Z")
    state["bookmarks"].update(bookmark("event_invitees", "2026-06-25T10:00:00Z")["bookmarks"])
    tap = make_tap(state, lookback_days=1)
    _, query, _ = request_of(tap, "scheduled_events")
    assert query["min_start_time"] == "2026-06-24T10:00:00.000000Z"


def test_user_scope_filters_by_user():
    tap = make_tap(scope="user")
    for stream in ("scheduled_events", "event_types", "organization_memberships"):
        _, query, _ = request_of(tap, stream)
        assert query["user"] == ME
        assert "organization" not in query


def test_invitees_are_per_event_with_count_100():
    tap = make_tap()
    path, query, prepared = request_of(
        tap, "event_invitees", {"event_uri": f"{BASE}/scheduled_events/EV9"}
    )
    assert path == "/scheduled_events/EV9/invitees"
    assert query == {"count": "100"}
    assert prepared.headers["User-Agent"] == "tap-calendly"


def test_activity_log_reads_from_the_bookmark_sorted_ascending_1000_a_page():
    state = bookmark("activity_log_entries", "2026-06-01T00:00:00.123Z", key="occurred_at")
    tap = make_tap(state, start_date="2026-01-01T00:00:00Z")
    path, query, _ = request_of(tap, "activity_log_entries")
    assert path == "/activity_log_entries"
    assert query == {
        "count": "1000",
        "organization": ORG,
        "sort": "occurred_at:asc",
        "min_occurred_at": "2026-06-01T00:00:00.123000Z",
    }


def test_submissions_sorted_newest_first_and_cut_at_the_window():
    state = bookmark("routing_form_submissions", "2026-06-30T00:00:00.000000Z")
    tap = make_tap(state, lookback_days=5)
    form = f"{BASE}/routing_forms/F1"
    _, query, _ = request_of(tap, "routing_form_submissions", {"routing_form_uri": form})
    assert query == {"count": "100", "form": form, "sort": "created_at:desc"}
    stream = tap.streams["routing_form_submissions"]
    newer = [
        {"created_at": "2026-06-29T00:00:00.000000Z"},
        {"created_at": "2026-06-26T00:00:00.000000Z"},
    ]
    older = [*newer, {"created_at": "2026-06-24T23:59:59.000000Z"}]
    assert stream.stop_paging(newer, None) is False
    assert stream.stop_paging(older, None) is True


def test_event_types_list_active_and_inactive():
    tap = make_tap()
    _, query, _ = request_of(tap, "event_types")
    assert query == {"count": "100", "organization": ORG}


def test_invitations_path_uses_the_organization_uuid():
    tap = make_tap()
    path, query, _ = request_of(tap, "organization_invitations")
    assert path == "/organizations/ORG1/invitations"
    assert query == {"count": "100"}


def test_busy_times_windows_come_from_the_server_clock():
    tap = make_tap(availability_horizon_days=14)
    stream = tap.streams["user_busy_times"]
    windows = stream.windows()
    assert windows == [
        ("2026-07-01T12:01:00.000000Z", "2026-07-08T12:01:00.000000Z"),
        ("2026-07-08T12:01:00.000000Z", "2026-07-15T12:01:00.000000Z"),
    ]
    start, end = windows[0]
    context = {"user_uri": ME, "start_time": start, "end_time": end}
    path, query, _ = request_of(tap, "user_busy_times", context)
    assert path == "/user_busy_times"
    assert query == {"user": ME, "start_time": start, "end_time": end}  # unpaged: no count


def test_available_times_use_one_31_day_window_for_a_14_day_horizon():
    tap = make_tap()
    assert tap.streams["event_type_available_times"].windows() == [
        ("2026-07-01T12:01:00.000000Z", "2026-07-15T12:01:00.000000Z")
    ]


def test_webhooks_list_org_scope_then_each_member():
    tap = make_tap()
    tap.sync_context.remember_member(ME)
    tap.sync_context.remember_member(f"{BASE}/users/U2")
    scopes = tap.streams["webhook_subscriptions"].scopes()
    assert scopes == [
        {"scope": "organization", "organization": ORG},
        {"scope": "user", "user": ME, "organization": ORG},
        {"scope": "user", "user": f"{BASE}/users/U2", "organization": ORG},
    ]
    _, query, _ = request_of(tap, "webhook_subscriptions", scopes[2])
    assert query == {"count": "100", **scopes[2]}


def test_children_keep_one_bookmark_per_stream():
    tap = make_tap()
    for name in ("event_invitees", "routing_form_submissions", "users", "user_busy_times"):
        assert tuple(tap.streams[name].state_partitioning_keys) == ()
    assert tap.streams["scheduled_events"].replication_key == "updated_at"
    assert tap.streams["scheduled_events"].is_sorted is False


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        ({}, "no credentials"),
        ({"personal_access_token": "pat-XYZ", "client_id": "cid-XYZ"}, "exactly one"),
        ({"client_id": "cid-XYZ", "client_secret": "sec-XYZ"}, "missing refresh_token"),
        (
            {"client_id": "cid-XYZ", "client_secret": "sec-XYZ", "refresh_token": "rt-XYZ"},
            "token_file",
        ),
    ],
)
def test_exactly_one_complete_auth_method(config, expected):
    with pytest.raises(CalendlyError) as info:
        TapCalendly(config={"api_url": BASE, **config}, setup_mapper=False)
    message = str(info.value)
    assert expected in message
    assert "XYZ" not in message  # never echo a secret


def test_discovery_needs_no_token_and_lists_every_stream():
    tap = TapCalendly(config={}, validate_config=False, setup_mapper=False)
    names = {entry["tap_stream_id"] for entry in tap.catalog_dict["streams"]}
    assert names == {
        "users", "organization_memberships", "organization_invitations", "groups",
        "event_types", "scheduled_events", "event_invitees", "routing_forms",
        "routing_form_submissions", "activity_log_entries", "user_busy_times",
        "event_type_available_times", "user_availability_schedules", "webhook_subscriptions",
    }  # fmt: skip
    assert not tap.sync_context.started  # no client (so no owner lookup) at discovery


@pytest.mark.parametrize(
    ("stream", "context", "path", "expected"),
    [
        ("organization_memberships", None, "/organization_memberships", {"organization": ORG}),
        ("groups", None, "/groups", {"organization": ORG}),
        ("routing_forms", None, "/routing_forms", {"organization": ORG}),
        (
            "user_availability_schedules",
            {"user_uri": ME},
            "/user_availability_schedules",
            {"user": ME},
        ),
        (
            "event_type_available_times",
            {"event_type_uri": f"{BASE}/event_types/E1", "start_time": "S", "end_time": "T"},
            "/event_type_available_times",
            {"event_type": f"{BASE}/event_types/E1", "start_time": "S", "end_time": "T"},
        ),
    ],
)
def test_owner_filters_and_paging_per_stream(stream, context, path, expected):
    tap = make_tap()
    got_path, query, _ = request_of(tap, stream, context)
    paged = tap.streams[stream].paginated
    assert got_path == path
    assert query == ({"count": "100"} if paged else {}) | expected
