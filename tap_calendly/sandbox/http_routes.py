"""The route table: method + path template -> handler.

The template (``GET /scheduled_events/{uuid}/invitees``) is also the key of the request
counters, so tests can assert how many calls of each kind a client made.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import cast

from tap_calendly.sandbox import api_availability as availability
from tap_calendly.sandbox import api_lists as lists
from tap_calendly.sandbox import api_resources as resources
from tap_calendly.sandbox import api_writes as writes
from tap_calendly.sandbox.api_context import Api, ApiRequest, ApiResponse

Handler = Callable[[Api, ApiRequest], ApiResponse]


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str]

    @property
    def key(self) -> str:
        return f"{self.method} {self.template}"


def _route(method: str, template: str, handler: object) -> Route:
    regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", template)
    return Route(method, template, cast("Handler", handler), re.compile(f"^{regex}$"))


def _get_one(collection: str) -> Route:
    """``GET /{collection}/{uuid}``: one record of a collection named as its path segment."""
    return _route("GET", f"/{collection}/{{uuid}}", resources.simple_getter(collection, collection))


ROUTES: tuple[Route, ...] = (
    *(_route("GET", e.path, lists.handler(e)) for e in lists.ENDPOINTS),
    _route("GET", "/users/me", resources.get_user),
    _route("GET", "/users/{uuid}", resources.get_user),
    _route("GET", "/organizations/{uuid}", resources.get_organization),
    _route("GET", "/scheduled_events/{uuid}", resources.get_event),
    _route("GET", "/scheduled_events/{uuid}/invitees/{invitee_uuid}", resources.get_invitee),
    _route("POST", "/scheduled_events/{uuid}/cancellation", writes.cancel_event),
    _get_one("event_types"),
    _route("GET", "/event_type_available_times", availability.list_available_times),
    _get_one("organization_memberships"),
    _route("DELETE", "/organization_memberships/{uuid}", writes.remove_membership),
    _route("POST", "/organizations/{uuid}/invitations", writes.create_invitation),
    _route("GET", "/organizations/{uuid}/invitations/{invitation_uuid}", resources.get_invitation),
    _route(
        "DELETE", "/organizations/{uuid}/invitations/{invitation_uuid}", writes.revoke_invitation
    ),
    _get_one("groups"),
    _get_one("routing_forms"),
    _get_one("routing_form_submissions"),
    _route("GET", "/user_busy_times", availability.list_busy_times),
    _route("GET", "/user_availability_schedules", availability.list_availability_schedules),
    _get_one("user_availability_schedules"),
    _route("POST", "/webhook_subscriptions", writes.create_webhook),
    _get_one("webhook_subscriptions"),
    _route("DELETE", "/webhook_subscriptions/{uuid}", writes.delete_webhook),
    _get_one("invitee_no_shows"),
    _route("POST", "/invitee_no_shows", writes.create_no_show),
    _route("DELETE", "/invitee_no_shows/{uuid}", writes.delete_no_show),
    _route("POST", "/shares", writes.create_share),
    _route("POST", "/scheduling_links", writes.create_scheduling_link),
    _route("POST", "/data_compliance/deletion/invitees", writes.delete_invitee_data),
    _route("POST", "/data_compliance/deletion/events", writes.delete_event_data),
)


def match(method: str, path: str) -> tuple[Route | None, dict[str, str], bool]:
    """Find the route for a request: (route, path args, path exists for another method)."""
    path_known = False
    for route in ROUTES:
        found = route.pattern.match(path)
        if found is None:
            continue
        if route.method == method:
            return route, found.groupdict(), True
        path_known = True
    return None, {}, path_known
