"""JSON-schema building blocks and the shared Calendly object shapes.

Every record schema allows additional properties (a field Calendly adds tomorrow is
kept, never a crash) and every property except the key accepts null (the API's
nullability drifts; a stricter schema would turn drift into sync failures).
Timestamps declare ``format: date-time`` so targets type them.
"""

from __future__ import annotations

from typing import Any

Schema = dict[str, Any]


def string(fmt: str | None = None) -> Schema:
    schema: Schema = {"type": ["string", "null"]}
    if fmt:
        schema["format"] = fmt
    return schema


def key_string() -> Schema:
    """A primary-key field: always present, never null."""
    return {"type": "string"}


def datetime_() -> Schema:
    return string("date-time")


def boolean() -> Schema:
    return {"type": ["boolean", "null"]}


def number() -> Schema:
    return {"type": ["number", "null"]}


def integer() -> Schema:
    return {"type": ["integer", "null"]}


def obj(**properties: Schema) -> Schema:
    return {"type": ["object", "null"], "properties": properties, "additionalProperties": True}


def free_object() -> Schema:
    """An object whose keys the API does not fix (e.g. activity ``details``)."""
    return {"type": ["object", "null"], "additionalProperties": True}


def array(items: Schema) -> Schema:
    return {"type": ["array", "null"], "items": items}


def record(**properties: Schema) -> Schema:
    """Top-level record schema."""
    return {"type": "object", "properties": properties, "additionalProperties": True}


def tracking() -> Schema:
    return obj(
        utm_campaign=string(),
        utm_source=string(),
        utm_medium=string(),
        utm_content=string(),
        utm_term=string(),
        salesforce_uuid=string(),
    )


def user_fields() -> dict[str, Schema]:
    """User fields shared by ``/users/me`` and the user embedded in a membership."""
    return {
        "uri": key_string(),
        "name": string(),
        "slug": string(),
        "email": string(),
        "scheduling_url": string(),
        "timezone": string(),
        "avatar_url": string(),
        "locale": string(),
        "time_notation": string(),
        "resource_type": string(),
        "created_at": datetime_(),
        "updated_at": datetime_(),
        "current_organization": string(),
    }


def location() -> Schema:
    """Union of Calendly's location kinds (physical, calls, conferences, custom)."""
    return obj(
        type=string(),
        location=string(),
        additional_info=string(),
        status=string(),
        join_url=string(),
        data=free_object(),
    )


def cancellation() -> Schema:
    return obj(
        canceled_by=string(),
        reason=string(),
        canceler_type=string(),
        created_at=datetime_(),
    )
