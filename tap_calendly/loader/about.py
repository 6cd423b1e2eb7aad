"""``--about`` in text, JSON (singer-sdk's shape) and Markdown."""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, version
from typing import Any

from tap_calendly.loader.settings import HUB_ONLY, SETTINGS

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
        if s.minimum is not None:
            prop["minimum"] = s.minimum
        if s.maximum is not None:
            prop["maximum"] = s.maximum
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
        "hub_target_duckdb_settings_not_supported": {
            h.name: {"accepted_values": list(h.honoured), "instead": h.instead} for h in HUB_ONLY
        },
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
    lines.append(
        "Settings of Hub's target-duckdb not supported (a warning unless set to a value shown):"
    )
    lines.extend(f"  - {h.name}{_accepted(h.honoured)}: {h.instead}" for h in HUB_ONLY)
    return "\n".join(lines)


def _accepted(values: tuple[Any, ...]) -> str:
    return f" [accepted: {', '.join(json.dumps(v) for v in values)}]" if values else ""


def about_markdown() -> str:
    rows = ["| Setting | Type | Default | Description |", "|---|---|---|---|"]
    for s in SETTINGS:
        desc = s.description + (f" Aliases: `{'`, `'.join(s.aliases)}`." if s.aliases else "")
        rows.append(f"| `{s.name}` | {s.kind} | `{_default_text(s.default)}` | {desc} |")
    hub = ["| Hub setting | Accepted without a warning | What this loader does |", "|---|---|---|"]
    for h in HUB_ONLY:
        accepted = ", ".join(f"`{json.dumps(v)}`" for v in h.honoured) or "(none)"
        hub.append(f"| `{h.name}` | {accepted} | {h.instead} |")
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
            "",
            "## Settings of Meltano Hub's target-duckdb that this loader does not have",
            "",
            *hub,
        ]
    )


def render(fmt: str | None) -> str:
    if fmt == "json":
        return json.dumps(about_dict(), indent=2)
    if fmt == "markdown":
        return about_markdown()
    return about_text()
