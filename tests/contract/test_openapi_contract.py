"""Every body the sandbox serves, validated against Calendly's OpenAPI response schemas.

Schemas are resolved from ../shared/calendly-api/openapi.yaml and made strict: an object
may carry only the properties its schema names, plus the newer live fields FACTS.md names
(``EXTRA_FIELDS`` below, each citing its FACTS.md line). So a renamed, misspelt or invented
field fails here, as does a wrong type, enum value or missing required field.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

import pytest
import requests
from openapi_schema_validator import OAS30Validator, oas30_format_checker

from tap_calendly.sandbox.store import format_ts
from tests.support.sandbox_config import reconfigured
from tests.support.spec_schema import GROUP_SCHEMA

from .conftest import CONTRACT_NOW

ANY: dict[str, Any] = {}

#: Fields outside the 2023 spec that the sandbox may serve, keyed by where they sit
#: (component name, then ``.property`` / ``[]`` steps).
EXTRA_FIELDS: dict[str, set[str]] = {
    # FACTS.md 5 User: "Also seen in live data: `locale`, `resource_type` [AB schema]".
    "User": {"locale", "resource_type"},
    # FACTS.md 5 Event: "Live data also shows `meeting_notes_plain`, `meeting_notes_html`,
    # and `event_memberships[].user_email`, `.user_name`, `.buffered_start_time`,
    # `.buffered_end_time` [AB schema]".
    "Event": {"meeting_notes_plain", "meeting_notes_html"},
    "Event.event_memberships[]": {
        "user_email",
        "user_name",
        "buffered_start_time",
        "buffered_end_time",
    },
    # FACTS.md 5 Invitee: "Newer payloads also carry `scheduling_method` ... and
    # `invitee_scheduled_by` [3P]".
    "Invitee": {"scheduling_method", "invitee_scheduled_by"},
    # FACTS.md 5 EventType: "Live data also shows `locations[]`, `position`,
    # `duration_options` [AB schema]".
    "EventType": {"locations", "position", "duration_options"},
    # FACTS.md 5 WebhookSubscription: "Current docs add `group` [3P]".
    "WebhookSubscription": {"group"},
}

#: Enum values outside the 2023 spec, by location.
EXTRA_ENUM: dict[str, list[str]] = {
    # FACTS.md 9: the current docs' event enum adds "`invitee_no_show.created`,
    # `invitee_no_show.deleted`".
    "WebhookSubscription.events[]": ["invitee_no_show.created", "invitee_no_show.deleted"],
}


def strict(node: Any, schemas: dict[str, Any], label: str = "") -> Any:
    """Resolve $refs and forbid properties the schema (or EXTRA_FIELDS) does not name."""
    if isinstance(node, list):
        return [strict(item, schemas, label) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        return strict(schemas[name], schemas, name)
    if "allOf" in node:  # ErrorResponse + title/message refinements: merge into one object
        merged: dict[str, Any] = {"type": "object", "properties": {}, "required": []}
        for part in node["allOf"]:
            resolved = strict(part, schemas, label)
            merged["properties"].update(resolved.get("properties", {}))
            merged["required"] += resolved.get("required", [])
        return strict(merged, schemas, label)
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties":
            out[key] = {k: strict(v, schemas, f"{label}.{k}") for k, v in value.items()}
        elif key == "items":
            out[key] = strict(value, schemas, f"{label}[]")
        elif key in ("example", "examples", "description", "value"):
            continue
        elif key == "enum" and isinstance(value, str):
            out[key] = [value]  # the spec writes one 401 message enum as a bare string
        else:
            out[key] = strict(value, schemas, label)
    if "enum" in out and label.lstrip(".") in EXTRA_ENUM:
        out["enum"] = [*out["enum"], *EXTRA_ENUM[label.lstrip(".")]]
    if "properties" in out:
        for extra in EXTRA_FIELDS.get(label.lstrip("."), ()):
            out["properties"].setdefault(extra, ANY)
        out.setdefault("additionalProperties", False)
    if out.get("nullable") is True and "oneOf" in out:  # nullable Location
        out = {"oneOf": [{"enum": [None]}, *out["oneOf"]]}
    return out


class Contract:
    """Calls the sandbox and validates each answer against the spec's response schema."""

    def __init__(self, spec: dict[str, Any], sandbox: Any) -> None:
        self.spec = spec
        self.sandbox = sandbox
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {sandbox.admin_token}"
        self.validators: dict[tuple[str, str, str], OAS30Validator] = {}
        self.errors: list[str] = []
        self.checked = 0

    def schema_for(self, path: str, method: str, status: str) -> dict[str, Any]:
        schemas = self.spec["components"]["schemas"]
        if path in ("/groups", "/groups/{uuid}", "/organizations/{uuid}"):
            # Not in the 2023 spec; FACTS.md section 3 names the resources.
            item = (
                GROUP_SCHEMA
                if path.startswith("/groups")
                else strict({"$ref": "#/components/schemas/Organization"}, schemas)
            )
            if path == "/groups":
                pagination = strict({"$ref": "#/components/schemas/Pagination"}, schemas)
                return {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["collection", "pagination"],
                    "properties": {
                        "collection": {"type": "array", "items": item},
                        "pagination": pagination,
                    },
                }
            return {
                "type": "object",
                "additionalProperties": False,
                "required": ["resource"],
                "properties": {"resource": item},
            }
        response = self.spec["paths"][path][method]["responses"][status]
        if "$ref" in response:
            response = self.spec["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
        raw = response["content"]["application/json"]["schema"]
        return dict(strict(copy.deepcopy(raw), schemas))

    def check(
        self,
        method: str,
        spec_path: str,
        url: str,
        status: int,
        *,
        session: requests.Session | None = None,
        **kwargs: Any,
    ) -> Any:
        response = (session or self.session).request(
            method, self.sandbox.url + url, timeout=30, **kwargs
        )
        if response.status_code != status:
            self.errors.append(f"{method} {url}: status {response.status_code} != {status}")
            return None
        key = (spec_path, method.lower(), str(status))
        if key not in self.validators:
            self.validators[key] = OAS30Validator(
                self.schema_for(*key), format_checker=oas30_format_checker
            )
        body = response.json()
        for error in self.validators[key].iter_errors(body):
            where = "/".join(map(str, error.absolute_path))
            self.errors.append(f"{method} {spec_path} [{status}] {where}: {error.message}")
            if len(self.errors) > 50:
                break
        self.checked += 1
        return body

    def get_each(self, spec_path: str, uris: Iterable[str]) -> None:
        """GET every one of these absolute URIs (from the sandbox's own answers)."""
        for uri in uris:
            self.check("GET", spec_path, uri.removeprefix(self.sandbox.url), 200)

    def walk(self, spec_path: str, url: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        records: list[dict[str, Any]] = []
        body = self.check("GET", spec_path, url, 200, params=params)
        while body is not None:
            records.extend(body["collection"])
            next_page = body["pagination"]["next_page"]
            if not next_page:
                break
            body = self.check("GET", spec_path, next_page.removeprefix(self.sandbox.url), 200)
        return records


def _uuid(uri: str) -> str:
    return uri.rsplit("/", 1)[-1]


@pytest.fixture(scope="module")
def shared_contract(spec, small_sandbox):
    return Contract(spec, small_sandbox)


@pytest.fixture
def contract(shared_contract):
    shared_contract.errors = []
    return shared_contract


def test_get_endpoints_match_the_spec(contract, small_sandbox):
    c = contract
    org = small_sandbox.org
    org_uri = org.organization["uri"]
    org_uuid = _uuid(org_uri)
    c.check("GET", "/users/me", "/users/me", 200)
    c.check("GET", "/organizations/{uuid}", f"/organizations/{org_uuid}", 200)
    for user in list(org.collections["users"]):
        c.check("GET", "/users/{uuid}", f"/users/{_uuid(user)}", 200)

    events = c.walk(
        "/scheduled_events", "/scheduled_events", {"organization": org_uri, "count": 100}
    )
    assert len(events) == len(org.collections["scheduled_events"])
    c.walk("/scheduled_events", "/scheduled_events", {"user": org.owner_uri, "count": 100})
    for event in events[::40]:
        c.check("GET", "/scheduled_events/{uuid}", f"/scheduled_events/{_uuid(event['uri'])}", 200)
    invitees = []
    for event in events:
        invitees += c.walk(
            "/scheduled_events/{uuid}/invitees",
            f"/scheduled_events/{_uuid(event['uri'])}/invitees",
            {"count": 100},
        )
    assert len(invitees) == len(org.collections["event_invitees"])
    c.get_each(
        "/scheduled_events/{event_uuid}/invitees/{invitee_uuid}",
        [invitee["uri"] for invitee in invitees[::100]],
    )

    for path, params, single in (
        ("/event_types", {"organization": org_uri}, "/event_types/{uuid}"),
        (
            "/organization_memberships",
            {"organization": org_uri},
            "/organization_memberships/{uuid}",
        ),
        ("/routing_forms", {"organization": org_uri}, "/routing_forms/{uuid}"),
        ("/groups", {"organization": org_uri}, "/groups/{uuid}"),
        (
            "/webhook_subscriptions",
            {"organization": org_uri, "scope": "organization"},
            "/webhook_subscriptions/{webhook_uuid}",
        ),
    ):
        records = c.walk(path, path, {**params, "count": 100})
        assert records, path
        c.get_each(single, [record["uri"] for record in records])
    c.walk(
        "/webhook_subscriptions",
        "/webhook_subscriptions",
        {"organization": org_uri, "scope": "user", "user": org.owner_uri},
    )
    invitations = c.walk(
        "/organizations/{uuid}/invitations",
        f"/organizations/{org_uuid}/invitations",
        {"count": 100},
    )
    c.get_each("/organizations/{org_uuid}/invitations/{uuid}", [i["uri"] for i in invitations])
    for form in list(org.collections["routing_forms"]):
        submissions = c.walk(
            "/routing_form_submissions", "/routing_form_submissions", {"form": form, "count": 100}
        )
        c.get_each("/routing_form_submissions/{uuid}", [s["uri"] for s in submissions[::20]])
    c.walk(
        "/activity_log_entries",
        "/activity_log_entries",
        {"organization": org_uri, "count": 150},
    )
    c.get_each("/invitee_no_shows/{uuid}", list(org.collections["invitee_no_shows"])[::20])

    start = CONTRACT_NOW + timedelta(hours=1)
    for user in list(org.collections["users"]):
        c.check(
            "GET",
            "/user_busy_times",
            "/user_busy_times",
            200,
            params={
                "user": user,
                "start_time": format_ts(start),
                "end_time": format_ts(start + timedelta(days=7)),
            },
        )
        schedules = c.check(
            "GET",
            "/user_availability_schedules",
            "/user_availability_schedules",
            200,
            params={"user": user},
        )
        c.get_each(
            "/user_availability_schedules/{uuid}",
            [s["uri"] for s in schedules["collection"]] if schedules else [],
        )
    for event_type in [e for e in org.collections["event_types"].values() if e["active"]][:8]:
        body = c.check(
            "GET",
            "/event_type_available_times",
            "/event_type_available_times",
            200,
            params={
                "event_type": event_type["uri"],
                "start_time": format_ts(start),
                "end_time": format_ts(start + timedelta(days=7)),
            },
        )
        assert body is None or isinstance(body["collection"], list)
    assert not c.errors, "\n".join(c.errors[:30])
    assert c.checked > 100


def test_write_success_bodies_match_the_spec(contract, small_sandbox):
    c = contract
    org = small_sandbox.org
    org_uri = org.organization["uri"]
    now = org.now_ts()
    event = next(
        e
        for e in sorted(org.records("scheduled_events"), key=lambda e: e["start_time"])
        if e["status"] == "active" and e["start_time"] > now
    )
    c.check(
        "POST",
        "/scheduled_events/{uuid}/cancellation",
        f"/scheduled_events/{_uuid(event['uri'])}/cancellation",
        201,
        json={"reason": "contract"},
    )
    event_type = next(e for e in org.records("event_types") if e["active"])
    c.check("POST", "/shares", "/shares", 201, json={"event_type": event_type["uri"]})
    c.check(
        "POST",
        "/scheduling_links",
        "/scheduling_links",
        201,
        json={"max_event_count": 1, "owner": event_type["uri"], "owner_type": "EventType"},
    )
    c.check(
        "POST",
        "/webhook_subscriptions",
        "/webhook_subscriptions",
        201,
        json={
            "url": "http://127.0.0.1:9/contract",
            "events": ["invitee.created", "routing_form_submission.created"],
            "organization": org_uri,
            "scope": "organization",
        },
    )
    c.check(
        "POST",
        "/organizations/{uuid}/invitations",
        f"/organizations/{_uuid(org_uri)}/invitations",
        201,
        json={"email": "contract.person@example.com"},
    )
    past = next(
        i
        for i in org.records("event_invitees")
        if i["status"] == "active"
        and i["no_show"] is None
        and org.get("scheduled_events", i["event"])["start_time"] < now
    )
    c.check("POST", "/invitee_no_shows", "/invitee_no_shows", 201, json={"invitee": past["uri"]})
    c.check(
        "POST",
        "/data_compliance/deletion/invitees",
        "/data_compliance/deletion/invitees",
        202,
        json={"emails": ["nobody@example.com"]},
    )
    window_start = CONTRACT_NOW - timedelta(days=800)
    c.check(
        "POST",
        "/data_compliance/deletion/events",
        "/data_compliance/deletion/events",
        202,
        json={
            "start_time": format_ts(window_start),
            "end_time": format_ts(window_start + timedelta(days=1)),
        },
    )
    assert not c.errors, "\n".join(c.errors[:30])


def test_error_bodies_match_the_spec(contract, small_sandbox):
    c = contract
    org_uri = small_sandbox.org.organization["uri"]
    member = requests.Session()
    member.headers["Authorization"] = f"Bearer {small_sandbox.user_token}"
    anonymous = requests.Session()
    c.check("GET", "/scheduled_events", "/scheduled_events", 400)
    c.check(
        "GET",
        "/scheduled_events",
        "/scheduled_events",
        400,
        params={"organization": org_uri, "count": 101},
    )
    c.check("GET", "/scheduled_events", "/scheduled_events", 401, session=anonymous)
    c.check(
        "GET",
        "/scheduled_events",
        "/scheduled_events",
        403,
        session=member,
        params={"organization": org_uri},
    )
    c.check(
        "GET",
        "/webhook_subscriptions",
        "/webhook_subscriptions",
        403,
        session=member,
        params={"organization": org_uri, "scope": "organization"},
    )
    c.check(
        "GET",
        "/activity_log_entries",
        "/activity_log_entries",
        403,
        session=member,
        params={"organization": org_uri},
    )
    c.check("GET", "/scheduled_events/{uuid}", "/scheduled_events/nope", 404)
    c.check("GET", "/event_types/{uuid}", "/event_types/nope", 404)
    hook = {
        "url": "http://127.0.0.1:9/twice",
        "events": ["invitee.created"],
        "organization": org_uri,
        "scope": "organization",
    }
    c.check("POST", "/webhook_subscriptions", "/webhook_subscriptions", 201, json=hook)
    c.check("POST", "/webhook_subscriptions", "/webhook_subscriptions", 409, json=hook)
    with reconfigured(small_sandbox, plan="teams"):
        c.check(
            "GET",
            "/activity_log_entries",
            "/activity_log_entries",
            403,
            params={"organization": org_uri},
        )
    assert not c.errors, "\n".join(c.errors[:30])
