"""The tap's ``--about`` / config JSON schema, generated from the one settings list."""

from __future__ import annotations

from typing import Any

from singer_sdk import typing as th

from tap_calendly.api.settings import SETTINGS, Setting

_TYPES: dict[str, type[th.JSONTypeHelper[Any]]] = {
    "integer": th.IntegerType,
    "number": th.NumberType,
    "boolean": th.BooleanType,
    "datetime": th.DateTimeType,
}


def _property(setting: Setting) -> th.Property[Any]:
    description = setting.description
    if setting.aliases:
        names = ", ".join(setting.aliases)
        description += f" Also accepted as {names} (Meltano Hub's tap-calendly names)."
    return th.Property(
        setting.name,
        _TYPES.get(setting.kind, th.StringType),
        secret=setting.secret,
        default=setting.default,
        allowed_values=list(setting.choices) or None,
        description=description,
    )


def settings_jsonschema() -> dict[str, Any]:
    """Every setting; aliases are accepted by :class:`Settings` and named in descriptions."""
    return th.PropertiesList(*(_property(s) for s in SETTINGS)).to_dict()
