"""The paged GET list endpoints (FACTS.md section 2), with Calendly's filters and sorts."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tap_calendly.sandbox import data_records
from tap_calendly.sandbox.api_context import (
    Api,
    ApiRequest,
    ApiResponse,
    parse_bool_param,
    parse_time_param,
    ts,
)
from tap_calendly.sandbox.api_errors import invalid_argument, not_found, permission_denied
from tap_calendly.sandbox.pagination import Predicate, SortedView, SortSpec, field_value
from tap_calendly.sandbox.store import Record

ACTIVITY_MAX_COUNT = 1000


def _all(_: Record) -> bool:
    return True


def _and(*predicates: Predicate | None) -> Predicate:
    active = [p for p in predicates if p is not None]
    if not active:
        return _all
    if len(active) == 1:
        return active[0]

    def combined(record: Record) -> bool:
        return all(p(record) for p in active)

    return combined


def _equals(field: str, value: Any) -> Predicate | None:
    if value is None or value == "":
        return None

    def check(record: Record) -> bool:
        return bool(field_value(record, field) == value)

    return check


def _email_equals(field: str, value: str | None) -> Predicate | None:
    """Calendly matches e-mail filters case-insensitively."""
    if not value:
        return None
    wanted = value.lower()

    def check(record: Record) -> bool:
        return str(field_value(record, field) or "").lower() == wanted

    return check


def _status(params: dict[str, str], allowed: tuple[str, ...]) -> str | None:
    """The ``status`` filter, or a 400 naming the values the endpoint accepts."""
    status = params.get("status")
    if status is not None and status not in allowed:
        raise invalid_argument("status", f"status must be {' or '.join(allowed)}")
    return status


def _member_users(event: Record) -> Iterable[str]:
    return {m["user"] for m in event.get("event_memberships", ()) if m.get("user")}


def user_events_view(api: Api, user: str, spec: SortSpec) -> SortedView:
    """Events where ``user`` is in ``event_memberships``, sorted by ``spec``."""
    views = api.indexes.partitioned(
        "scheduled_events",
        "member",
        spec,
        lambda: api.org.records("scheduled_events"),
        _member_users,
    )
    return views.get(user) or SortedView(spec, ())


def list_scheduled_events(api: Api, req: ApiRequest) -> ApiResponse:
    endpoint = "scheduled_events"
    names = (
        "user",
        "organization",
        "invitee_email",
        "status",
        "sort",
        "min_start_time",
        "max_start_time",
    )
    params, token = api.effective_params(req, endpoint, names)
    count = api.parse_count(req)
    organization = api.check_organization(params.get("organization"), required=False)
    user = api.check_user(params.get("user"))
    if organization is None and user is None:
        raise invalid_argument("organization", "One of organization or user is required")
    if organization is not None and not req.principal.is_admin:
        raise permission_denied()
    if organization is None and user != req.principal.user_uri:
        raise permission_denied(
            "Please also specify organization when requesting events for a user within your "
            "organization."
        )
    spec = api.sort_spec(params, token, ("start_time",), "start_time:asc")
    min_start = ts(parse_time_param(params.get("min_start_time"), "min_start_time"))
    max_start = ts(parse_time_param(params.get("max_start_time"), "max_start_time"))
    status = _status(params, ("active", "canceled"))
    email = params.get("invitee_email")
    email_filter: Predicate | None = None
    if email:
        wanted = email.lower()

        def email_filter(event: Record) -> bool:
            return any(
                str(i.get("email", "")).lower() == wanted
                for i in api.org.children_of("event_invitees", event["uri"])
            )

    if user is not None:

        def view() -> SortedView:
            return user_events_view(api, user, spec)

    else:

        def view() -> SortedView:
            return api.indexes.view(
                "scheduled_events", ("org",), spec, lambda: api.org.records("scheduled_events")
            )

    return api.page(
        req,
        endpoint=endpoint,
        collection="scheduled_events",
        params=params,
        token=token,
        spec=spec,
        view=view,
        predicate=_and(_equals("status", status), email_filter),
        count=count,
        first_range=(min_start, max_start),
    )


def list_event_invitees(api: Api, req: ApiRequest) -> ApiResponse:
    event_uri = api.org.uri("scheduled_events", req.path_args["uuid"])
    endpoint = f"invitees:{event_uri}"
    params, token = api.effective_params(req, endpoint, ("status", "sort", "email"))
    count = api.parse_count(req)
    event = api.lookup("scheduled_events", event_uri)
    if not req.principal.is_admin and not any(
        m.get("user") == req.principal.user_uri for m in event.get("event_memberships", ())
    ):
        raise permission_denied("You are not allowed to view this event")
    spec = api.sort_spec(params, token, ("created_at",), "created_at:asc")
    status = _status(params, ("active", "canceled"))
    email_filter = _email_equals("email", params.get("email"))

    return api.page(
        req,
        endpoint=endpoint,
        collection="event_invitees",
        params=params,
        token=token,
        spec=spec,
        view=lambda: SortedView(spec, api.org.children_of("event_invitees", event_uri)),
        predicate=_and(_equals("status", status), email_filter),
        count=count,
    )


def _hosted_by(api: Api, event_type: Record, user: str) -> bool:
    """A user's event types: the ones they own and the team ones they host."""
    profile = event_type.get("profile") or {}
    if profile.get("type") == "Team":
        return any(h["uri"] == user for h in data_records.team_hosts(api.org, event_type))
    return bool(profile.get("owner") == user)


def list_event_types(api: Api, req: ApiRequest) -> ApiResponse:
    endpoint = "event_types"
    params, token = api.effective_params(
        req, endpoint, ("organization", "user", "active", "admin_managed", "sort")
    )
    count = api.parse_count(req)
    organization = api.check_organization(params.get("organization"), required=False)
    user = api.check_user(params.get("user"))
    if organization is None and user is None:
        raise invalid_argument("organization", "One of organization or user is required")
    spec = api.sort_spec(params, token, ("name",), "name:asc")
    active = parse_bool_param(params.get("active"), "active")
    admin_managed = parse_bool_param(params.get("admin_managed"), "admin_managed")
    scope: tuple[str, ...] = ("user", user) if user else ("org",)

    def members() -> Iterable[Record]:
        records = api.org.records("event_types")
        if user:
            return (r for r in records if _hosted_by(api, r, user))
        return records

    return api.page(
        req,
        endpoint=endpoint,
        collection="event_types",
        params=params,
        token=token,
        spec=spec,
        view=lambda: api.indexes.view("event_types", scope, spec, members),
        predicate=_and(
            _equals("active", None if active is None else int(active)),
            _equals("admin_managed", None if admin_managed is None else int(admin_managed)),
        ),
        count=count,
    )


def _created_view(api: Api, collection: str, spec: SortSpec) -> SortedView:
    return api.indexes.view(collection, ("all",), spec, lambda: api.org.records(collection))


def list_memberships(api: Api, req: ApiRequest) -> ApiResponse:
    endpoint = "organization_memberships"
    params, token = api.effective_params(req, endpoint, ("organization", "user", "email", "role"))
    count = api.parse_count(req)
    organization = api.check_organization(params.get("organization"), required=False)
    user = api.check_user(params.get("user"))
    if organization is None and user is None:
        raise invalid_argument("organization", "One of organization or user is required")
    if user != req.principal.user_uri and not req.principal.is_admin:
        raise permission_denied()
    spec = SortSpec((("created_at", False),))
    email_filter = _email_equals("user.email", params.get("email"))

    return api.page(
        req,
        endpoint=endpoint,
        collection="organization_memberships",
        params=params,
        token=token,
        spec=spec,
        view=lambda: _created_view(api, "organization_memberships", spec),
        predicate=_and(
            _equals("user.uri", user), _equals("role", params.get("role")), email_filter
        ),
        count=count,
    )


def list_invitations(api: Api, req: ApiRequest) -> ApiResponse:
    org_uri = api.org.uri("organizations", req.path_args["uuid"])
    if org_uri != api.org.organization["uri"]:
        raise not_found()
    api.require_admin(req.principal)
    endpoint = "organization_invitations"
    params, token = api.effective_params(req, endpoint, ("sort", "email", "status"))
    count = api.parse_count(req)
    spec = api.sort_spec(params, token, ("created_at",), "created_at:asc")
    status = _status(params, ("pending", "accepted", "declined"))
    email_filter = _email_equals("email", params.get("email"))

    return api.page(
        req,
        endpoint=endpoint,
        collection="organization_invitations",
        params=params,
        token=token,
        spec=spec,
        view=lambda: _created_view(api, "organization_invitations", spec),
        predicate=_and(_equals("status", status), email_filter),
        count=count,
    )


def list_routing_forms(api: Api, req: ApiRequest) -> ApiResponse:
    endpoint = "routing_forms"
    params, token = api.effective_params(req, endpoint, ("organization", "sort"))
    count = api.parse_count(req)
    api.check_organization(params.get("organization"), required=True)
    spec = api.sort_spec(params, token, ("created_at",), "created_at:asc")
    return api.page(
        req,
        endpoint=endpoint,
        collection="routing_forms",
        params=params,
        token=token,
        spec=spec,
        view=lambda: _created_view(api, "routing_forms", spec),
        predicate=_all,
        count=count,
    )


def list_routing_form_submissions(api: Api, req: ApiRequest) -> ApiResponse:
    endpoint = "routing_form_submissions"
    params, token = api.effective_params(req, endpoint, ("form", "sort"))
    count = api.parse_count(req)
    form = params.get("form")
    if not form:
        raise invalid_argument("form", "form is required")
    api.lookup("routing_forms", form)
    spec = api.sort_spec(params, token, ("created_at",), "created_at:asc")
    return api.page(
        req,
        endpoint=endpoint,
        collection="routing_form_submissions",
        params=params,
        token=token,
        spec=spec,
        view=lambda: api.indexes.view(
            "routing_form_submissions",
            ("form", form),
            spec,
            lambda: api.org.children_of("routing_form_submissions", form),
        ),
        predicate=_all,
        count=count,
    )


def list_webhooks(api: Api, req: ApiRequest) -> ApiResponse:
    endpoint = "webhook_subscriptions"
    params, token = api.effective_params(req, endpoint, ("organization", "scope", "user", "sort"))
    count = api.parse_count(req)
    api.check_organization(params.get("organization"), required=True)
    scope = params.get("scope")
    if scope not in ("organization", "user"):
        raise invalid_argument("scope", "scope is required: organization or user")
    user = api.check_user(params.get("user"))
    if scope == "user" and user is None:
        raise invalid_argument("user", "user is required when scope is user")
    if not req.principal.is_admin and (scope == "organization" or user != req.principal.user_uri):
        raise permission_denied()
    spec = api.sort_spec(params, token, ("created_at",), "created_at:asc")
    return api.page(
        req,
        endpoint=endpoint,
        collection="webhook_subscriptions",
        params=params,
        token=token,
        spec=spec,
        view=lambda: _created_view(api, "webhook_subscriptions", spec),
        predicate=_and(_equals("scope", scope), _equals("user", user if scope == "user" else None)),
        count=count,
    )


def list_groups(api: Api, req: ApiRequest) -> ApiResponse:
    endpoint = "groups"
    params, token = api.effective_params(req, endpoint, ("organization", "sort"))
    count = api.parse_count(req)
    api.check_organization(params.get("organization"), required=True)
    spec = api.sort_spec(params, token, ("created_at", "name"), "created_at:asc")
    return api.page(
        req,
        endpoint=endpoint,
        collection="groups",
        params=params,
        token=token,
        spec=spec,
        view=lambda: _created_view(api, "groups", spec),
        predicate=_all,
        count=count,
    )


def _list_param(params: dict[str, str], name: str) -> list[str]:
    raw = params.get(name) or params.get(name + "[]") or ""
    return [v for v in (p.strip() for p in raw.split(",")) if v]


def list_activity_log(api: Api, req: ApiRequest) -> ApiResponse:
    endpoint = "activity_log_entries"
    names = ("organization", "search_term", "min_occurred_at", "max_occurred_at")
    arrays = ("actor", "sort", "namespace", "action")
    params, token = api.effective_params(
        req, endpoint, (*names, *arrays, *(a + "[]" for a in arrays))
    )
    count = api.parse_count(req, ACTIVITY_MAX_COUNT)
    api.check_organization(params.get("organization"), required=True)
    api.require_plan()
    api.require_admin(req.principal)
    sort_text = ",".join(_list_param(params, "sort"))
    fields = ("occurred_at", "action", "namespace", "actor.uri", "actor.display_name")
    spec = SortSpec.parse(
        str(token["s"]) if token else sort_text, fields, "occurred_at:desc", "sort"
    )
    search = (params.get("search_term") or "").lower()
    if len(search) > 300:
        raise invalid_argument("search_term", "search_term must be at most 300 characters")
    min_at = parse_time_param(params.get("min_occurred_at"), "min_occurred_at")
    max_at = parse_time_param(params.get("max_occurred_at"), "max_occurred_at")
    actors = set(_list_param(params, "actor"))
    namespaces = set(_list_param(params, "namespace"))
    actions = set(_list_param(params, "action"))
    sample = next(iter(api.org.collections["activity_log_entries"].values()), None)
    millis = bool(sample and len(str(sample.get("occurred_at", ""))) == 24)

    def bound(value: Any) -> str | None:
        text = ts(value)
        return text[:23] + "Z" if text and millis else text

    lo_ts, hi_ts = bound(min_at), bound(max_at)

    def matches(entry: Record) -> bool:
        occurred = entry.get("occurred_at", "")
        if (lo_ts and occurred < lo_ts) or (hi_ts and occurred >= hi_ts):
            return False
        actor = entry.get("actor") or {}
        if actors and actor.get("uri") not in actors:
            return False
        if namespaces and entry.get("namespace") not in namespaces:
            return False
        if actions and entry.get("action") not in actions:
            return False
        if search:
            haystack = " ".join(
                str(x)
                for x in (
                    entry.get("fully_qualified_name"),
                    actor.get("display_name"),
                    actor.get("alternative_identifier"),
                )
            ).lower()
            if search.strip('"*') not in haystack:
                return False
        return True

    def view_for(s: SortSpec) -> SortedView:
        return api.indexes.view(
            "activity_log_entries",
            ("all",),
            s,
            lambda: api.org.records("activity_log_entries"),
        )

    by_time = SortSpec((("occurred_at", False),))

    def totals(_: list[Record]) -> dict[str, Any]:
        memo_key = tuple(sorted(params.items()))
        result: dict[str, Any] = api.indexes.memo("activity_log_entries", memo_key, count_matches)
        return result

    def count_matches() -> dict[str, Any]:
        timeline = view_for(by_time)
        lo, hi = timeline.bounds(lo_ts, hi_ts)
        table = api.org.collections["activity_log_entries"]
        keys = timeline.keys
        total = 0
        last: str | None = None
        for i in range(lo, hi):
            entry = table.get(keys[i][-1])
            if entry is not None and matches(entry):
                total += 1
                last = entry["occurred_at"]
        return {"last_event_time": last, "total_count": total, "exceeds_max_total_count": False}

    first = spec.fields[0][0] == "occurred_at"
    return api.page(
        req,
        endpoint=endpoint,
        collection="activity_log_entries",
        params=params,
        token=token,
        spec=spec,
        view=lambda: view_for(spec),
        predicate=matches,
        count=count,
        first_range=(lo_ts, hi_ts) if first else (None, None),
        extra=totals,
    )
