"""Derive Meltano setting definitions from a plugin's ``--about --format json`` output.

meltano.yml must describe every setting a plugin accepts (kind, ``sensitive``, default,
description) so Meltano needs no Hub entry. This module is the one mapping from the
plugin's JSON schema to Meltano's vocabulary: the settings test compares meltano.yml with
it, and ``python -m tap_calendly.demo.meltano_settings tap-calendly`` prints a YAML
block to paste when a plugin gains a setting.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

_KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}


def read_about(executable: str | Path) -> dict[str, Any]:
    """Run ``<executable> --about --format json`` and parse it."""
    out = subprocess.run(
        [str(executable), "--about", "--format", "json"],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    about = json.loads(out.stdout)
    if not isinstance(about, dict):
        raise ValueError(f"{executable} --about did not print a JSON object")
    return about


def _json_type(prop: dict[str, Any]) -> str | None:
    kind = prop.get("type")
    if isinstance(kind, list):
        kinds = [k for k in kind if k != "null"]
        return str(kinds[0]) if kinds else None
    if isinstance(kind, str):
        return kind
    for option in prop.get("anyOf", []) + prop.get("oneOf", []):
        if isinstance(option, dict) and option.get("type") not in (None, "null"):
            return _json_type(option)
    return None


def setting_kind(prop: dict[str, Any]) -> str:
    """Meltano ``kind`` for one JSON-schema property."""
    if prop.get("enum"):
        return "options"
    kind = _json_type(prop)
    if kind == "string" and prop.get("format") in ("date-time", "date"):
        return "date_iso8601"
    return _KINDS.get(kind or "string", "string")


def is_sensitive(prop: dict[str, Any]) -> bool:
    return bool(prop.get("secret") or prop.get("writeOnly"))


def settings_from_about(about: dict[str, Any]) -> list[dict[str, Any]]:
    """Meltano ``settings`` entries, in the plugin's own order."""
    schema = about.get("settings") or {}
    entries: list[dict[str, Any]] = []
    for name, prop in (schema.get("properties") or {}).items():
        entry: dict[str, Any] = {"name": name, "kind": setting_kind(prop)}
        if prop.get("title"):
            entry["label"] = prop["title"]
        if "default" in prop and prop["default"] is not None:
            entry["value"] = prop["default"]
        if entry["kind"] == "options":
            entry["options"] = [
                {"label": str(v), "value": v} for v in prop["enum"] if v is not None
            ]
        if is_sensitive(prop):
            entry["sensitive"] = True
        if prop.get("description"):
            entry["description"] = " ".join(str(prop["description"]).split())
        entries.append(entry)
    return entries


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m tap_calendly.demo.meltano_settings EXECUTABLE", file=sys.stderr)
        return 2
    import yaml

    settings = settings_from_about(read_about(args[0]))
    print(yaml.safe_dump({"settings": settings}, sort_keys=False, width=100), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
