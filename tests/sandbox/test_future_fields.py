"""``extra_fields``: events and invitees served with fields no spec names, as Calendly
might add tomorrow; off by default, stable per record, in every way a record is served."""

from __future__ import annotations

import requests

from tap_calendly.sandbox.cli import _settings, build_parser
from tap_calendly.sandbox.future_fields import OBJECT_FIELD, SCALAR_FIELD

from .conftest import walk


def _event_and_invitee(sandbox, admin):
    org = sandbox.org.organization["uri"]
    events = walk(admin, f"{sandbox.url}/scheduled_events", {"organization": org, "count": 5})
    event = events[0]
    uuid = event["uri"].rsplit("/", 1)[-1]
    invitees = walk(admin, f"{sandbox.url}/scheduled_events/{uuid}/invitees")
    single = admin.get(f"{sandbox.url}/scheduled_events/{uuid}").json()["resource"]
    invitee_path = invitees[0]["uri"].removeprefix(sandbox.url)
    one_invitee = admin.get(sandbox.url + invitee_path).json()["resource"]
    return events, invitees, single, one_invitee


def test_off_by_default(sandbox, admin):
    served = _event_and_invitee(sandbox, admin)
    assert sandbox.config()["extra_fields"] is False
    for records in (served[0], served[1], [served[2]], [served[3]]):
        assert all(OBJECT_FIELD not in r and SCALAR_FIELD not in r for r in records)
    truth = sandbox.ground_truth()
    assert not any(OBJECT_FIELD in r for r in truth["scheduled_events"])


def test_on_adds_nested_and_scalar_fields_everywhere(sandbox, admin):
    answer = requests.post(f"{sandbox.url}/_sandbox/config", json={"extra_fields": True}, timeout=5)
    assert answer.json()["extra_fields"] is True
    events, invitees, single, one_invitee = _event_and_invitee(sandbox, admin)
    for record in [*events, *invitees, single, one_invitee]:
        extra = record[OBJECT_FIELD]
        assert isinstance(extra["origin"], dict)
        assert isinstance(extra["labels"], list)
        assert isinstance(record[SCALAR_FIELD], int)
    assert single == events[0]  # stable: the same record gets the same values
    truth = sandbox.ground_truth()
    served_event = next(r for r in truth["scheduled_events"] if r["uri"] == single["uri"])
    assert served_event == single
    assert all(OBJECT_FIELD in r for r in truth["event_invitees"])
    assert not any(OBJECT_FIELD in r for r in truth["users"])
    # The store itself stays as the spec has it.
    assert OBJECT_FIELD not in sandbox.org.collections["scheduled_events"][single["uri"]]
    me = admin.get(f"{sandbox.url}/users/me").json()["resource"]
    assert OBJECT_FIELD not in me
    sandbox.configure(extra_fields=False)
    assert (
        OBJECT_FIELD
        not in admin.get(
            f"{sandbox.url}/scheduled_events/{single['uri'].rsplit('/', 1)[-1]}"
        ).json()["resource"]
    )


def test_serve_option():
    args = build_parser().parse_args(["serve", "--extra-fields"])
    assert _settings(args).extra_fields is True
    assert _settings(build_parser().parse_args(["serve"])).extra_fields is False
