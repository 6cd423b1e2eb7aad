"""Paged listings: Calendly's shapes, sorts, filters and keyset page tokens that neither
skip nor repeat records while the data changes between pages."""

from __future__ import annotations

import copy
import random
import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

from tap_calendly.sandbox.store import format_ts, parse_ts

from .conftest import session_for, walk


def _org(sandbox):
    return sandbox.org.organization["uri"]


def test_first_page_has_calendly_pagination_shape(sandbox, admin):
    response = admin.get(
        f"{sandbox.url}/scheduled_events", params={"organization": _org(sandbox), "count": 7}
    )
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"collection", "pagination"}
    pagination = body["pagination"]
    assert set(pagination) == {
        "count",
        "next_page",
        "previous_page",
        "next_page_token",
        "previous_page_token",
    }
    assert pagination["count"] == len(body["collection"]) == 7
    assert pagination["previous_page"] is None
    assert pagination["previous_page_token"] is None
    query = parse_qs(urlsplit(pagination["next_page"]).query)
    assert query["page_token"] == [pagination["next_page_token"]]
    assert query["count"] == ["7"]
    assert pagination["next_page"].startswith(sandbox.url + "/scheduled_events?")


def test_default_count_is_20(sandbox, admin):
    body = admin.get(
        f"{sandbox.url}/scheduled_events", params={"organization": _org(sandbox)}
    ).json()
    assert len(body["collection"]) == 20


def test_walk_returns_every_event_once_in_start_time_order(sandbox, admin):
    records = walk(
        admin, f"{sandbox.url}/scheduled_events", {"organization": _org(sandbox), "count": 100}
    )
    uris = [r["uri"] for r in records]
    assert len(uris) == len(set(uris)) == len(sandbox.org.collections["scheduled_events"])
    keys = [(r["start_time"], r["uri"]) for r in records]
    assert keys == sorted(keys)


def test_descending_walk_is_the_reverse_order(sandbox, admin):
    params = {"organization": _org(sandbox), "count": 100}
    ascending = walk(admin, f"{sandbox.url}/scheduled_events", params)
    descending = walk(
        admin, f"{sandbox.url}/scheduled_events", {**params, "sort": "start_time:desc"}
    )
    assert [r["start_time"] for r in descending] == [r["start_time"] for r in ascending][::-1]
    assert {r["uri"] for r in descending} == {r["uri"] for r in ascending}


def test_previous_page_token_returns_the_previous_page(sandbox, admin):
    url = f"{sandbox.url}/scheduled_events"
    first = admin.get(url, params={"organization": _org(sandbox), "count": 10}).json()
    second = admin.get(first["pagination"]["next_page"]).json()
    back = admin.get(second["pagination"]["previous_page"]).json()
    assert [r["uri"] for r in back["collection"]] == [r["uri"] for r in first["collection"]]


def test_page_token_alone_keeps_the_filters(sandbox, admin):
    url = f"{sandbox.url}/scheduled_events"
    params = {"organization": _org(sandbox), "count": 5, "status": "canceled"}
    first = admin.get(url, params=params).json()
    token = first["pagination"]["next_page_token"]
    second = admin.get(url, params={"page_token": token, "count": 5}).json()
    assert second["collection"]
    assert all(r["status"] == "canceled" for r in second["collection"])


def test_time_window_and_status_filters_match_the_data(sandbox, admin):
    events = list(sandbox.org.collections["scheduled_events"].values())
    starts = sorted(e["start_time"] for e in events)
    low, high = starts[len(starts) // 4], starts[len(starts) // 2]
    got = walk(
        admin,
        f"{sandbox.url}/scheduled_events",
        {
            "organization": _org(sandbox),
            "min_start_time": low,
            "max_start_time": high,
            "status": "active",
            "count": 100,
        },
    )
    expected = {
        e["uri"] for e in events if low <= e["start_time"] < high and e["status"] == "active"
    }
    assert {r["uri"] for r in got} == expected
    assert expected


def test_user_listing_is_events_where_the_user_is_a_member(sandbox, admin):
    owner = sandbox.org.owner_uri
    got = walk(
        admin,
        f"{sandbox.url}/scheduled_events",
        {"organization": _org(sandbox), "user": owner, "count": 100},
    )
    expected = {
        e["uri"]
        for e in sandbox.org.collections["scheduled_events"].values()
        if any(m["user"] == owner for m in e["event_memberships"])
    }
    assert {r["uri"] for r in got} == expected
    assert expected


def test_invitees_listing_sorted_by_created_at(sandbox, admin):
    org = sandbox.org
    event_uri = max(
        org.children["event_invitees"], key=lambda e: len(org.children["event_invitees"][e])
    )
    uuid_ = event_uri.rsplit("/", 1)[-1]
    got = walk(admin, f"{sandbox.url}/scheduled_events/{uuid_}/invitees", {"count": 1})
    expected = sorted(org.children_of("event_invitees", event_uri), key=lambda i: i["created_at"])
    assert [i["uri"] for i in got] == [i["uri"] for i in expected]
    desc = walk(
        admin,
        f"{sandbox.url}/scheduled_events/{uuid_}/invitees",
        {"count": 100, "sort": "created_at:desc"},
    )
    assert [i["created_at"] for i in desc] == sorted((i["created_at"] for i in got), reverse=True)


def test_event_types_sorted_by_name_and_filtered(sandbox, admin):
    got = walk(
        admin,
        f"{sandbox.url}/event_types",
        {"organization": _org(sandbox), "active": "true", "count": 10},
    )
    assert [r["name"] for r in got] == sorted(r["name"] for r in got)
    expected = {r["uri"] for r in sandbox.org.collections["event_types"].values() if r["active"]}
    assert {r["uri"] for r in got} == expected


def test_activity_log_defaults_to_newest_first_and_allows_1000(sandbox, admin):
    response = admin.get(
        f"{sandbox.url}/activity_log_entries",
        params={"organization": _org(sandbox), "count": 1000},
    )
    assert response.status_code == 200
    body = response.json()
    entries = body["collection"]
    assert len(entries) == len(sandbox.org.collections["activity_log_entries"])
    assert [e["occurred_at"] for e in entries] == sorted(
        (e["occurred_at"] for e in entries), reverse=True
    )
    assert body["total_count"] == len(entries)
    assert body["last_event_time"] == entries[0]["occurred_at"]
    assert body["exceeds_max_total_count"] is False


def test_activity_log_occurred_at_window(sandbox, admin):
    entries = sorted(
        e["occurred_at"] for e in sandbox.org.collections["activity_log_entries"].values()
    )
    since = entries[len(entries) // 2]
    got = walk(
        admin,
        f"{sandbox.url}/activity_log_entries",
        {"organization": _org(sandbox), "min_occurred_at": since, "sort[]": "occurred_at:asc"},
    )
    assert [e["occurred_at"] for e in got] == [e for e in entries if e >= since]


def _new_event(template, base_url, start):
    record = copy.deepcopy(template)
    record["uri"] = f"{base_url}/scheduled_events/{uuid.uuid4()}"
    record["start_time"] = format_ts(start)
    record["end_time"] = format_ts(start + timedelta(minutes=30))
    return record


def test_walk_while_data_changes_never_skips_or_repeats(fresh_sandbox):
    sandbox = fresh_sandbox
    admin = session_for(sandbox.admin_token)
    org = sandbox.org
    rng = random.Random(3)
    before = set(org.collections["scheduled_events"])
    events = list(org.collections["scheduled_events"].values())
    first = parse_ts(min(e["start_time"] for e in events))
    last = parse_ts(max(e["start_time"] for e in events))
    span = (last - first).total_seconds()
    template = events[0]
    inserted: set[str] = set()

    def mutate(page):
        with org.lock:
            for _ in range(25):  # new events before, inside and after the cursor
                start = first + timedelta(seconds=rng.uniform(-3600, span + 3600))
                record = _new_event(template, org.base_url, start)
                org.put("scheduled_events", record)
                inserted.add(record["uri"])
            for uri in rng.sample(sorted(before), 10):  # in-place updates
                org.collections["scheduled_events"][uri]["updated_at"] = org.now_ts()
            org.clock.advance(timedelta(hours=1))

    got = walk(
        admin,
        f"{sandbox.url}/scheduled_events",
        {"organization": _org(sandbox), "count": 50},
        between=mutate,
    )
    uris = [r["uri"] for r in got]
    assert len(uris) == len(set(uris)), "a record was served twice"
    assert before <= set(uris), "a record that existed throughout was skipped"
    assert inserted - set(uris), "test did not insert behind the cursor"


def test_walk_while_the_clock_mutator_runs(fresh_sandbox):
    sandbox = fresh_sandbox
    admin = session_for(sandbox.admin_token)
    before = set(sandbox.org.collections["scheduled_events"])
    changes: list[dict[str, int]] = []
    got = walk(
        admin,
        f"{sandbox.url}/scheduled_events",
        {"organization": _org(sandbox), "count": 100, "sort": "start_time:desc"},
        between=lambda page: changes.append(sandbox.advance(timedelta(hours=6))),
    )
    uris = [r["uri"] for r in got]
    assert len(uris) == len(set(uris))
    still_there = before & set(sandbox.org.collections["scheduled_events"])
    assert still_there <= set(uris)
    assert sum(c["bookings"] for c in changes) > 0


def test_in_place_sort_key_change_is_served_at_its_new_position(fresh_sandbox):
    sandbox = fresh_sandbox
    admin = session_for(sandbox.admin_token)
    url = f"{sandbox.url}/scheduled_events"
    params = {"organization": _org(sandbox), "count": 100}
    first = admin.get(url, params=params).json()["collection"]  # builds the index
    moved = first[0]
    with sandbox.org.lock:
        record = sandbox.org.collections["scheduled_events"][moved["uri"]]
        record["start_time"] = "2099-01-01T00:00:00.000000Z"
    again = admin.get(url, params=params).json()["collection"]
    assert moved["uri"] not in {r["uri"] for r in again}
    everything = walk(admin, url, params)
    assert everything[-1]["uri"] == moved["uri"]
    assert len(everything) == len({r["uri"] for r in everything})
