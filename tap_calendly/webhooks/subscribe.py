"""Subscribe the receiver with Calendly, idempotently, and unsubscribe exactly what it made.

Creating: POST /webhook_subscriptions with the receiver's public URL, events, scope and
signing key. Calendly answers 409 when any subscription already uses that URL; then the
existing one is looked up and reused when it is this receiver's (listed in its
``subscriptions.json`` and made with the same signing key), active, and covers the
events. One of ours that is disabled (Calendly disables a subscription after 24 hours
of failed deliveries), lacks events or has another key is replaced. One that is not
ours is reused only with the key given explicitly (``--signing-key``); otherwise the
receiver could not verify its deliveries, so it stops with a clear line instead.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tap_calendly.api import CalendlyClient, Conflict, NotFound, UsageError
from tap_calendly.webhooks.envelope import INVITEE_EVENTS, SUBMISSION_EVENTS
from tap_calendly.webhooks.secret_files import read_state, write_state

log = logging.getLogger("calendly.webhooks")

PATH = "/webhook_subscriptions"
ORGANIZATION_EVENTS = INVITEE_EVENTS + SUBMISSION_EVENTS
#: routing_form_submission.created exists only for organization-scope subscriptions.
USER_EVENTS = INVITEE_EVENTS


@dataclass(frozen=True)
class Subscription:
    uri: str
    callback_url: str
    events: tuple[str, ...]
    scope: str
    created: bool


def default_events(scope: str) -> tuple[str, ...]:
    return ORGANIZATION_EVENTS if scope == "organization" else USER_EVENTS


def fingerprint(key: str) -> str:
    """A short one-way tag of the signing key, to notice a key change (not the key)."""
    return hashlib.sha256(b"calendly-webhook-key|" + key.encode()).hexdigest()[:16]


def subscribe(
    client: CalendlyClient,
    directory: Path,
    *,
    url: str,
    events: Sequence[str],
    scope: str,
    signing_key: str,
    key_given: bool,
) -> Subscription:
    """Create or reuse the subscription for ``url`` (see the module docstring)."""
    owner = client.owner()
    body: dict[str, Any] = {
        "url": url,
        "events": list(events),
        "organization": owner.organization_uri,
        "scope": scope,
        "signing_key": signing_key,
    }
    if scope == "user":
        body["user"] = owner.user_uri
    tag = fingerprint(signing_key)
    made = _create(client, body)
    if isinstance(made, dict):
        return _remember(directory, made, tag, created=True)
    existing = _find(client, owner.organization_uri, owner.user_uri, scope, url)
    if existing is None:
        raise UsageError(
            f"Calendly reports a subscription for {url} already, but none in {scope} scope "
            "that this token can list: delete it, or subscribe with the scope it has"
        )
    state = read_state(directory)
    ours = {s.get("uri"): s for s in state["subscriptions"] if isinstance(s, dict)}
    mine = ours.get(existing["uri"])
    if made:  # ours, though the answer that said so was lost
        mine = {"uri": existing["uri"], "key": tag}
    problems = []
    if existing.get("state") != "active":
        problems.append(f"is {existing.get('state')}")
    lacking = sorted(set(events) - set(existing.get("events") or ()))
    if lacking:
        problems.append(f"lacks {', '.join(lacking)}")
    if mine is not None and mine.get("key") != tag:
        problems.append("was made with another signing key")
    if mine is None and not key_given:
        raise UsageError(
            f"subscription {existing['uri']} for {url} was not created by this receiver, so "
            "its signing key is unknown here: pass that key with --signing-key, or delete the "
            "subscription and subscribe again"
        )
    if problems and mine is None:
        raise UsageError(
            f"subscription {existing['uri']} for {url} {' and '.join(problems)} and was not "
            "created by this receiver: delete it and subscribe again"
        )
    if problems:
        log.info("replacing subscription %s: it %s", existing["uri"], " and ".join(problems))
        _delete(client, existing["uri"])
        _forget(directory, existing["uri"])
        made = _create(client, body)
        if not isinstance(made, dict):
            raise UsageError(f"Calendly still reports a subscription for {url} after deleting it")
        return _remember(directory, made, tag, created=True)
    log.info("reusing subscription %s for %s", existing["uri"], url)
    if mine is None:  # reused with the key the user vouched for: not ours to delete
        return _subscription(existing, created=False)
    return _remember(directory, existing, tag, created=False)


def unsubscribe(client: CalendlyClient, directory: Path, uri: str) -> None:
    """Delete one subscription this receiver made, and forget it."""
    _delete(client, uri)
    _forget(directory, uri)
    log.info("deleted subscription %s", uri)


def owned(directory: Path, uri: str) -> bool:
    return any(
        isinstance(s, dict) and s.get("uri") == uri for s in read_state(directory)["subscriptions"]
    )


# -- helpers --------------------------------------------------------------------------


def _create(client: CalendlyClient, body: dict[str, Any]) -> dict[str, Any] | bool:
    """The new subscription; else whether the existing one (409) was made by this call:
    a POST retried after a lost answer meets 409 for the subscription it created."""
    try:
        answer = client.post(PATH, body, already_done=lambda err: err.status == 409)
    except Conflict:
        return False
    if answer is None:
        return True
    resource = answer.get("resource") if isinstance(answer, dict) else None
    if not isinstance(resource, dict) or not isinstance(resource.get("uri"), str):
        raise UsageError("Calendly's answer to creating the subscription has no resource")
    return resource


def _find(
    client: CalendlyClient, organization: str, user: str, scope: str, url: str
) -> dict[str, Any] | None:
    params = {"organization": organization, "scope": scope}
    if scope == "user":
        params["user"] = user
    for row in client.paginate(PATH, params):
        if row.get("callback_url") == url and isinstance(row.get("uri"), str):
            return row
    return None


def _delete(client: CalendlyClient, uri: str) -> None:
    with contextlib.suppress(NotFound):  # already gone: that is what we wanted
        client.delete(uri)


def _subscription(resource: dict[str, Any], *, created: bool) -> Subscription:
    return Subscription(
        uri=str(resource["uri"]),
        callback_url=str(resource.get("callback_url", "")),
        events=tuple(resource.get("events") or ()),
        scope=str(resource.get("scope", "")),
        created=created,
    )


def _remember(
    directory: Path, resource: dict[str, Any], tag: str, *, created: bool
) -> Subscription:
    found = _subscription(resource, created=created)
    state = read_state(directory)
    kept = [s for s in state["subscriptions"] if isinstance(s, dict) and s.get("uri") != found.uri]
    kept.append(
        {
            "uri": found.uri,
            "callback_url": found.callback_url,
            "scope": found.scope,
            "events": list(found.events),
            "key": tag,
        }
    )
    write_state(directory, {**state, "subscriptions": kept})
    return found


def _forget(directory: Path, uri: str) -> None:
    state = read_state(directory)
    kept = [s for s in state["subscriptions"] if isinstance(s, dict) and s.get("uri") != uri]
    write_state(directory, {**state, "subscriptions": kept})
