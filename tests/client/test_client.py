"""CalendlyClient against the sandbox: paging, typed errors, the write-retry rule."""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator
from typing import Any

import pytest

from tap_calendly.api import (
    AccessDenied,
    APIError,
    CalendlyClient,
    Conflict,
    NetworkError,
    NotFound,
    ServerError,
    UsageError,
)
from tap_calendly.api.ratelimit import RateLimiter
from tap_calendly.sandbox.runner import Sandbox
from tests.support.sandbox_config import reconfigured
from tests.support.tap_run import FakeTime


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    from tap_calendly.sandbox.runner import SandboxSettings

    with Sandbox(
        SandboxSettings(seed=3, scale="small", rate_limit_per_minute=1_000_000, webhooks=False)
    ) as sb:
        yield sb


def client_for(sandbox: Sandbox, token: str | None = None, **settings: Any) -> CalendlyClient:
    """A client whose rate-limit waits and backoffs jump a fake clock instead of sleeping."""
    fake = FakeTime()
    client = CalendlyClient.from_settings(
        {"personal_access_token": token or sandbox.admin_token, "api_url": sandbox.url, **settings},
        limiter=RateLimiter(clock=fake.clock, sleep=fake.sleep),
    )
    client.transport.sleep = fake.sleep
    return client


@contextlib.contextmanager
def faulted_client(sandbox: Sandbox, fault: str) -> Iterator[CalendlyClient]:
    """A fresh client while the sandbox applies ``fault`` (request counts start at zero);
    the fault is cleared after the block."""
    with reconfigured(sandbox, faults={"schedule": [fault]}), client_for(sandbox) as client:
        sandbox.reset_counts()
        yield client


def hook_body(client: CalendlyClient, url: str) -> dict[str, Any]:
    return {
        "url": url,
        "events": ["invitee.created"],
        "organization": client.owner().organization_uri,
        "scope": "organization",
    }


def test_me_is_fetched_once(sandbox: Sandbox):
    with client_for(sandbox) as client:
        sandbox.reset_counts()
        me = client.me()
        assert client.me() is me
        assert me["uri"] == client.owner().user_uri
        assert sandbox.request_counts().get("GET /users/me") == 1


def test_paginate_reads_every_row_with_the_fewest_pages(sandbox: Sandbox):
    truth = sandbox.ground_truth()["event_types"]
    with client_for(sandbox) as client:
        org = client.owner().organization_uri
        sandbox.reset_counts()
        rows = list(client.paginate("/event_types", {"organization": org}))
        assert sorted(r["uri"] for r in rows) == sorted(r["uri"] for r in truth)
        pages = sandbox.request_counts()["GET /event_types"]
        assert pages == max(1, math.ceil(len(truth) / 100))
        sandbox.reset_counts()
        assert len(list(client.paginate("/event_types", {"organization": org}, limit=7))) == 7
        assert sandbox.request_counts()["GET /event_types"] == 1


def test_absolute_uris_only_on_the_configured_host(sandbox: Sandbox):
    with client_for(sandbox) as client:
        me = client.me()
        assert client.get(me["uri"])["resource"]["uri"] == me["uri"]
        with pytest.raises(UsageError, match="refusing to send the token"):
            client.get("https://evil.example.test/users/me")


def test_typed_errors_carry_calendly_fields(sandbox: Sandbox):
    with client_for(sandbox) as client:
        with pytest.raises(NotFound) as missing:
            client.get("/scheduled_events/00000000-0000-0000-0000-000000000000")
        assert missing.value.status == 404
        assert missing.value.exit_code == 3
        with pytest.raises(APIError) as bad:
            client.get("/scheduled_events", {"count": 1000, "organization": "x"})
        assert bad.value.status == 400
        assert bad.value.details  # Calendly's per-parameter details survive
        assert "[" in str(bad.value)
    assert sandbox.user_token is not None
    with client_for(sandbox, sandbox.user_token) as member, pytest.raises(AccessDenied):
        member.get("/organization_memberships", {"organization": member.owner().organization_uri})


def test_post_and_delete_and_conflict(sandbox: Sandbox):
    with client_for(sandbox) as client:
        created = client.post("/webhook_subscriptions", hook_body(client, "http://127.0.0.1:9/a"))
        uri = created["resource"]["uri"]
        with pytest.raises(Conflict):
            client.post("/webhook_subscriptions", hook_body(client, "http://127.0.0.1:9/a"))
        assert client.delete(uri) is None
        with pytest.raises(NotFound):  # not retried, so a 404 is a real "not found"
            client.delete(uri)


def test_a_write_whose_answer_was_lost_is_not_repeated_by_default(sandbox: Sandbox):
    with faulted_client(sandbox, "POST /webhook_subscriptions#1=truncate") as client:
        with pytest.raises(NetworkError, match="may or may not have been applied"):
            client.post("/webhook_subscriptions", hook_body(client, "http://127.0.0.1:9/b"))
        assert sandbox.request_counts()["POST /webhook_subscriptions"] == 1
        hooks = [h["callback_url"] for h in sandbox.ground_truth()["webhook_subscriptions"]]
        assert "http://127.0.0.1:9/b" in hooks  # it was applied: repeating would duplicate


def test_a_harmless_write_is_retried_and_already_done_is_success(sandbox: Sandbox):
    with faulted_client(sandbox, "POST /webhook_subscriptions#1=truncate") as client:
        result = client.post(
            "/webhook_subscriptions",
            hook_body(client, "http://127.0.0.1:9/c"),
            already_done=lambda error: error.status == 409,
        )
        assert result is None  # the retry met 409: it was applied by the first try
        assert sandbox.request_counts()["POST /webhook_subscriptions"] == 2
        hooks = [h["callback_url"] for h in sandbox.ground_truth()["webhook_subscriptions"]]
        assert hooks.count("http://127.0.0.1:9/c") == 1


def test_writes_are_retried_when_they_cannot_have_been_applied(sandbox: Sandbox):
    with faulted_client(sandbox, "POST /webhook_subscriptions#1=429") as client:
        created = client.post("/webhook_subscriptions", hook_body(client, "http://127.0.0.1:9/d"))
        assert created["resource"]["callback_url"] == "http://127.0.0.1:9/d"
        assert sandbox.request_counts()["POST /webhook_subscriptions"] == 2
    with faulted_client(sandbox, "POST /webhook_subscriptions#1=503") as client:
        with pytest.raises(ServerError) as info:
            client.post("/webhook_subscriptions", hook_body(client, "http://127.0.0.1:9/e"))
        assert info.value.exit_code == 4
        assert sandbox.request_counts()["POST /webhook_subscriptions"] == 1


def test_reads_retry_server_errors(sandbox: Sandbox):
    with faulted_client(sandbox, "GET /users/me#1=503x2") as client:
        assert client.me()["uri"]
        assert sandbox.request_counts()["GET /users/me"] == 3


def test_unreachable_host_is_a_network_error_for_any_method():
    client = CalendlyClient.from_settings(
        {"personal_access_token": "pat-x", "api_url": "http://127.0.0.1:9", "max_retries": 2}
    )
    client.transport.sleep = lambda seconds: None
    with pytest.raises(NetworkError, match="after 3 attempts") as info:
        client.post("/webhook_subscriptions", {"url": "x"})
    assert info.value.exit_code == 4
    assert "pat-x" not in str(info.value)
