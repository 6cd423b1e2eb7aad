"""The Python API: namespaces, typed errors, dry runs, and the retry rule for writes.

A write whose response is lost after the server applied it is the case the retry rule
exists for. ``LoseFirstResponse`` makes exactly that happen: the first matching request
reaches the sandbox (and is applied), then the client sees the connection drop.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from tap_calendly.actions import (
    AccessDenied,
    Calendly,
    Conflict,
    NetworkError,
    NotFound,
    UsageError,
)
from tests.support.tap_run import tap_config

from . import ids


class LoseFirstResponse:
    """Wraps the client's session: the first ``method`` request is sent, then its
    response is thrown away as if the connection had dropped."""

    def __init__(self, client: Calendly, method: str) -> None:
        self.session = client.transport.session
        self.original = self.session.send
        self.method = method
        self.lost = 0
        self.session.send = self.send  # type: ignore[method-assign]
        client.transport.sleep = lambda _seconds: None  # no real backoff in tests

    def send(self, request: requests.PreparedRequest, **kwargs):
        response = self.original(request, **kwargs)
        if request.method == self.method and not self.lost:
            self.lost += 1
            raise requests.exceptions.ConnectionError("Connection aborted: reset by peer")
        return response


@pytest.fixture
def fresh_client(fresh_sandbox) -> Iterator[Calendly]:
    with Calendly.connect(tap_config(fresh_sandbox)) as made:
        yield made


def test_namespaces_return_the_apis_objects(client):
    assert client.users.me()["uri"] == ids.OWNER
    assert client.events.get(ids.PAST_EVENT)["uri"].endswith(ids.PAST_EVENT)
    assert client.invitees.get(ids.PAST_INVITEE)["uri"] == ids.PAST_INVITEE
    assert client.event_types.get(ids.EVENT_TYPE)["uri"] == ids.EVENT_TYPE
    assert client.raw("GET", "/users/me")["resource"]["uri"] == ids.OWNER
    hooks = list(client.webhooks.list(scope="organization"))
    assert all(h["scope"] == "organization" for h in hooks)


def test_lists_are_lazy_and_page_on_demand(client, sandbox, sent):
    rows = client.events.list(limit=5)
    assert isinstance(rows, Iterator)
    assert sent("GET /scheduled_events") == 0
    assert len(list(rows)) == 5
    assert sent("GET /scheduled_events") == 1


def test_typed_errors(client, sandbox, sent):
    with pytest.raises(NotFound) as missing:
        client.events.get("0000aaaa-0000-4000-8000-000000000000")
    assert missing.value.exit_code == 3
    with pytest.raises(UsageError):
        client.shares.create(ids.EVENT_TYPE, period_type="moving")
    with pytest.raises(UsageError):
        client.webhooks.create("https://x.example/h", [], scope="organization")
    assert sent("POST /shares") == sent("POST /webhook_subscriptions") == 0
    url = "https://receiver.example.net/python/dup"
    client.webhooks.create(url, ["invitee.created"], scope="organization")
    with pytest.raises(Conflict) as duplicate:
        client.webhooks.create(url, ["invitee.created"], scope="organization")
    assert duplicate.value.status == 409
    member = Calendly.connect({"api_url": sandbox.url, "personal_access_token": sandbox.user_token})
    with member, pytest.raises(AccessDenied):
        member.memberships.remove(ids.MEMBERSHIP)


def test_dry_run_client_describes_writes_and_sends_none(sandbox, sent):
    with Calendly.connect(tap_config(sandbox), dry_run=True) as dry:
        planned = dry.webhooks.create(
            "https://receiver.example.net/python/dry", ["invitee.created"], scope="user"
        )
        assert planned["dry_run"] is True
        assert planned["request"]["json"]["user"] == ids.OWNER  # resolved by a read
        assert dry.memberships.remove(ids.MEMBERSHIP)["request"]["method"] == "DELETE"
    assert sent("POST /webhook_subscriptions") == 0
    assert sent("DELETE /organization_memberships/{uuid}") == 0
    assert sent("GET /users/me") == 1


def test_cancel_retried_after_a_lost_response_reports_the_cancellation(fresh_client, fresh_sandbox):
    LoseFirstResponse(fresh_client, "POST")
    result = fresh_client.events.cancel(ids.FUTURE_EVENT, reason="lost response")
    assert result == {
        "canceled_by": "Ana García",
        "reason": "lost response",
        "canceler_type": "host",
    }
    counts = fresh_sandbox.request_counts()
    assert counts["POST /scheduled_events/{uuid}/cancellation"] == 2


def test_webhook_create_retried_after_a_lost_response_returns_the_one_subscription(
    fresh_client, fresh_sandbox
):
    url = "https://receiver.example.net/python/lost"
    LoseFirstResponse(fresh_client, "POST")
    hook = fresh_client.webhooks.create(url, ["invitee.created"], scope="organization")
    assert hook["callback_url"] == url
    same = [
        h for h in fresh_sandbox.org.records("webhook_subscriptions") if h["callback_url"] == url
    ]
    assert [h["uri"] for h in same] == [hook["uri"]]


def test_invitation_retried_after_a_lost_response_returns_the_pending_one(
    fresh_client, fresh_sandbox
):
    LoseFirstResponse(fresh_client, "POST")
    invitation = fresh_client.invitations.create("lost.response@example.com")
    assert invitation["email"] == "lost.response@example.com"
    assert invitation["status"] == "pending"
    pending = [
        i
        for i in fresh_sandbox.org.records("organization_invitations")
        if i["email"] == "lost.response@example.com"
    ]
    assert len(pending) == 1


def test_no_show_retried_after_a_lost_response_returns_the_mark(fresh_client, fresh_sandbox):
    LoseFirstResponse(fresh_client, "POST")
    mark = fresh_client.no_shows.mark(ids.PAST_INVITEE)
    assert mark["invitee"] == ids.PAST_INVITEE
    assert (
        fresh_sandbox.org.get("event_invitees", ids.PAST_INVITEE)["no_show"]["uri"] == mark["uri"]
    )


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda c: c.webhooks.delete(ids.ORG_WEBHOOK), "DELETE /webhook_subscriptions/{uuid}"),
        (
            lambda c: c.memberships.remove(ids.MEMBERSHIP),
            "DELETE /organization_memberships/{uuid}",
        ),
        (
            lambda c: c.invitations.revoke(ids.PENDING_INVITATION),
            "DELETE /organizations/{uuid}/invitations/{invitation_uuid}",
        ),
        (lambda c: c.no_shows.unmark(ids.NO_SHOW), "DELETE /invitee_no_shows/{uuid}"),
    ],
)
def test_delete_retried_after_a_lost_response_counts_404_as_done(
    fresh_client, fresh_sandbox, call, key
):
    LoseFirstResponse(fresh_client, "DELETE")
    result = call(fresh_client)
    assert result["already_done"] is True
    assert fresh_sandbox.request_counts()[key] == 2


def test_data_compliance_is_repeated_after_a_lost_response(fresh_client, fresh_sandbox):
    LoseFirstResponse(fresh_client, "POST")
    result = fresh_client.data_compliance.delete_invitees(["lost@example.com"])
    assert result["status"] == "accepted"
    assert fresh_sandbox.request_counts()["POST /data_compliance/deletion/invitees"] == 2


@pytest.mark.parametrize(
    ("call", "key"),
    [
        (lambda c: c.shares.create(ids.EVENT_TYPE), "POST /shares"),
        (lambda c: c.scheduling_links.create(ids.EVENT_TYPE), "POST /scheduling_links"),
    ],
)
def test_creates_that_a_repeat_would_duplicate_are_not_repeated(
    fresh_client, fresh_sandbox, call, key
):
    LoseFirstResponse(fresh_client, "POST")
    with pytest.raises(NetworkError) as lost:
        call(fresh_client)
    assert lost.value.exit_code == 4
    assert "may or may not have been applied" in str(lost.value)
    assert fresh_sandbox.request_counts()[key] == 1
