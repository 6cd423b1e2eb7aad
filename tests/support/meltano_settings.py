"""Derive Meltano setting definitions from a plugin's ``--about --format json`` output.

meltano.yml must describe every setting a plugin accepts (kind, ``sensitive``, default,
description, aliases) so Meltano needs no Hub entry. This module is the one mapping from
the plugin's JSON schema to Meltano's vocabulary: the settings test compares meltano.yml
with it, and ``python -m tests.support.meltano_settings .venv/bin/tap-calendly`` prints a
YAML block to paste when a plugin gains a setting (``--update tap-calendly`` rewrites it).
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from tap_calendly.api.settings import SETTINGS as TAP_SETTINGS
from tap_calendly.loader.settings import SETTINGS as LOADER_SETTINGS

_KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "decimal",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}


def _aliases(settings: Sequence[Any]) -> dict[str, tuple[str, ...]]:
    return {setting.name: tuple(setting.aliases) for setting in settings if setting.aliases}


#: Setting names Meltano Hub's tap-calendly and target-duckdb definitions use for our
#: settings, declared as Meltano ``aliases`` in meltano.yml (Meltano maps an alias to our
#: name before the plugin sees the config). The plugins' own alias lists are the source;
#: ``add_metadata_columns`` is added here until the loader accepts it itself.
HUB_ALIASES: dict[str, dict[str, tuple[str, ...]]] = {
    "tap-calendly": _aliases(TAP_SETTINGS),
    "target-calendly-duckdb": {
        "add_record_metadata": ("add_metadata_columns",),
        **_aliases(LOADER_SETTINGS),
    },
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


def settings_from_about(
    about: dict[str, Any], extra_aliases: Mapping[str, Sequence[str]] | None = None
) -> list[dict[str, Any]]:
    """Meltano ``settings`` entries, in the plugin's own order."""
    schema = about.get("settings") or {}
    entries: list[dict[str, Any]] = []
    for name, prop in (schema.get("properties") or {}).items():
        entry: dict[str, Any] = {"name": name, "kind": setting_kind(prop)}
        if prop.get("title"):
            entry["label"] = prop["title"]
        if "default" in prop and prop["default"] is not None:
            entry["value"] = prop["default"]
        aliases = [*prop.get("aliases", []), *(extra_aliases or {}).get(name, ())]
        if aliases:
            entry["aliases"] = list(dict.fromkeys(aliases))
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


def replace_settings_block(text: str, plugin: str, settings_yaml: str) -> str:
    """meltano.yml text with ``plugin``'s ``settings:`` block replaced (rest untouched)."""
    lines = text.splitlines(keepends=True)
    start = next(
        (i for i, line in enumerate(lines) if line.rstrip() == f"  - name: {plugin}"), None
    )
    if start is None:
        raise ValueError(f"plugin {plugin!r} not found in meltano.yml")
    begin = next(i for i in range(start + 1, len(lines)) if lines[i].startswith("    settings:"))
    end = begin + 1
    while end < len(lines) and (
        lines[end].startswith(("    - ", "      ")) or not lines[end].strip()
    ):
        end += 1
    block = "".join("    " + line + "\n" for line in settings_yaml.splitlines())
    return "".join(lines[:begin]) + block + "".join(lines[end:])


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) not in (1, 3) or (len(args) == 3 and args[1] != "--update"):
        print(
            "usage: python -m tests.support.meltano_settings EXECUTABLE "
            "[--update PLUGIN_NAME]  (--update rewrites ./meltano.yml)",
            file=sys.stderr,
        )
        return 2
    plugin = args[2] if len(args) == 3 else Path(args[0]).name
    settings = settings_from_about(read_about(args[0]), HUB_ALIASES.get(plugin))
    rendered = yaml.safe_dump({"settings": settings}, sort_keys=False, width=100)
    if len(args) == 1:
        print(rendered, end="")
        return 0
    path = Path("meltano.yml")
    path.write_text(
        replace_settings_block(path.read_text(encoding="utf-8"), args[2], rendered),
        encoding="utf-8",
    )
    print(f"updated {len(settings)} settings of {args[2]} in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
