"""``--about`` in text, JSON (singer-sdk's shape) and Markdown."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from tap_calendly.loader.settings import SETTINGS

NAME = "target-calendly-duckdb"
DESCRIPTION = (
    "Singer target that loads any tap's output into DuckDB: one table per stream, "
    "upsert on key_properties, offsets kept as TIMESTAMPTZ, nested values as JSON, "
    "STATE emitted only after the data it covers is committed."
)
# singer-sdk's capability names; stream-maps and schema-flattening are not offered.
CAPABILITIES = ("about", "activate-version", "hard-delete", "target-schema")


def package_version() -> str:
    try:
        return version("tap-calendly")
    except PackageNotFoundError:  # running from a source tree without metadata
        return "0.0.0"


def settings_schema() -> dict[str, Any]:
    """JSON schema of the settings (Meltano and singer-sdk read this shape)."""
    properties: dict[str, Any] = {}
    for s in SETTINGS:
        prop: dict[str, Any] = {"type": [s.kind, "null"] if s.default is None else s.kind}
        prop["description"] = s.description
        if s.default is not None:
            prop["default"] = s.default
        if s.allowed:
            prop["enum"] = list(s.allowed)
        if s.aliases:
            prop["aliases"] = list(s.aliases)
        properties[s.name] = prop
    return {"type": "object", "properties": properties, "required": []}


def about_dict() -> dict[str, Any]:
    return {
        "name": NAME,
        "description": DESCRIPTION,
        "version": package_version(),
        "capabilities": list(CAPABILITIES),
        "supported_python_versions": ["3.11", "3.12", "3.13"],
        "settings": settings_schema(),
    }


def _default_text(default: Any) -> str:
    if default is None:
        return "(none)"
    return json.dumps(default)


def about_text() -> str:
    lines = [f"Name: {NAME}", f"Version: {package_version()}", f"Description: {DESCRIPTION}"]
    lines.append("Capabilities: " + ", ".join(CAPABILITIES))
    lines.append("Settings:")
    for s in SETTINGS:
        alias = f" (alias: {', '.join(s.aliases)})" if s.aliases else ""
        lines.append(
            f"  - {s.name} [{s.kind}, default {_default_text(s.default)}]{alias}: {s.description}"
        )
    return "\n".join(lines)


def about_markdown() -> str:
    rows = ["| Setting | Type | Default | Description |", "|---|---|---|---|"]
    for s in SETTINGS:
        desc = s.description + (f" Aliases: `{'`, `'.join(s.aliases)}`." if s.aliases else "")
        rows.append(f"| `{s.name}` | {s.kind} | `{_default_text(s.default)}` | {desc} |")
    return "\n".join(
        [
            f"# {NAME}",
            "",
            DESCRIPTION,
            "",
            f"Version {package_version()}. Capabilities: {', '.join(CAPABILITIES)}.",
            "",
            "## Settings",
            "",
            *rows,
            "",
            "Settings come from `--config FILE` (repeatable, later files win) and, with "
            "`--config ENV`, from `TARGET_CALENDLY_DUCKDB_<SETTING>` environment variables.",
        ]
    )


def render(fmt: str | None) -> str:
    if fmt == "json":
        return json.dumps(about_dict(), indent=2)
    if fmt == "markdown":
        return about_markdown()
    return about_text()
