"""Webhook subscriptions, including "Delete Instanced Webhooks" by callback URL prefix."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from tap_calendly.actions import validate
from tap_calendly.actions.base import (
    STREAM,
    Namespace,
    Record,
    Rows,
    object_uri,
    planned,
    query,
    removal,
)
from tap_calendly.api.errors import AccessDenied, APIError

SCOPES = ("organization", "user")
SORTS = ("created_at:asc", "created_at:desc")
_SIGNING_KEY_MAX = 1000
Notes = list[str]


def _exists(error: APIError) -> bool:
    """409 "Already Exists": the callback URL is subscribed already."""
    return error.status == 409


class Webhooks(Namespace):
    """ "List Webhook Subscriptions", "Get Webhook Subscription", "Create Webhook
    Subscription", "Delete Webhook Subscription", "Delete Instanced Webhooks"."""

    def list(
        self,
        *,
        scope: str | None = None,
        organization: str | None = None,
        user: str | None = None,
        sort: str | None = None,
        limit: int | None = None,
    ) -> Iterator[Record]:
        """Subscriptions of one scope (default: the settings' scope)."""
        chosen = validate.choice(scope, SCOPES, "--scope") or self._client.settings.scope
        org = validate.optional_uri(organization, "--organization")
        who = validate.optional_uri(user, "--user")
        if who and chosen != "user":
            raise validate.fail("--user applies only to --scope user")
        params = query(
            {
                "scope": chosen,
                "organization": org or self._client.owner().organization_uri,
                "user": who or (self._client.owner().user_uri if chosen == "user" else None),
                "sort": validate.choice(sort, SORTS, "--sort"),
            }
        )
        validate.limit(limit)
        return self._client.paginate("/webhook_subscriptions", params, limit=limit, stream=STREAM)

    def get(self, uuid: str) -> Record:
        hook = validate.uuid_of(uuid, "UUID", segment="webhook_subscriptions")
        return self._client.resource(f"/webhook_subscriptions/{hook}")

    def create(
        self,
        url: str,
        events: Sequence[str],
        *,
        scope: str,
        organization: str | None = None,
        user: str | None = None,
        signing_key: str | None = None,
    ) -> Record:
        """Subscribe ``url`` to ``events``; organization and user default to the token's.

        A retried create answered 409 "Already Exists" is success and returns the
        subscription now registered for ``url``.
        """
        callback = validate.callback_url(url)
        names = [events] if isinstance(events, str) else list(events)
        if not names:
            raise validate.fail("give at least one --event")
        for name in names:
            validate.choice(name, validate.WEBHOOK_EVENTS, "--event")
        if validate.choice(scope, SCOPES, "--scope") is None:
            raise validate.fail("--scope is required: organization or user")
        if scope == "user" and "routing_form_submission.created" in names:
            raise validate.fail("routing_form_submission.created needs --scope organization")
        org = validate.optional_uri(organization, "--organization")
        who = validate.optional_uri(user, "--user")
        if who and scope != "user":
            raise validate.fail("--user applies only to --scope user")
        if signing_key is not None and (
            not signing_key.strip() or len(signing_key) > _SIGNING_KEY_MAX
        ):
            raise validate.fail("--signing-key must be a non-empty string")
        body: Record = {
            "url": callback,
            "events": list(dict.fromkeys(names)),
            "organization": org or self._client.owner().organization_uri,
            "scope": scope,
        }
        if scope == "user":
            body["user"] = who or self._client.owner().user_uri
        if signing_key is not None:
            body["signing_key"] = signing_key
        outcome = self._client.write("POST", "/webhook_subscriptions", body, already_done=_exists)
        if outcome.planned is not None:
            return planned(outcome)
        if outcome.already_done:
            for hook in self.list(
                scope=scope, organization=body["organization"], user=body.get("user")
            ):
                if hook.get("callback_url") == callback:
                    return hook
            return {}
        return outcome.resource

    def delete(self, uuid: str) -> Record:
        """Delete one subscription; a retried delete answered 404 is success."""
        hook = validate.uuid_of(uuid, "UUID", segment="webhook_subscriptions")
        path = f"/webhook_subscriptions/{hook}"
        uri = object_uri(self._client, uuid, path)
        return removal(uri, "deleted", self._client.write("DELETE", path))

    def instanced(
        self, url_prefix: str, *, scope: str | None = None, user: str | None = None
    ) -> tuple[Rows, Notes]:
        """Subscriptions whose callback URL starts with ``url_prefix``, and notes.

        Without ``scope`` both scopes are searched; an organization listing the token
        may not read (403, not an admin) is then skipped with a note.
        """
        prefix = validate.callback_url(url_prefix)
        if not urlsplit(prefix).netloc:
            raise validate.fail("--url must include a host")
        validate.choice(scope, SCOPES, "--scope")
        who = validate.optional_uri(user, "--user")
        if who and scope == "organization":
            raise validate.fail("--user applies only to --scope user")
        found: Rows = []
        notes: Notes = []
        for current in (scope,) if scope else SCOPES:
            try:
                rows = self.list(scope=current, user=who if current == "user" else None)
                found += [h for h in rows if str(h.get("callback_url", "")).startswith(prefix)]
            except AccessDenied:
                if scope:
                    raise
                notes.append(f"{current}-scope subscriptions skipped: the token may not list them")
        return found, notes

    def delete_instanced(
        self, url_prefix: str, *, scope: str | None = None, user: str | None = None
    ) -> Record:
        """Delete every subscription whose callback URL starts with ``url_prefix``."""
        found, notes = self.instanced(url_prefix, scope=scope, user=user)
        return self.delete_all(found, notes)

    def delete_all(self, hooks: Rows, notes: Sequence[str] = ()) -> Record:
        """Delete the given subscriptions (as listed); report what was deleted."""
        results = [self.delete(str(h["uri"])) for h in hooks]
        out: dict[str, Any]
        if self._client.dry_run:
            out = {
                "dry_run": True,
                "requests": [r["request"] for r in results],
                "would_delete": hooks,
            }
        else:
            out = {"deleted": hooks, "count": len(hooks)}
        if notes:
            out["notes"] = list(notes)
        return out
