"""The loader's settings: one table drives config parsing, ``--about`` and the README section."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tap_calendly.loader.errors import LoaderError

ENV_PREFIX = "TARGET_CALENDLY_DUCKDB_"


@dataclass(frozen=True)
class Setting:
    """One setting as documented and as JSON-schema typed."""

    name: str
    kind: str  # JSON schema type: string | integer | number | boolean
    default: Any
    description: str
    aliases: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database",
        "string",
        "calendly.duckdb",
        "Path of the DuckDB database file (created if missing). One writer at a time.",
        aliases=("filepath", "path"),
    ),
    Setting(
        "schema",
        "string",
        "calendly",
        "DuckDB schema that receives one table per stream (created if missing).",
        aliases=("default_target_schema",),
    ),
    Setting(
        "batch_size_rows",
        "integer",
        200_000,
        "Commit after this many records are pending (all streams together).",
    ),
    Setting(
        "batch_size_bytes",
        "integer",
        256 * 1024 * 1024,
        "Commit after this many bytes of RECORD messages are pending (spooled on disk).",
    ),
    Setting(
        "batch_wait_limit_seconds",
        "number",
        None,
        "Also commit when the oldest pending record is older than this (checked as messages "
        "arrive), so quiet streams still advance their state.",
    ),
    Setting(
        "load_method",
        "string",
        "upsert",
        "upsert: one row per key_properties value, newest wins (streams without keys append). "
        "append-only: always insert. overwrite: replace each stream's table with this run's rows.",
        allowed=("upsert", "append-only", "overwrite"),
    ),
    Setting(
        "add_record_metadata",
        "boolean",
        False,
        "Add _sdc_extracted_at, _sdc_received_at, _sdc_batched_at, _sdc_deleted_at, "
        "_sdc_sequence and _sdc_table_version columns.",
    ),
    Setting(
        "hard_delete",
        "boolean",
        False,
        "Delete rows whose record has a non-null _sdc_deleted_at (and rows retired by "
        "ACTIVATE_VERSION) instead of keeping them with _sdc_deleted_at set.",
    ),
    Setting(
        "memory_limit",
        "string",
        "192MB",
        "DuckDB memory_limit for the load; DuckDB spills to temp files beyond it.",
    ),
    Setting("threads", "integer", None, "DuckDB worker threads (default: all cores)."),
    Setting(
        "temp_dir",
        "string",
        None,
        "Directory for the per-batch spool files (default: the system temp directory).",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
ALIASES: dict[str, str] = {alias: s.name for s in SETTINGS for alias in s.aliases}


@dataclass(frozen=True)
class LoaderConfig:
    """Validated settings."""

    database: str = "calendly.duckdb"
    schema: str = "calendly"
    batch_size_rows: int = 200_000
    batch_size_bytes: int = 256 * 1024 * 1024
    batch_wait_limit_seconds: float | None = None
    load_method: str = "upsert"
    add_record_metadata: bool = False
    hard_delete: bool = False
    memory_limit: str = "192MB"
    threads: int | None = None
    temp_dir: str | None = None


def _coerce(setting: Setting, value: Any) -> Any:
    """Accept JSON-typed values and, from the environment, their string forms."""
    if value is None:
        return None
    kind = setting.kind
    if kind == "boolean":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {
            "true",
            "1",
            "yes",
            "false",
            "0",
            "no",
        }:
            return value.strip().lower() in {"true", "1", "yes"}
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool) and value > 0:
            return value
        if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
            return int(value)
    elif kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = -1.0
            if number > 0:
                return number
    elif isinstance(value, str) and value.strip():
        if setting.allowed and value not in setting.allowed:
            raise LoaderError(
                f"setting {setting.name!r} must be one of "
                f"{', '.join(setting.allowed)}; got {value!r}"
            )
        return value
    wanted = {"integer": "a positive integer", "number": "a positive number"}.get(kind, f"a {kind}")
    raise LoaderError(f"setting {setting.name!r} must be {wanted}; got {value!r}")


def build_config(raw: dict[str, Any]) -> LoaderConfig:
    """Validate merged settings; unknown keys are ignored (Meltano passes extras)."""
    values: dict[str, Any] = {}
    for key, value in raw.items():
        name = ALIASES.get(key, key)
        setting = BY_NAME.get(name)
        if setting is None:
            continue
        if key != name and name in raw:
            continue  # the canonical name wins over its alias
        values[name] = _coerce(setting, value)
    values = {k: v for k, v in values.items() if v is not None}
    return LoaderConfig(**values)


def read_config_sources(sources: list[str]) -> dict[str, Any]:
    """Merge ``--config`` files left to right; ``ENV`` reads TARGET_CALENDLY_DUCKDB_<SETTING>."""
    merged: dict[str, Any] = {}
    for source in sources:
        if source == "ENV":
            for setting in SETTINGS:
                for name in (setting.name, *setting.aliases):
                    env = os.environ.get(ENV_PREFIX + name.upper())
                    if env is not None:
                        merged[setting.name] = env
            continue
        path = Path(source)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise LoaderError(f"config file not found: {source}") from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise LoaderError(f"config file {source} is not valid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise LoaderError(f"config file {source} must hold a JSON object")
        merged.update(data)
    return merged
