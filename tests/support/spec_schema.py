"""Strict validators for sandbox records, built from Calendly's OpenAPI spec (tests only).

The spec's schemas allow unknown properties, so a misspelt field would pass a plain
validation. These validators forbid properties the spec (or FACTS.md's list of newer
live fields) does not name, so tests catch drift in field names, nesting and enums.
The spec is read from a path the caller gives (tests pass ``../shared``); it is never
copied into the project.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

#: Collection name -> component schema name in the spec (``groups`` has its own schema).
COLLECTION_SCHEMAS: dict[str, str] = {
    "users": "User",
    "organization_memberships": "OrganizationMembership",
    "organization_invitations": "OrganizationInvitation",
    "event_types": "EventType",
    "scheduled_events": "Event",
    "event_invitees": "Invitee",
    "invitee_no_shows": "InviteeNoShow",
    "routing_forms": "RoutingForm",
    "routing_form_submissions": "RoutingFormSubmission",
    "activity_log_entries": "Entry",
    "user_availability_schedules": "AvailabilitySchedule",
    "webhook_subscriptions": "WebhookSubscription",
}

_TS = {"type": "string", "format": "date-time"}
_NULLABLE_TS = {"type": "string", "format": "date-time", "nullable": True}
_NULLABLE_STR = {"type": "string", "nullable": True}

#: FACTS.md 5 Group (newer than the spec): "`uri`, `name`, `organization`, `member_count`,
#: `created_at`, `updated_at`"; the contract tests use it too.
GROUP_SCHEMA: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["uri", "name", "organization", "member_count", "created_at", "updated_at"],
    "properties": {
        "uri": {"type": "string", "format": "uri"},
        "name": {"type": "string"},
        "organization": {"type": "string", "format": "uri"},
        "member_count": {"type": "integer"},
        "created_at": _TS,
        "updated_at": _TS,
    },
}

#: Newer live fields FACTS.md names, as (schema, path of property names, {field: schema}).
#: ``[]`` in a path steps into array items.
NEWER_FIELDS: tuple[tuple[str, tuple[str, ...], dict[str, Any]], ...] = (
    ("User", (), {"locale": {"type": "string"}, "resource_type": {"type": "string"}}),
    (
        "Event",
        (),
        {"meeting_notes_plain": _NULLABLE_STR, "meeting_notes_html": _NULLABLE_STR},
    ),
    (
        "Event",
        ("event_memberships", "[]"),
        {
            "user_email": {"type": "string", "format": "email"},
            "user_name": {"type": "string"},
            "buffered_start_time": _NULLABLE_TS,
            "buffered_end_time": _NULLABLE_TS,
        },
    ),
    (
        "Invitee",
        (),
        {
            "scheduling_method": {
                "type": "string",
                "nullable": True,
                "enum": ["instant_book", "api", None],
            },
            "invitee_scheduled_by": _NULLABLE_STR,
        },
    ),
    (
        "EventType",
        (),
        {
            "locations": {"type": "array", "nullable": True, "items": {"type": "object"}},
            "position": {"type": "number"},
            "duration_options": {"type": "array", "nullable": True, "items": {"type": "number"}},
        },
    ),
    ("WebhookSubscription", (), {"group": {"type": "string", "format": "uri", "nullable": True}}),
)

#: Webhook events the current docs add to the spec's enum (FACTS.md section 9).
NEWER_WEBHOOK_EVENTS = ("invitee_no_show.created", "invitee_no_show.deleted")


def _resolve(node: Any, schemas: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return _resolve(schemas[ref.rsplit("/", 1)[-1]], schemas)
        return {key: _resolve(value, schemas) for key, value in node.items()}
    if isinstance(node, list):
        return [_resolve(item, schemas) for item in node]
    return node


def _strict(node: Any) -> Any:
    """Forbid unnamed properties; let a nullable ``oneOf`` (Location) accept null."""
    if isinstance(node, list):
        return [_strict(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {key: _strict(value) for key, value in node.items()}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if out.get("nullable") is True and "oneOf" in out:
        null_branch = {"type": "object", "nullable": True, "enum": [None]}
        out = {"oneOf": [null_branch, *out["oneOf"]]}
    return out


def _step(schema: dict[str, Any], path: tuple[str, ...]) -> dict[str, Any]:
    for part in path:
        schema = schema["items"] if part == "[]" else schema["properties"][part]
    return schema


def strict_schemas(spec_path: Path) -> dict[str, dict[str, Any]]:
    """Resolved strict schemas by component name (plus ``Group``)."""
    import yaml

    spec = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    schemas: dict[str, Any] = spec["components"]["schemas"]
    out: dict[str, dict[str, Any]] = {}
    for name in (
        *COLLECTION_SCHEMAS.values(),
        "Organization",
        "UserBusyTime",
        "Cancellation",
        "Share",
    ):
        out[name] = _strict(_resolve(copy.deepcopy(schemas[name]), schemas))
    for name, path, extra in NEWER_FIELDS:
        _step(out[name], path)["properties"].update(copy.deepcopy(extra))
    events = _step(out["WebhookSubscription"], ("events", "[]"))
    events["enum"] = [*events["enum"], *NEWER_WEBHOOK_EVENTS]
    out["Group"] = copy.deepcopy(GROUP_SCHEMA)
    return out


class RecordValidator:
    """Validates records per collection; ``errors`` returns readable messages."""

    def __init__(self, spec_path: Path) -> None:
        from openapi_schema_validator import OAS30Validator, oas30_format_checker

        self.schemas = strict_schemas(spec_path)
        self._validators = {
            name: OAS30Validator(schema, format_checker=oas30_format_checker)
            for name, schema in self.schemas.items()
        }

    def errors(self, schema_name: str, record: Any) -> list[str]:
        validator = self._validators[schema_name]
        return [
            f"{schema_name} {'/'.join(map(str, err.absolute_path))}: {err.message}"
            for err in validator.iter_errors(record)
        ]

    def collection_errors(self, collection: str, record: Any) -> list[str]:
        name = "Group" if collection == "groups" else COLLECTION_SCHEMAS[collection]
        return self.errors(name, record)
