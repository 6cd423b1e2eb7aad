"""Subscribing the receiver through CalendlyClient: create, reuse on 409, replace what is
ours and stale, refuse what is not ours, and delete exactly ours."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from tap_calendly.api import CalendlyClient, UsageError
from tap_calendly.sandbox import ops
from tap_calendly.sandbox.runner import Sandbox, SandboxSettings
from tap_calendly.webhooks import subscribe as subs
from tap_calendly.webhooks.secret_files import STATE_FILE, load_or_create_key, read_state
from tests.support.tap_run import tap_config

URL = "https://hooks.example.com/calendly"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def sandbox() -> Iterator[Sandbox]:
    settings = SandboxSettings(seed=5, scale="small", now=NOW, rate_limit_per_minute=1_000_000)
    with Sandbox(settings) as running:
        yield running


@pytest.fixture
def client(sandbox) -> Iterator[CalendlyClient]:
    with CalendlyClient.from_settings(tap_config(sandbox)) as made:
        yield made


def hooks_for(sandbox, url=URL):
    return [h for h in sandbox.org.records("webhook_subscriptions") if h["callback_url"] == url]


def existing_hook(sandbox, key, events=subs.ORGANIZATION_EVENTS, url=URL):
    """A subscription made outside this receiver (the sandbox's own operation)."""
    return ops.create_webhook(
        sandbox.org, url=url, events=list(events), scope="organization", user=None, signing_key=key
    )


def make(client, journal, key="key-1", events=subs.ORGANIZATION_EVENTS, given=False, url=URL):
    return subs.subscribe(
        client,
        journal,
        url=url,
        events=events,
        scope="organization",
        signing_key=key,
        key_given=given,
    )


def test_creates_then_reuses(sandbox, client, journal_dir):
    journal_dir.mkdir()
    first = make(client, journal_dir)
    assert first.created
    (hook,) = hooks_for(sandbox)
    assert hook["uri"] == first.uri
    assert hook["events"] == list(subs.ORGANIZATION_EVENTS)
    assert sandbox.org.signing_keys[first.uri] == "key-1"
    state_file = journal_dir / STATE_FILE
    assert stat.S_IMODE(os.stat(state_file).st_mode) == 0o600
    assert "key-1" not in state_file.read_text()  # a fingerprint, never the key
    sandbox.reset_counts()
    again = make(client, journal_dir)
    assert (again.uri, again.created) == (first.uri, False)
    assert len(hooks_for(sandbox)) == 1
    counts = sandbox.request_counts()
    assert counts.get("POST /webhook_subscriptions") == 1  # answered 409, then reused


def test_a_subscription_that_is_not_ours_needs_its_key(sandbox, client, journal_dir):
    journal_dir.mkdir()
    foreign = existing_hook(sandbox, "their-key")
    with pytest.raises(UsageError, match="was not created by this receiver") as caught:
        make(client, journal_dir)
    assert "their-key" not in str(caught.value)
    reused = make(client, journal_dir, key="their-key", given=True)
    assert (reused.uri, reused.created) == (foreign["uri"], False)
    assert not subs.owned(journal_dir, foreign["uri"])  # never ours to delete


@pytest.mark.parametrize("staleness", ["disabled", "fewer events", "another key"])
def test_ours_but_stale_is_replaced(sandbox, client, journal_dir, staleness):
    journal_dir.mkdir()
    events = subs.ORGANIZATION_EVENTS
    first = make(client, journal_dir, events=events[:2] if staleness == "fewer events" else events)
    key = "key-2" if staleness == "another key" else "key-1"
    if staleness == "disabled":
        sandbox.org.get("webhook_subscriptions", first.uri)["state"] = "disabled"
    replaced = make(client, journal_dir, key=key)
    assert replaced.created
    assert replaced.uri != first.uri
    (hook,) = hooks_for(sandbox)
    assert hook["uri"] == replaced.uri
    assert hook["state"] == "active"
    assert hook["events"] == list(events)
    assert sandbox.org.signing_keys[replaced.uri] == key
    assert [s["uri"] for s in read_state(journal_dir)["subscriptions"]] == [replaced.uri]


def test_not_ours_and_stale_is_refused(sandbox, client, journal_dir):
    journal_dir.mkdir()
    existing_hook(sandbox, "k", events=["invitee.created"])
    with pytest.raises(UsageError, match=r"lacks invitee\.canceled"):
        make(client, journal_dir, key="k", given=True)
    assert len(hooks_for(sandbox)) == 1


def test_unsubscribe_deletes_exactly_ours(sandbox, client, journal_dir):
    journal_dir.mkdir()
    ours = make(client, journal_dir)
    other = make(client, journal_dir, url="https://other.example.com/hook")
    theirs = existing_hook(sandbox, None, ["invitee.created"], "https://theirs.example.com/x")
    subs.unsubscribe(client, journal_dir, ours.uri)
    remaining = {h["uri"] for h in sandbox.org.records("webhook_subscriptions")}
    assert ours.uri not in remaining
    assert {other.uri, theirs["uri"]} <= remaining
    assert [s["uri"] for s in read_state(journal_dir)["subscriptions"]] == [other.uri]
    subs.unsubscribe(client, journal_dir, ours.uri)  # already gone: fine


def test_a_lost_answer_to_our_post_still_makes_it_ours(sandbox, client, journal_dir, monkeypatch):
    """POST applied, answer lost, the retry met 409: the client reports None; the
    existing subscription is then ours (and deleted on exit)."""
    journal_dir.mkdir()
    created = existing_hook(sandbox, "key-1")
    monkeypatch.setattr(client, "post", lambda *a, **k: None)
    found = make(client, journal_dir)
    assert found.uri == created["uri"]
    assert subs.owned(journal_dir, created["uri"])


def test_user_scope_subscribes_for_the_token_user(sandbox, journal_dir):
    journal_dir.mkdir()
    with CalendlyClient.from_settings(
        {"api_url": sandbox.url, "personal_access_token": sandbox.user_token}
    ) as member:
        made, again = (
            subs.subscribe(
                member,
                journal_dir,
                url=URL,
                events=subs.USER_EVENTS,
                scope="user",
                signing_key="k",
                key_given=False,
            )
            for _ in range(2)
        )
    (hook,) = hooks_for(sandbox)
    assert hook["scope"] == "user"
    assert hook["user"] == member.owner().user_uri
    assert again.uri == made.uri


def test_generated_key_is_private_and_stable(tmp_path):
    key, new = load_or_create_key(tmp_path)
    assert new
    assert len(key) >= 40
    assert stat.S_IMODE(os.stat(tmp_path / "signing-key").st_mode) == 0o600
    assert load_or_create_key(tmp_path) == (key, False)
    os.chmod(tmp_path / "signing-key", 0o644)
    with pytest.raises(Exception, match="readable by others"):
        load_or_create_key(tmp_path)
