"""Domain operations: each success path changes, bumps and notifies; each caller error
raises the status and title Calendly uses."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tap_calendly.sandbox import ops
from tap_calendly.sandbox.generator import SCALES, Scale, generate_org
from tap_calendly.sandbox.store import Record, SandboxOrg, format_ts, parse_ts
from tests.support import org_checks
from tests.support.spec_schema import RecordValidator

SPEC = Path(__file__).resolve().parents[2] / ".." / "shared" / "calendly-api" / "openapi.yaml"
BASE = "http://127.0.0.1:9001"
NOW = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)


@pytest.fixture(scope="module")
def validator() -> RecordValidator:
    return RecordValidator(SPEC)


@pytest.fixture
def org(monkeypatch: pytest.MonkeyPatch, request: pytest.FixtureRequest) -> Iterator[SandboxOrg]:
    monkeypatch.setitem(SCALES, "tiny", Scale(6, 300, 1, 2, 10, 30, 4, 2, 1, 0.32))
    org = generate_org(11, "tiny", BASE, NOW)
    # Ops stamp changes at "now"; move past the generation instant so bumps are visible.
    org.clock.advance(timedelta(minutes=7))
    yield org
    compliance = "delete_" in request.node.name
    assert org_checks.integrity_problems(org, after_compliance=compliance) == []
    assert org_checks.time_problems(org) == []


@pytest.fixture
def sent(org: SandboxOrg) -> list[tuple[str, Record]]:
    calls: list[tuple[str, Record]] = []
    org.listeners.append(lambda event, payload: calls.append((event, payload)))
    return calls


def _future_event(org: SandboxOrg, *, group: bool = False) -> Record:
    """An upcoming active event whose event type still takes bookings (a reschedule
    books the event type again)."""
    for event in org.records("scheduled_events"):
        counter = event["invitees_counter"]
        if (
            event["status"] == "active"
            and parse_ts(event["start_time"]) > org.now()
            and counter["active"] > 0
            and (counter["limit"] > 1) == group
            and org.collections["event_types"][event["event_type"]]["active"]
        ):
            return event
    raise AssertionError("no future active event")


def _past_invitee(org: SandboxOrg) -> Record:
    for invitee in org.records("event_invitees"):
        event = org.collections["scheduled_events"][invitee["event"]]
        if (
            invitee["status"] == "active"
            and invitee["no_show"] is None
            and parse_ts(event["end_time"]) < org.now()
        ):
            return invitee
    raise AssertionError("no past invitee")


def _raises(status: int, title: str) -> pytest.RaisesExc[ops.OpError]:
    return pytest.raises(ops.OpError, match=f"^{status} {title}")


# -- events ------------------------------------------------------------------------------


def test_cancel_event_cancels_invitees_and_notifies(
    org: SandboxOrg, sent: list[tuple[str, Record]], validator: RecordValidator
) -> None:
    event = _future_event(org, group=True)
    active = [i for i in org.children_of("event_invitees", event["uri"]) if i["status"] == "active"]
    result = ops.cancel_event(
        org, event["uri"], reason="Double booked", canceled_by="Host Name", canceler_type="host"
    )
    assert result == {
        "canceled_by": "Host Name",
        "reason": "Double booked",
        "canceler_type": "host",
    }
    assert validator.errors("Cancellation", result) == []
    assert event["status"] == "canceled"
    assert event["cancellation"] == result
    assert event["updated_at"] == org.now_ts()
    assert event["invitees_counter"]["active"] == 0
    for invitee in active:
        assert invitee["status"] == "canceled"
        assert invitee["cancellation"] == result
        assert invitee["updated_at"] == org.now_ts()
        assert validator.collection_errors("event_invitees", invitee) == []
    assert [name for name, _ in sent] == ["invitee.canceled"] * len(active)
    assert {p["uri"] for _, p in sent} == {i["uri"] for i in active}
    assert sent[0][1]["scheduled_event"]["status"] == "canceled"


def test_cancel_event_errors(org: SandboxOrg) -> None:
    event = _future_event(org)
    ops.cancel_event(org, event["uri"], reason=None, canceled_by="X", canceler_type="host")
    with _raises(403, "Permission Denied: Event is already canceled"):
        ops.cancel_event(org, event["uri"], reason=None, canceled_by="X", canceler_type="host")
    past = next(
        e
        for e in org.records("scheduled_events")
        if e["status"] == "active" and parse_ts(e["start_time"]) < org.now()
    )
    with _raises(403, "Permission Denied: Event in the past"):
        ops.cancel_event(org, past["uri"], reason=None, canceled_by="X", canceler_type="host")
    with _raises(404, "Resource Not Found"):
        ops.cancel_event(
            org,
            org.uri("scheduled_events", "nope"),
            reason=None,
            canceled_by="X",
            canceler_type="host",
        )


def test_cancel_last_invitee_cancels_event(org: SandboxOrg, sent: list[tuple[str, Record]]) -> None:
    event = _future_event(org)
    (invitee,) = [
        i for i in org.children_of("event_invitees", event["uri"]) if i["status"] == "active"
    ]
    ops.cancel_invitee(org, invitee["uri"], reason=None, canceled_by=invitee["name"])
    assert invitee["cancellation"]["canceler_type"] == "invitee"
    assert event["status"] == "canceled"
    assert event["cancellation"]["canceled_by"] == invitee["name"]
    assert sent[0][0] == "invitee.canceled"
    with _raises(403, "Permission Denied"):
        ops.cancel_invitee(org, invitee["uri"], reason=None, canceled_by="again")


def test_book_creates_event_and_invitee(
    org: SandboxOrg, sent: list[tuple[str, Record]], validator: RecordValidator
) -> None:
    event_type = next(
        t
        for t in org.records("event_types")
        if t["active"] and t["kind"] == "solo" and t["pooling_type"] is None
    )
    start = (org.now() + timedelta(days=3)).replace(minute=30)
    invitee = ops.book(org, event_type_uri=event_type["uri"], start_time=start)
    event = org.collections["scheduled_events"][invitee["event"]]
    assert event["start_time"] == format_ts(start)
    assert event["created_at"] == event["updated_at"] == invitee["created_at"] == org.now_ts()
    assert event["invitees_counter"] == {"total": 1, "active": 1, "limit": 1}
    assert event["event_memberships"][0]["user"] == event_type["profile"]["owner"]
    assert validator.collection_errors("scheduled_events", event) == []
    assert validator.collection_errors("event_invitees", invitee) == []
    assert [name for name, _ in sent] == ["invitee.created"]
    with _raises(400, "Invalid Argument"):
        ops.book(org, event_type_uri=event_type["uri"], start_time=org.now() - timedelta(hours=1))
    with _raises(404, "Resource Not Found"):
        ops.book(org, event_type_uri=org.uri("event_types", "nope"), start_time=start)


def test_book_fills_group_event_then_opens_new_one(org: SandboxOrg) -> None:
    group_type = next(t for t in org.records("event_types") if t["active"] and t["kind"] == "group")
    start = (org.now() + timedelta(days=5)).replace(minute=0)
    first = ops.book(org, event_type_uri=group_type["uri"], start_time=start)
    event = org.collections["scheduled_events"][first["event"]]
    limit = event["invitees_counter"]["limit"]
    uris = {
        ops.book(org, event_type_uri=group_type["uri"], start_time=start)["event"]
        for _ in range(limit - 1)
    }
    assert uris == {event["uri"]}
    assert event["invitees_counter"] == {"total": limit, "active": limit, "limit": limit}
    overflow = ops.book(org, event_type_uri=group_type["uri"], start_time=start)
    assert overflow["event"] != event["uri"]
    with _raises(400, "Invalid Argument"):
        ops.book(org, event_type_uri=group_type["uri"], start_time=start, event_uri=event["uri"])


def test_reschedule_links_old_and_new(org: SandboxOrg, sent: list[tuple[str, Record]]) -> None:
    event = _future_event(org)
    (old,) = [i for i in org.children_of("event_invitees", event["uri"]) if i["status"] == "active"]
    new_start = parse_ts(event["start_time"]) + timedelta(days=2)
    new = ops.reschedule(org, old["uri"], new_start=new_start, reason="Conflict")
    assert old["status"] == "canceled"
    assert old["rescheduled"] is True
    assert old["new_invitee"] == new["uri"]
    assert new["old_invitee"] == old["uri"]
    assert old["cancellation"] == {
        "canceled_by": old["name"],
        "reason": "Conflict",
        "canceler_type": "invitee",
    }
    assert event["status"] == "canceled"
    new_event = org.collections["scheduled_events"][new["event"]]
    assert new_event["start_time"] == format_ts(new_start)
    assert (new["email"], new["name"]) == (old["email"], old["name"])
    assert [name for name, _ in sent] == ["invitee.canceled", "invitee.created"]
    assert sent[0][1]["rescheduled"] is True
    with _raises(400, "Invalid Argument"):
        ops.reschedule(org, old["uri"], new_start=new_start)


# -- no-shows ------------------------------------------------------------------------------


def test_mark_and_unmark_no_show(
    org: SandboxOrg, sent: list[tuple[str, Record]], validator: RecordValidator
) -> None:
    invitee = _past_invitee(org)
    mark = ops.mark_no_show(org, invitee["uri"])
    assert validator.collection_errors("invitee_no_shows", mark) == []
    assert mark["invitee"] == invitee["uri"]
    assert mark["uri"].startswith(BASE + "/invitee_no_shows/")
    assert org.collections["invitee_no_shows"][mark["uri"]]["created_at"] == org.now_ts()
    assert invitee["no_show"] == {"uri": mark["uri"], "created_at": org.now_ts()}
    assert invitee["updated_at"] == org.now_ts()
    with _raises(400, "Invalid Argument"):
        ops.mark_no_show(org, invitee["uri"])
    org.clock.advance(timedelta(minutes=1))
    ops.unmark_no_show(org, mark["uri"])
    assert mark["uri"] not in org.collections["invitee_no_shows"]
    assert invitee["no_show"] is None
    assert invitee["updated_at"] == org.now_ts()
    assert [name for name, _ in sent] == ["invitee_no_show.created", "invitee_no_show.deleted"]
    assert sent[0][1]["uri"] == invitee["uri"]
    with _raises(404, "Resource Not Found"):
        ops.unmark_no_show(org, mark["uri"])


def test_no_show_errors(org: SandboxOrg) -> None:
    with _raises(404, "Resource Not Found"):
        ops.mark_no_show(org, org.uri("scheduled_events", "x", "invitees", "y"))
    future = _future_event(org)
    invitee = org.children_of("event_invitees", future["uri"])[0]
    with _raises(400, "Invalid Argument"):
        ops.mark_no_show(org, invitee["uri"])


# -- organization ---------------------------------------------------------------------------


def test_create_and_revoke_invitation(org: SandboxOrg, validator: RecordValidator) -> None:
    invitation = ops.create_invitation(org, "new.person@example.org")
    assert validator.collection_errors("organization_invitations", invitation) == []
    assert invitation["status"] == "pending"
    assert invitation["created_at"] == invitation["last_sent_at"] == org.now_ts()
    assert invitation["uri"].startswith(org.organization["uri"] + "/invitations/")
    entry = max(org.records("activity_log_entries"), key=lambda e: e["occurred_at"])
    assert entry["fully_qualified_name"] == "Invitation.Send"
    with _raises(400, "Already Invited"):
        ops.create_invitation(org, "New.Person@example.org")
    ops.revoke_invitation(org, invitation["uri"])
    assert invitation["uri"] not in org.collections["organization_invitations"]
    with _raises(404, "Resource Not Found"):
        ops.revoke_invitation(org, invitation["uri"])
    accepted = next(i for i in org.records("organization_invitations") if i["status"] == "accepted")
    with _raises(400, "Invalid Argument"):
        ops.revoke_invitation(org, accepted["uri"])


def test_invitation_errors(org: SandboxOrg) -> None:
    member = org.collections["users"][org.owner_uri]["email"]
    with _raises(400, "Already Organization Member"):
        ops.create_invitation(org, member.upper())
    for bad, message in (("not-an-email", "invalid email"), ("", "must be filled")):
        with pytest.raises(ops.OpError) as caught:
            ops.create_invitation(org, bad)
        assert (caught.value.status, caught.value.title) == (400, "Invalid Argument")
        assert caught.value.details is not None
        assert caught.value.details[0]["parameter"] == "email"
        assert message in caught.value.details[0]["message"]


def test_accept_invitation_adds_member(org: SandboxOrg, validator: RecordValidator) -> None:
    invitation = ops.create_invitation(org, "jose.muller77@example.com")
    membership = ops.accept_invitation(org, invitation["uri"])
    user = org.collections["users"][membership["user"]["uri"]]
    assert user["name"] == "José Müller"
    assert user["email"] == "jose.muller77@example.com"
    assert invitation["status"] == "accepted"
    assert invitation["user"] == user["uri"]
    assert validator.collection_errors("organization_memberships", membership) == []
    assert validator.collection_errors("users", user) == []
    (schedule,) = [
        s for s in org.records("user_availability_schedules") if s["user"] == user["uri"]
    ]
    assert schedule["default"] is True
    assert validator.collection_errors("user_availability_schedules", schedule) == []


def test_remove_membership(org: SandboxOrg) -> None:
    membership = next(m for m in org.records("organization_memberships") if m["role"] == "user")
    user_uri = membership["user"]["uri"]
    hook = ops.create_webhook(
        org,
        url="https://hooks.example.com/member",
        events=["invitee.created"],
        scope="user",
        user=user_uri,
        signing_key=None,
    )
    ops.remove_membership(org, membership["uri"])
    assert membership["uri"] not in org.collections["organization_memberships"]
    assert user_uri not in org.collections["users"]
    assert hook["state"] == "disabled"
    owned = [t for t in org.records("event_types") if t["profile"]["owner"] == user_uri]
    assert owned
    assert all(t["deleted_at"] == org.now_ts() and not t["active"] for t in owned)
    with _raises(404, "Resource Not Found"):
        ops.remove_membership(org, membership["uri"])
    owner = next(m for m in org.records("organization_memberships") if m["role"] == "owner")
    with _raises(403, "Permission Denied"):
        ops.remove_membership(org, owner["uri"])


# -- webhooks, shares, links ------------------------------------------------------------------


def test_webhook_lifecycle(org: SandboxOrg, validator: RecordValidator) -> None:
    hook = ops.create_webhook(
        org,
        url="https://hooks.example.com/new",
        events=["invitee.created", "invitee.canceled", "invitee.created"],
        scope="organization",
        user=None,
        signing_key="s3cret-key",
    )
    assert validator.collection_errors("webhook_subscriptions", hook) == []
    assert hook["events"] == ["invitee.created", "invitee.canceled"]
    assert org.signing_keys[hook["uri"]] == "s3cret-key"
    assert "s3cret-key" not in repr(hook)
    with _raises(409, "Already Exists"):
        ops.create_webhook(
            org,
            url=hook["callback_url"],
            events=["invitee.created"],
            scope="organization",
            user=None,
            signing_key=None,
        )
    ops.delete_webhook(org, hook["uri"])
    assert hook["uri"] not in org.collections["webhook_subscriptions"]
    assert hook["uri"] not in org.signing_keys
    with _raises(404, "Resource Not Found"):
        ops.delete_webhook(org, hook["uri"])


@pytest.mark.parametrize(
    ("kwargs", "parameter"),
    [
        (
            {
                "url": "ftp://x",
                "events": ["invitee.created"],
                "scope": "organization",
                "user": None,
            },
            "url",
        ),
        (
            {
                "url": "https://a.example",
                "events": ["meeting.booked"],
                "scope": "organization",
                "user": None,
            },
            "events",
        ),
        (
            {
                "url": "https://a.example",
                "events": ["invitee.created"],
                "scope": "team",
                "user": None,
            },
            "scope",
        ),
        (
            {
                "url": "https://a.example",
                "events": ["invitee.created"],
                "scope": "user",
                "user": None,
            },
            "user",
        ),
        (
            {
                "url": "https://a.example",
                "events": ["routing_form_submission.created"],
                "scope": "user",
                "user": None,
            },
            "events",
        ),
    ],
)
def test_webhook_validation(org: SandboxOrg, kwargs: dict[str, object], parameter: str) -> None:
    with pytest.raises(ops.OpError) as caught:
        ops.create_webhook(org, signing_key=None, **kwargs)  # type: ignore[arg-type]
    assert caught.value.status == 400
    assert caught.value.details is not None
    assert caught.value.details[0]["parameter"] == parameter


def test_share_and_scheduling_link(org: SandboxOrg, validator: RecordValidator) -> None:
    event_type = next(t for t in org.records("event_types") if t["active"])
    share = ops.create_share(
        org, {"event_type": event_type["uri"], "duration": 45, "name": "Custom"}
    )
    assert validator.errors("Share", share) == []
    assert share["share_override"]["duration"] == 45
    assert share["share_override"]["name"] == "Custom"
    assert share["scheduling_links"][0]["owner"] == event_type["uri"]
    with _raises(404, "Resource Not Found"):
        ops.create_share(org, {"event_type": org.uri("event_types", "nope")})
    with _raises(400, "Invalid Argument"):
        ops.create_share(org, {"event_type": event_type["uri"], "period_type": "fixed"})
    link = ops.create_scheduling_link(
        org, owner=event_type["uri"], owner_type="EventType", max_event_count=1
    )
    assert link["booking_url"].startswith("https://calendly.com/d/")
    assert link["owner"] == event_type["uri"]
    with _raises(400, "Invalid Argument"):
        ops.create_scheduling_link(
            org, owner=event_type["uri"], owner_type="EventType", max_event_count=2
        )
    with _raises(404, "Resource Not Found"):
        ops.create_scheduling_link(
            org, owner=org.uri("event_types", "x"), owner_type="EventType", max_event_count=1
        )


# -- routing forms ------------------------------------------------------------------------------


def test_routing_submission_notifies_and_links(
    org: SandboxOrg, sent: list[tuple[str, Record]], validator: RecordValidator
) -> None:
    form = next(f for f in org.records("routing_forms") if f["status"] == "published")
    submission = ops.submit_routing_form(org, form["uri"])
    assert validator.collection_errors("routing_form_submissions", submission) == []
    assert submission["submitter"] is None
    assert sent == [("routing_form_submission.created", submission)]
    invitee = _past_invitee(org)
    ops.link_submission(org, submission["uri"], invitee["uri"])
    assert submission["submitter"] == invitee["uri"]
    assert submission["submitter_type"] == "Invitee"
    assert invitee["routing_form_submission"] == submission["uri"]
    assert submission["updated_at"] == invitee["updated_at"] == org.now_ts()


# -- data compliance -------------------------------------------------------------------------------


def test_delete_invitee_data(org: SandboxOrg) -> None:
    victim = next(i for i in org.records("event_invitees") if i["no_show"] or i["old_invitee"])
    email = victim["email"]
    events = {i["event"] for i in org.records("event_invitees") if i["email"] == email}
    ops.delete_invitee_data(org, [email.upper()])
    assert not [i for i in org.records("event_invitees") if i["email"].lower() == email.lower()]
    for uri in events:
        assert org.collections["scheduled_events"][uri]["updated_at"] == org.now_ts()
    assert all(m["invitee"] != victim["uri"] for m in org.records("invitee_no_shows"))
    with _raises(400, "Invalid Argument"):
        ops.delete_invitee_data(org, [])
    with _raises(400, "Invalid Argument"):
        ops.delete_invitee_data(org, ["nope"])


def test_delete_invitee_data_anonymises_submissions(org: SandboxOrg) -> None:
    submission = next(s for s in org.records("routing_form_submissions") if s["submitter"])
    invitee = org.collections["event_invitees"][submission["submitter"]]
    ops.delete_invitee_data(org, [invitee["email"]])
    assert submission["submitter"] is None
    assert submission["submitter_type"] is None
    assert all(a["answer"] is None for a in submission["questions_and_answers"])
    assert submission["updated_at"] == org.now_ts()


def test_delete_event_data(org: SandboxOrg) -> None:
    start, end = org.now() - timedelta(days=400), org.now() - timedelta(days=200)
    lo, hi = format_ts(start), format_ts(end)
    doomed = [e["uri"] for e in org.records("scheduled_events") if lo <= e["start_time"] < hi]
    assert doomed
    before = len(org.collections["scheduled_events"])
    ops.delete_event_data(org, start_time=start, end_time=end)
    assert len(org.collections["scheduled_events"]) == before - len(doomed)
    assert not [i for i in org.records("event_invitees") if i["event"] in set(doomed)]
    with _raises(400, "Invalid Argument"):
        ops.delete_event_data(
            org, start_time=org.now() - timedelta(days=1), end_time=org.now() + timedelta(days=1)
        )
    with _raises(400, "Invalid Argument"):
        ops.delete_event_data(
            org, start_time=org.now() - timedelta(days=800), end_time=org.now() - timedelta(days=1)
        )
    with _raises(400, "Invalid Argument"):
        ops.delete_event_data(org, start_time=end, end_time=start)


def test_op_error_never_carries_secrets() -> None:
    error = ops.OpError(409, "Already Exists", "Hook with this url already exists")
    assert str(error) == "409 Already Exists: Hook with this url already exists"
    assert error.details is None


def test_decline_and_accept_need_a_pending_invitation(org: SandboxOrg) -> None:
    invitation = ops.create_invitation(org, "someone.new@example.net")
    org.clock.advance(timedelta(minutes=1))
    ops.decline_invitation(org, invitation["uri"])
    assert invitation["status"] == "declined"
    assert invitation["updated_at"] == org.now_ts()
    with _raises(400, "Invalid Argument"):
        ops.accept_invitation(org, invitation["uri"])
    with _raises(400, "Invalid Argument"):
        ops.decline_invitation(org, invitation["uri"])
    with _raises(404, "Resource Not Found"):
        ops.accept_invitation(org, invitation["uri"] + "x")
    again = ops.create_invitation(org, "someone.new@example.net")
    assert again["status"] == "pending"


def test_delete_invitee_data_drops_event_guests(org: SandboxOrg) -> None:
    event = next(e for e in org.records("scheduled_events") if e["event_guests"])
    guest = event["event_guests"][0]["email"]
    ops.delete_invitee_data(org, [guest])
    assert all(g["email"] != guest for g in event["event_guests"])
    assert event["updated_at"] == org.now_ts()


# -- history: the same ops at past instants --------------------------------------------------


def test_ops_record_history_at_a_past_instant(org: SandboxOrg) -> None:
    """The generator plays history through these ops: a booking made last month and
    canceled last week carries those instants, not now, and checks run at ``at``."""
    solo = next(
        t
        for t in org.records("event_types")
        if t["kind"] == "solo" and t["type"] == "StandardEventType" and not t["active"]
    )
    booked = org.now() - timedelta(days=30)
    start = org.now() - timedelta(days=2)  # over today, still ahead back then
    invitee = ops.book(org, event_type_uri=solo["uri"], start_time=start, at=booked)
    event = org.collections["scheduled_events"][invitee["event"]]
    assert invitee["created_at"] == event["created_at"] == format_ts(booked)
    canceled_at = booked + timedelta(days=10)
    ops.cancel_event(
        org, event["uri"], reason=None, canceled_by="H", canceler_type="host", at=canceled_at
    )
    assert event["status"] == invitee["status"] == "canceled"
    assert event["updated_at"] == invitee["updated_at"] == format_ts(canceled_at)
    with pytest.raises(ValueError, match="after the sandbox's now"):
        ops.book(org, event_type_uri=solo["uri"], start_time=start, at=org.now() + DAY)
    with _raises(403, "Permission Denied: Event in the past"):
        again = ops.book(org, event_type_uri=solo["uri"], start_time=start, at=booked)
        ops.cancel_invitee(org, again["uri"], reason=None, canceled_by="I", at=start)


def test_history_recorded_out_of_order_never_moves_updated_at_back(org: SandboxOrg) -> None:
    group = next(t for t in org.records("event_types") if t["kind"] == "group")
    start = org.now() - timedelta(days=1)
    first = ops.book(org, event_type_uri=group["uri"], start_time=start, at=start - 5 * DAY)
    event = org.collections["scheduled_events"][first["event"]]
    later = start - DAY
    ops.book(org, event_type_uri=group["uri"], start_time=start, event_uri=event["uri"], at=later)
    # The first seat was given up before the second was booked, but is recorded after it.
    ops.cancel_invitee(org, first["uri"], reason=None, canceled_by="I", at=start - 3 * DAY)
    assert first["updated_at"] == format_ts(start - 3 * DAY)
    assert event["updated_at"] == format_ts(later)
    assert event["status"] == "active"
    assert event["invitees_counter"] == {**event["invitees_counter"], "total": 2, "active": 1}


def test_reconfirmation_ops(org: SandboxOrg) -> None:
    event = _future_event(org)
    (invitee,) = org.children_of("event_invitees", event["uri"])
    invitee["reconfirmation"] = None
    asked = ops.request_reconfirmation(org, event["uri"])
    assert asked == [invitee]
    assert invitee["reconfirmation"] == {"created_at": org.now_ts(), "confirmed_at": None}
    assert ops.request_reconfirmation(org, event["uri"]) == []  # already asked
    ops.confirm_reconfirmation(org, invitee["uri"])
    assert invitee["reconfirmation"]["confirmed_at"] == org.now_ts()
    assert invitee["updated_at"] == org.now_ts()
    with _raises(400, "Invalid Argument"):
        ops.confirm_reconfirmation(org, invitee["uri"])
