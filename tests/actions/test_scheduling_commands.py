"""events, invitees, event-types, shares, scheduling-links, no-shows against the sandbox."""

from __future__ import annotations

import pytest

from tap_calendly.actions.cli import state as cli_state

from . import ids

EVENT_URI = f"{ids.API}/scheduled_events/{ids.FUTURE_EVENT}"


def test_cancel_event_cancels_it_and_its_invitees(cli, sandbox, sent):
    result = cli("events", "cancel", ids.FUTURE_EVENT, "--reason", "Double-booked", "--yes")
    assert result.code == 0, result.err
    assert result.json == {
        "canceled_by": "Ana García",
        "reason": "Double-booked",
        "canceler_type": "host",
    }
    event = sandbox.org.get("scheduled_events", EVENT_URI)
    assert event["status"] == "canceled"
    assert event["cancellation"]["reason"] == "Double-booked"
    invitees = sandbox.org.children_of("event_invitees", EVENT_URI)
    assert invitees
    assert all(i["status"] == "canceled" for i in invitees)
    assert sent("POST /scheduled_events/{uuid}/cancellation") == 1

    again = cli("events", "cancel", EVENT_URI, "--yes")  # a URI works as well as a UUID
    assert again.code == 3
    assert again.out == ""
    assert "403 Permission Denied: Event is already canceled" in again.error_line
    assert f"(POST /scheduled_events/{ids.FUTURE_EVENT}/cancellation)" in again.error_line


def test_cancel_unknown_event_is_404_exit_3(cli):
    result = cli("events", "cancel", "0000aaaa-0000-4000-8000-000000000000", "--yes")
    assert result.code == 3
    assert "404 Resource Not Found" in result.error_line


def test_cancel_needs_yes_without_a_terminal_and_sends_nothing(cli, sandbox, sent):
    result = cli("events", "cancel", ids.FUTURE_EVENT)
    assert result.code == 2
    assert "--yes" in result.error_line
    assert sent("POST /scheduled_events/{uuid}/cancellation") == 0


def test_cancel_asks_on_a_terminal(cli, sandbox, sent, monkeypatch):
    monkeypatch.setattr(cli_state, "interactive", lambda: True)
    event = next(
        e
        for e in sorted(sandbox.org.records("scheduled_events"), key=lambda e: e["uri"])
        if e["status"] == "active" and e["start_time"] > "2030-02-01" and e["uri"] != EVENT_URI
    )
    declined = cli("events", "cancel", event["uri"], input="n\n")
    assert declined.code == 1
    assert "aborted: nothing was sent" in declined.err
    assert sent("POST /scheduled_events/{uuid}/cancellation") == 0
    assert sandbox.org.get("scheduled_events", event["uri"])["status"] == "active"
    accepted = cli("events", "cancel", event["uri"], input="y\n")
    assert accepted.code == 0, accepted.err
    assert sandbox.org.get("scheduled_events", event["uri"])["status"] == "canceled"


def test_cancel_dry_run_prints_the_request_without_the_token(cli, sandbox, sent):
    result = cli("events", "cancel", ids.FUTURE_EVENT, "--reason", "r", "--dry-run")
    assert result.code == 0, result.err
    request = result.json["request"]
    assert result.json["dry_run"] is True
    assert request["method"] == "POST"
    assert request["url"] == f"{sandbox.url}/scheduled_events/{ids.FUTURE_EVENT}/cancellation"
    assert request["json"] == {"reason": "r"}
    assert request["headers"]["Authorization"] == "Bearer ***"
    assert sandbox.admin_token not in result.out + result.err
    assert sent("POST /scheduled_events/{uuid}/cancellation") == 0


def test_cancel_reason_over_the_spec_limit_is_refused_before_sending(cli, sent):
    result = cli("events", "cancel", ids.FUTURE_EVENT, "--reason", "x" * 10_001, "--yes")
    assert result.code == 2
    assert "--reason can be at most 10000 characters" in result.error_line
    assert sent("POST /scheduled_events/{uuid}/cancellation") == 0


def test_events_list_filters_pages_and_limits(cli, sandbox, sent):
    result = cli(
        "events", "list", "--status", "canceled", "--sort", "start_time:desc", "--limit", "150"
    )
    assert result.code == 0, result.err
    rows = result.json
    assert len(rows) == 150
    assert all(r["status"] == "canceled" for r in rows)
    starts = [r["start_time"] for r in rows]
    assert starts == sorted(starts, reverse=True)
    assert sent("GET /scheduled_events") == 2  # two pages of 100, stopped at the limit


def test_events_list_table_and_get(cli):
    table = cli("events", "list", "--limit", "3", "--output", "table")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    assert lines[0].split()[:4] == ["URI", "NAME", "STATUS", "START_TIME"]
    assert len(lines) == 4
    assert lines[1].startswith(f"{ids.API}/scheduled_events/")
    event = cli("events", "get", ids.PAST_EVENT)
    assert event.code == 0
    assert event.json["uri"] == f"{ids.API}/scheduled_events/{ids.PAST_EVENT}"


def test_invitees_list_and_get(cli):
    listed = cli("invitees", "list", ids.PAST_EVENT)
    assert listed.code == 0, listed.err
    assert ids.PAST_INVITEE in [i["uri"] for i in listed.json]
    by_uri = cli("invitees", "get", ids.PAST_INVITEE)
    by_pair = cli("invitees", "get", ids.PAST_EVENT, ids.PAST_INVITEE.rsplit("/", 1)[-1])
    assert by_uri.code == by_pair.code == 0
    assert by_uri.json == by_pair.json
    bad = cli("invitees", "get", "https://api.calendly.com/users/x")
    assert bad.code == 2
    assert "INVITEE_URI must look like" in bad.error_line


def test_event_types_list_get_and_available_times(cli):
    listed = cli("event-types", "list", "--active", "--sort", "name:asc")
    assert listed.code == 0, listed.err
    names = [e["name"] for e in listed.json]
    assert names == sorted(names)
    assert all(e["active"] for e in listed.json)
    one = cli("event-types", "get", ids.EVENT_TYPE)
    assert one.json["uri"] == ids.EVENT_TYPE

    def slots(end: str):
        return cli(
            "event-types", "available-times", ids.EVENT_TYPE, "--start-time",
            "2030-01-08T00:00:00Z", "--end-time", end,
        )  # fmt: skip

    week = slots("2030-01-15T00:00:00Z")
    assert week.code == 0, week.err
    assert isinstance(week.json, list)
    too_long = slots("2030-02-09T00:00:00Z")
    assert too_long.code == 2
    assert "at most 31 days" in too_long.error_line


def test_share_is_created_with_the_given_overrides(cli, sent):
    result = cli(
        "shares",
        "create",
        "--event-type",
        ids.EVENT_TYPE,
        "--name",
        "Intro call",
        "--duration",
        "45",
        "--period-type",
        "fixed",
        "--start-date",
        "2030-02-01",
        "--end-date",
        "2030-02-14",
        "--location-configurations",
        '[{"kind": "zoom_conference", "position": 0}]',
        "--availability-rule",
        '{"timezone": "Europe/Paris", "rules": [{"type": "wday", "wday": "monday",'
        ' "intervals": [{"from": "09:00", "to": "12:00"}]}]}',
    )
    assert result.code == 0, result.err
    override = result.json["share_override"]
    assert override["name"] == "Intro call"
    assert override["duration"] == 45
    assert (override["period_type"], override["start_date"], override["end_date"]) == (
        "fixed",
        "2030-02-01",
        "2030-02-14",
    )
    assert override["availability_rule"]["timezone"] == "Europe/Paris"
    assert result.json["scheduling_links"][0]["owner"] == ids.EVENT_TYPE
    assert sent("POST /shares") == 1


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--period-type", "fixed", "--start-date", "2030-02-01"],
            "needs --start-date and --end-date",
        ),
        (["--period-type", "moving"], "needs --max-booking-time"),
        (["--period-type", "available_moving"], "needs --max-booking-time"),
        (
            ["--period-type", "moving", "--max-booking-time", "30", "--end-date", "2030-01-01"],
            "apply only",
        ),
        (["--duration", "721"], "between 1 and 720"),
        (["--name", "x" * 56], "1 to 55 characters"),
        (["--location-configurations", '[{"kind": "carrier_pigeon"}]'], "kind must be one of"),
        (["--location-configurations", '{"kind": "zoom_conference"}'], "JSON array"),
        (["--availability-rule", '{"rules": []}'], "timezone is required"),
        (["--availability-rule", "{not json"], "not valid JSON"),
        (
            ["--period-type", "fixed", "--start-date", "2030-02-10", "--end-date", "2030-02-01"],
            "must not be before",
        ),
    ],
)
def test_share_options_are_checked_before_sending(cli, sent, args, message):
    result = cli("shares", "create", "--event-type", ids.EVENT_TYPE, *args)
    assert result.code == 2
    assert message in result.error_line
    assert sent("POST /shares") == 0


def test_share_for_an_unknown_event_type_is_404(cli):
    result = cli("shares", "create", "--event-type", f"{ids.API}/event_types/nope")
    assert result.code == 3
    assert "404" in result.error_line


def test_single_use_link(cli, sent):
    result = cli("scheduling-links", "create", "--owner", ids.EVENT_TYPE)
    assert result.code == 0, result.err
    assert result.json["owner"] == ids.EVENT_TYPE
    assert result.json["owner_type"] == "EventType"
    assert result.json["booking_url"].startswith("https://calendly.com/d/")
    refused = cli("scheduling-links", "create", "--owner", ids.EVENT_TYPE, "--max-event-count", "2")
    assert refused.code == 2
    assert "--max-event-count must be 1" in refused.error_line
    dry = cli("scheduling-links", "create", "--owner", ids.EVENT_TYPE, "--dry-run")
    assert dry.json["request"]["json"] == {
        "max_event_count": 1,
        "owner": ids.EVENT_TYPE,
        "owner_type": "EventType",
    }
    assert sent("POST /scheduling_links") == 1


def test_no_show_mark_get_and_unmark(cli, sandbox):
    marked = cli("no-shows", "mark", ids.PAST_INVITEE)
    assert marked.code == 0, marked.err
    no_show_uri = marked.json["uri"]
    assert marked.json["invitee"] == ids.PAST_INVITEE
    assert sandbox.org.get("event_invitees", ids.PAST_INVITEE)["no_show"]["uri"] == no_show_uri
    assert cli("no-shows", "get", no_show_uri).json == marked.json

    again = cli("no-shows", "mark", ids.PAST_INVITEE)
    assert again.code == 3
    assert "400 Invalid Argument" in again.error_line
    assert "invitee: invitee is already marked as no show" in again.error_line

    unmarked = cli("no-shows", "unmark", no_show_uri, "--yes")
    assert unmarked.code == 0, unmarked.err
    assert unmarked.json == {"uri": no_show_uri, "result": "deleted", "already_done": False}
    assert sandbox.org.get("event_invitees", ids.PAST_INVITEE)["no_show"] is None
    gone = cli("no-shows", "unmark", no_show_uri, "--yes")
    assert gone.code == 3
    assert "404" in gone.error_line


def test_no_show_for_an_event_not_started_is_400_with_details(cli, sandbox):
    future = next(
        i
        for i in sorted(sandbox.org.records("event_invitees"), key=lambda i: i["uri"])
        if i["status"] == "active"
        and sandbox.org.get("scheduled_events", i["event"])["start_time"] > "2030-01-08"
    )
    result = cli("no-shows", "mark", future["uri"])
    assert result.code == 3
    line = result.error_line
    assert "400 Invalid Argument: The supplied parameters are invalid." in line
    assert "[invitee: event has not started yet]" in line
    assert "\n" not in line


def test_no_show_mark_takes_an_invitee_uri_only(cli, sent):
    result = cli("no-shows", "mark", ids.PAST_EVENT)
    assert result.code == 2
    assert sent("POST /invitee_no_shows") == 0
