"""Property selection: a deselected property never leaves the tap; with nothing
deselected (the default) every field is kept, fields no schema names included.

The tap skips the SDK's per-record walk for deselected properties when the catalog
deselects none, so both sides of that switch are checked here.
"""

from __future__ import annotations

from typing import Any

from tap_calendly.sandbox.future_fields import OBJECT_FIELD, SCALAR_FIELD


def _deselect(catalog: dict[str, Any], stream: str, *properties: str) -> None:
    entry = next(e for e in catalog["streams"] if e["tap_stream_id"] == stream)
    for item in entry["metadata"]:
        if item["breadcrumb"][-1:] and item["breadcrumb"][-1] in properties:
            item["metadata"]["selected"] = False


def test_a_deselected_property_is_dropped_from_every_record(
    make_sandbox, tap_config, select_streams, run_tap
):
    sandbox = make_sandbox(scale="small", seed=5, extra_fields=True)
    catalog = select_streams("scheduled_events", "event_invitees")
    _deselect(catalog, "scheduled_events", "location", "event_memberships")
    result = run_tap(tap_config(sandbox), catalog=catalog)
    events = result.records["scheduled_events"]
    assert events
    assert not any("location" in e or "event_memberships" in e for e in events)
    assert all("uri" in e and "start_time" in e for e in events)
    # Fields the schema does not name are kept unless deselected.
    assert all(OBJECT_FIELD in e and SCALAR_FIELD in e for e in events)
    # The child stream's own selection is untouched.
    invitees = result.records["event_invitees"]
    assert invitees
    assert all("email" in i for i in invitees)


def test_with_nothing_deselected_every_served_field_is_kept(
    make_sandbox, tap_config, select_streams, run_tap
):
    sandbox = make_sandbox(scale="small", seed=5, extra_fields=True)
    result = run_tap(
        tap_config(sandbox), catalog=select_streams("scheduled_events", "event_invitees")
    )
    truth = sandbox.ground_truth()
    served = {e["uri"]: e for e in truth["scheduled_events"]}
    events = result.records["scheduled_events"]
    assert len(events) == len(served)
    for event in events:
        assert event == served[event["uri"]]
    assert all(OBJECT_FIELD in i for i in result.records["event_invitees"])
