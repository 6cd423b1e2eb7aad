"""Write endpoints (FACTS.md section 4). Validation of the request shape happens here;
the domain change itself is ``ops.*`` (shared with the clock mutator), whose ``OpError``
becomes Calendly's error body."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from tap_calendly.sandbox import ops
from tap_calendly.sandbox.api_context import (
    Api,
    ApiRequest,
    ApiResponse,
    parse_time_param,
    respond,
)
from tap_calendly.sandbox.api_errors import invalid_argument, not_found, permission_denied


def _call(api: Api, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Run one ops function under the org lock (its OpError is the ApiError answered)."""
    try:
        with api.org.lock:
            return fn(api.org, *args, **kwargs)
    finally:
        api.indexes.invalidate()


def _require(body: dict[str, Any], *names: str) -> None:
    for name in names:
        if body.get(name) in (None, "", []):
            raise invalid_argument(name, f"{name} is required")


def cancel_event(api: Api, req: ApiRequest) -> ApiResponse:
    body = req.json()
    uri = api.org.uri("scheduled_events", req.path_args["uuid"])
    event = api.lookup("scheduled_events", uri)
    if not req.principal.is_admin and not any(
        m.get("user") == req.principal.user_uri for m in event.get("event_memberships", ())
    ):
        raise permission_denied("You are not allowed to cancel this event")
    reason = body.get("reason")
    if reason is not None and (not isinstance(reason, str) or len(reason) > 10000):
        raise invalid_argument("reason", "reason must be a string of at most 10000 characters")
    user = api.org.get("users", req.principal.user_uri) or {}
    cancellation = _call(
        api,
        ops.cancel_event,
        uri,
        reason=reason,
        canceled_by=user.get("name", "host"),
        canceler_type="host",
    )
    return respond(201, {"resource": cancellation})


def create_share(api: Api, req: ApiRequest) -> ApiResponse:
    body = req.json()
    _require(body, "event_type")
    api.lookup("event_types", str(body["event_type"]))
    period = body.get("period_type")
    if period is not None and period not in ("available_moving", "moving", "fixed", "unlimited"):
        raise invalid_argument("period_type", "period_type is not supported")
    if period == "fixed":
        _require(body, "start_date", "end_date")
    if period in ("moving", "available_moving"):
        _require(body, "max_booking_time")
    return respond(201, {"resource": _call(api, ops.create_share, body)})


def create_scheduling_link(api: Api, req: ApiRequest) -> ApiResponse:
    body = req.json()
    _require(body, "max_event_count", "owner", "owner_type")
    if body["owner_type"] != "EventType":
        raise invalid_argument("owner_type", "owner_type must be EventType")
    if body["max_event_count"] != 1:
        raise invalid_argument("max_event_count", "max_event_count must be 1")
    api.lookup("event_types", str(body["owner"]))
    link = _call(
        api,
        ops.create_scheduling_link,
        owner=body["owner"],
        owner_type=body["owner_type"],
        max_event_count=body["max_event_count"],
    )
    return respond(201, {"resource": link})


def create_webhook(api: Api, req: ApiRequest) -> ApiResponse:
    body = req.json()
    _require(body, "url", "events", "organization", "scope")
    api.check_organization(str(body["organization"]), required=True)
    events = body["events"]
    if not isinstance(events, list) or not all(e in ops.WEBHOOK_EVENTS for e in events):
        raise invalid_argument("events", "events must list supported webhook events")
    scope = body["scope"]
    if scope not in ("organization", "user"):
        raise invalid_argument("scope", "scope must be organization or user")
    user = body.get("user")
    if scope == "user":
        _require(body, "user")
        api.check_user(str(user))
        if user != req.principal.user_uri and not req.principal.is_admin:
            raise permission_denied()
    elif not req.principal.is_admin:
        raise permission_denied()
    if scope == "user" and "routing_form_submission.created" in events:
        raise invalid_argument("events", "routing_form_submission.created needs organization scope")
    signing_key = body.get("signing_key")
    if signing_key is not None and (
        not isinstance(signing_key, str) or not 0 < len(signing_key) <= 1024
    ):
        raise invalid_argument(
            "signing_key", "signing_key must be a string of 1 to 1024 characters"
        )
    hook = _call(
        api,
        ops.create_webhook,
        url=str(body["url"]),
        events=list(events),
        scope=scope,
        user=user if scope == "user" else None,
        signing_key=signing_key,
        creator=req.principal.user_uri,
    )
    return respond(201, {"resource": hook})


def delete_webhook(api: Api, req: ApiRequest) -> ApiResponse:
    uri = api.org.uri("webhook_subscriptions", req.path_args["uuid"])
    hook = api.lookup("webhook_subscriptions", uri)
    if not req.principal.is_admin and hook.get("user") != req.principal.user_uri:
        raise permission_denied()
    _call(api, ops.delete_webhook, uri)
    return ApiResponse(204)


def delete_invitee_data(api: Api, req: ApiRequest) -> ApiResponse:
    api.require_plan()
    api.require_admin(req.principal)
    body = req.json()
    emails = body.get("emails")
    if not isinstance(emails, list) or not emails or not all(isinstance(e, str) for e in emails):
        raise invalid_argument("emails", "emails must be a non-empty list of email addresses")
    _call(api, ops.delete_invitee_data, list(emails))
    return respond(202, {})


def delete_event_data(api: Api, req: ApiRequest) -> ApiResponse:
    api.require_plan()
    api.require_admin(req.principal)
    body = req.json()
    start = parse_time_param(body.get("start_time"), "start_time", required=True)
    end = parse_time_param(body.get("end_time"), "end_time", required=True)
    assert start is not None
    assert end is not None
    if end <= start:
        raise invalid_argument("end_time", "end_time must be after start_time")
    if end > api.org.now():
        raise invalid_argument("end_time", "end_time must be in the past")
    if end - start > timedelta(days=731):
        raise invalid_argument("end_time", "The date range can be no greater than 24 months")
    _call(api, ops.delete_event_data, start_time=start, end_time=end)
    return respond(202, {})


def create_invitation(api: Api, req: ApiRequest) -> ApiResponse:
    if api.org.uri("organizations", req.path_args["uuid"]) != api.org.organization["uri"]:
        raise not_found()
    if not req.principal.is_admin:
        raise permission_denied("You do not have permission")
    body = req.json()
    email = body.get("email")
    if not isinstance(email, str):
        raise invalid_argument("email", "email is required")
    return respond(
        201, {"resource": _call(api, ops.create_invitation, email, actor=req.principal.user_uri)}
    )


def revoke_invitation(api: Api, req: ApiRequest) -> ApiResponse:
    api.require_admin(req.principal)
    uri = api.org.uri(
        "organizations", req.path_args["uuid"], "invitations", req.path_args["invitation_uuid"]
    )
    api.lookup("organization_invitations", uri)
    _call(api, ops.revoke_invitation, uri, actor=req.principal.user_uri)
    return ApiResponse(204)


def remove_membership(api: Api, req: ApiRequest) -> ApiResponse:
    api.require_admin(req.principal)
    uri = api.org.uri("organization_memberships", req.path_args["uuid"])
    api.lookup("organization_memberships", uri)
    _call(api, ops.remove_membership, uri, actor=req.principal.user_uri)
    return ApiResponse(204)


def create_no_show(api: Api, req: ApiRequest) -> ApiResponse:
    body = req.json()
    _require(body, "invitee")
    api.lookup("event_invitees", str(body["invitee"]))
    return respond(201, {"resource": _call(api, ops.mark_no_show, str(body["invitee"]))})


def delete_no_show(api: Api, req: ApiRequest) -> ApiResponse:
    uri = api.org.uri("invitee_no_shows", req.path_args["uuid"])
    api.lookup("invitee_no_shows", uri)
    _call(api, ops.unmark_no_show, uri)
    return ApiResponse(204)
