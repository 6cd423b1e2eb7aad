"""Webhook subscriptions: organization scope and the token user's own scope."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar

from tap_calendly.api.errors import AccessDenied
from tap_calendly.streams.base import CalendlyStream, Record
from tap_calendly.streams.schema import array, datetime_, key_string, record, string

if TYPE_CHECKING:
    from singer_sdk.helpers.types import Context


class WebhookSubscriptionsStream(CalendlyStream):
    """``/webhook_subscriptions``, listed once per scope.

    Organization scope (admins) lists ``scope=organization`` and then ``scope=user``
    for every member (the member list comes from the memberships stream, which syncs
    first, so memberships are not listed twice); user scope lists only the token
    user's own subscriptions. A 403 on one scope skips it with a warning (and no
    ACTIVATE_VERSION is sent this run, so that scope's rows are not retired).
    """

    name = "webhook_subscriptions"
    path = "/webhook_subscriptions"
    gated = True
    schema: ClassVar[dict[str, Any]] = record(
        uri=key_string(),
        callback_url=string(),
        created_at=datetime_(),
        updated_at=datetime_(),
        retry_started_at=datetime_(),
        state=string(),
        events=array(string()),
        scope=string(),
        organization=string(),
        user=string(),
        group=string(),
        creator=string(),
    )

    def scopes(self) -> list[dict[str, Any]]:
        owner = self.sync_context.owner()

        def user_scope(user: str) -> dict[str, Any]:
            return {"scope": "user", "user": user, "organization": owner.organization_uri}

        if self.sync_context.settings.scope == "user":
            return [user_scope(owner.user_uri)]
        users = self.sync_context.member_user_uris() or [owner.user_uri]
        return [
            {"scope": "organization", "organization": owner.organization_uri},
            *(user_scope(u) for u in users),
        ]

    def query(self, context: Context | None) -> dict[str, Any]:
        return dict(context or self.scopes()[0])

    def get_records(self, context: Context | None) -> Iterable[Record]:
        self.mark_started()
        seen: set[str] = set()
        scopes = self.scopes()
        # Each scope is a short list: fetch them all concurrently, emit in order.
        fanout = self.sync_context.fanout
        futures = [fanout.run(partial(self.fetch_scope, scope)) for scope in scopes]
        for scope, future in zip(scopes, futures, strict=True):
            try:
                for row in future.result():
                    if row["uri"] not in seen:
                        seen.add(row["uri"])
                        yield row
            except AccessDenied as exc:
                self._incomplete = True
                self.logger.warning(
                    "%s: scope=%s skipped: access denied (%s)",
                    self.name,
                    scope["scope"],
                    exc.api_message or exc.title,
                )
        self.finish()

    def fetch_scope(self, scope: dict[str, Any]) -> list[Record]:
        return [row for page in self.iter_pages(scope) for row in page]
