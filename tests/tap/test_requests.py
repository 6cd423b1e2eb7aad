"""A full sync of ``small`` makes exactly the minimum number of requests.

The minimum is computed from the sandbox's ground truth: ceil(n/100) per list (1000 for
the activity log), one page per parent whose children fit in 100, the availability
windows per owner, and ``/users/me`` once.
"""

from __future__ import annotations

import math
from collections import Counter


def pages(n: int, size: int = 100) -> int:
    return max(1, math.ceil(n / size))


def minimum_requests(truth: dict, horizon_days: int = 14) -> dict[str, int]:
    users = [m["user"]["uri"] for m in truth["organization_memberships"]]
    active_types = [t for t in truth["event_types"] if t["active"]]
    invitees = Counter(i["event"] for i in truth["event_invitees"])
    submissions = Counter(s["routing_form"] for s in truth["routing_form_submissions"])
    hooks = truth["webhook_subscriptions"]
    user_hooks = Counter(h["user"] for h in hooks if h["scope"] == "user")
    return {
        "GET /users/me": 1,
        "GET /organization_memberships": pages(len(users)),
        "GET /organizations/{uuid}/invitations": pages(len(truth["organization_invitations"])),
        "GET /groups": pages(len(truth["groups"])),
        "GET /event_types": pages(len(truth["event_types"])),
        "GET /event_type_available_times": len(active_types) * math.ceil(horizon_days / 31),
        "GET /scheduled_events": pages(len(truth["scheduled_events"])),
        "GET /scheduled_events/{uuid}/invitees": sum(
            pages(invitees[e["uri"]]) for e in truth["scheduled_events"]
        ),
        "GET /routing_forms": pages(len(truth["routing_forms"])),
        "GET /routing_form_submissions": sum(
            pages(submissions[f["uri"]]) for f in truth["routing_forms"]
        ),
        "GET /activity_log_entries": pages(len(truth["activity_log_entries"]), 1000),
        "GET /user_busy_times": len(users) * math.ceil(horizon_days / 7),
        "GET /user_availability_schedules": len(users),
        "GET /webhook_subscriptions": pages(sum(1 for h in hooks if h["scope"] == "organization"))
        + sum(pages(user_hooks[u]) for u in users),
    }


def test_full_sync_makes_the_minimum_number_of_requests(make_sandbox, run_tap, tap_config):
    sandbox = make_sandbox(scale="small", seed=5)
    truth = sandbox.ground_truth()
    sandbox.reset_counts()
    result = run_tap(tap_config(sandbox))
    counts = {k: v for k, v in sandbox.request_counts().items() if v}
    expected = minimum_requests(truth)
    assert counts == expected
    assert sum(counts.values()) == result.tap.sync_context.client.transport.total_requests()
    # Every record of the listed collections was emitted once.
    for stream in ("scheduled_events", "event_invitees", "routing_form_submissions"):
        emitted = [r["uri"] for r in result.records[stream]]
        assert len(emitted) == len(set(emitted)) == len(truth[stream])


def test_concurrent_fan_out_emits_in_parent_order(
    make_sandbox, run_tap, tap_config, select_streams
):
    sandbox = make_sandbox(scale="small", seed=12, latency_ms=1.0, jitter_ms=3.0)
    catalog = select_streams("scheduled_events", "event_invitees")
    runs = [run_tap(tap_config(sandbox, max_concurrency=8), catalog=catalog) for _ in range(2)]
    orders = [[r["uri"] for r in run.records["event_invitees"]] for run in runs]
    assert orders[0] == orders[1]
    events = [e["uri"] for e in runs[0].records["scheduled_events"]]
    first_seen = list(dict.fromkeys(r["event"] for r in runs[0].records["event_invitees"]))
    assert first_seen == [e for e in events if e in set(first_seen)]
