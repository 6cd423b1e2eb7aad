"""The loader's settings: one table drives config parsing, ``--about`` and docs/loader.md."""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tap_calendly.loader.errors import LoaderError

ENV_PREFIX = "TARGET_CALENDLY_DUCKDB_"
DEFAULT_LOCK_TIMEOUT = 300  # seconds: a webhooks apply merges for seconds, not minutes
MAX_LOCK_TIMEOUT = 86_400


@dataclass(frozen=True)
class Setting:
    """One setting as documented and as JSON-schema typed."""

    name: str
    kind: str  # JSON schema type: string | integer | number | boolean
    default: Any
    description: str
    aliases: tuple[str, ...] = ()
    allowed: tuple[str, ...] = ()
    #: Bounds of a number; without them a number or integer must be positive.
    minimum: float | None = None
    maximum: float | None = None


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "database",
        "string",
        "calendly.duckdb",
        "Path of the DuckDB database file (created if missing). One writer at a time.",
        aliases=("filepath", "path"),
    ),
    Setting(
        "lock_timeout",
        "number",
        DEFAULT_LOCK_TIMEOUT,
        "Seconds to wait while another process (calendly webhooks apply, a DuckDB shell) "
        "holds the database file before failing; 0 fails at once.",
        minimum=0,
        maximum=MAX_LOCK_TIMEOUT,
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
        aliases=("add_metadata_columns",),
    ),
    Setting(
        "hard_delete",
        "boolean",
        False,
        "Delete rows whose record has a non-null _sdc_deleted_at (and rows retired by "
        "ACTIVATE_VERSION) instead of keeping them with _sdc_deleted_at set.",
    ),
    Setting(
        "primary_key_required",
        "boolean",
        False,
        "Refuse a stream whose SCHEMA has no key_properties (its rows could only be appended, "
        "so every re-run would add them again) instead of appending it.",
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


@dataclass(frozen=True)
class HubSetting:
    """A setting of Meltano Hub's ``target-duckdb`` (jwills variant) that this loader lacks.

    ``honoured`` lists the values that describe what this loader does anyway; any other value
    is accepted with a one-line warning naming the setting (never silently ignored).
    """

    name: str
    kind: str
    honoured: tuple[Any, ...]
    instead: str  # what this loader does


HUB_ONLY: tuple[HubSetting, ...] = (
    HubSetting("dbname", "string", (), "the catalog is always the database file's own"),
    HubSetting("token", "string", (), "MotherDuck is not supported; 'database' is a local file"),
    HubSetting("delimiter", "string", (",",), "no CSV files are used"),
    HubSetting("quotechar", "string", ('"',), "no CSV files are used"),
    HubSetting("flush_all_streams", "boolean", (True, False), "every commit includes every stream"),
    HubSetting("schema_mapping", "object", ({},), "every stream loads into 'schema'"),
    HubSetting(
        "data_flattening_max_level", "integer", (0,), "nested values stay whole in JSON columns"
    ),
    HubSetting(
        "validate_records",
        "boolean",
        (False,),
        "records are not checked against JSON Schema; DuckDB type-checks each value on load",
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
ALIASES: dict[str, str] = {alias: s.name for s in SETTINGS for alias in s.aliases}
HUB_BY_NAME: dict[str, HubSetting] = {h.name: h for h in HUB_ONLY}


@dataclass(frozen=True)
class LoaderConfig:
    """Validated settings."""

    database: str = "calendly.duckdb"
    lock_timeout: float = DEFAULT_LOCK_TIMEOUT
    schema: str = "calendly"
    batch_size_rows: int = 200_000
    batch_size_bytes: int = 256 * 1024 * 1024
    batch_wait_limit_seconds: float | None = None
    load_method: str = "upsert"
    add_record_metadata: bool = False
    hard_delete: bool = False
    primary_key_required: bool = False
    memory_limit: str = "192MB"
    threads: int | None = None
    temp_dir: str | None = None


def _coerce(setting: Setting, value: Any, key: str) -> Any:
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
        if isinstance(value, int) and not isinstance(value, bool) and _in_range(setting, value):
            return value
        if isinstance(value, str) and value.strip().isdigit() and _in_range(setting, int(value)):
            return int(value)
    elif kind == "number":
        if isinstance(value, int | float) and not isinstance(value, bool):
            if _in_range(setting, value):
                return float(value)
        elif isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = float("nan")
            if _in_range(setting, number):
                return number
    elif isinstance(value, str) and value.strip():
        if setting.allowed and value not in setting.allowed:
            raise LoaderError(
                f"setting {key!r} must be one of {', '.join(setting.allowed)}; got {value!r}"
            )
        return value
    wanted = {"integer": "a positive integer", "number": "a positive number"}.get(kind, f"a {kind}")
    if setting.minimum is not None and setting.maximum is not None:
        wanted = f"a {kind} from {setting.minimum:g} to {setting.maximum:g}"
    raise LoaderError(f"setting {key!r} must be {wanted}; got {value!r}")


def _in_range(setting: Setting, value: float) -> bool:
    """Within the setting's bounds; positive when it has none (NaN never is)."""
    if setting.minimum is None:
        return value > 0
    top = math.inf if setting.maximum is None else setting.maximum
    return setting.minimum <= value <= top


def _same(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True)


def _hub_value(hub: HubSetting, value: Any) -> Any:
    """A Hub setting's value in its JSON type (environment variables arrive as text)."""
    if not isinstance(value, str) or hub.kind == "string":
        return value
    text = value.strip()
    if hub.kind == "boolean" and text.lower() in {"true", "1", "yes", "false", "0", "no"}:
        return text.lower() in {"true", "1", "yes"}
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return value


def _pick(setting: Setting, named: list[tuple[str, Any]]) -> tuple[str, Any]:
    """One source set a setting under several names: they must agree.

    A value equal to the default counts as not set, because Meltano passes every declared
    setting with its default: a user's ``filepath`` must win over a ``database`` default.
    """
    explicit = [(key, value) for key, value in named if not _same(value, setting.default)]
    if not explicit:
        return named[0]
    first_key, first = explicit[0]
    for key, value in explicit[1:]:
        if not _same(value, first):
            hint = (
                " (in Hub's target-duckdb 'database' names a catalog; here it is the file path)"
                if setting.name == "database"
                else ""
            )
            raise LoaderError(
                f"settings {first_key!r} and {key!r} are both set, to different values, and both "
                f"mean {setting.name!r}{hint}; set only one of them"
            )
    return first_key, first


def build_config(*layers: dict[str, Any]) -> tuple[LoaderConfig, list[str]]:
    """Validate settings from ``layers`` (later layers win); return the config and warnings.

    Each setting may be given by its name or an alias (Hub's ``target-duckdb`` names). Known
    Hub settings this loader does not have, and unknown keys, are warnings, never errors:
    Meltano passes whatever meltano.yml declares.
    """
    values: dict[str, Any] = {}
    hub_values: dict[str, Any] = {}
    unknown: list[str] = []
    for layer in layers:
        named: dict[str, list[tuple[str, Any]]] = {}
        for key, value in layer.items():
            if value is None:
                continue  # Meltano passes unset settings as null
            name = ALIASES.get(key, key)
            setting = BY_NAME.get(name)
            if setting is not None:
                named.setdefault(name, []).append((key, _coerce(setting, value, key)))
            elif key in HUB_BY_NAME:
                hub_values[key] = value
            elif key not in unknown:
                unknown.append(key)
        for name, given in named.items():
            values[name] = _pick(BY_NAME[name], given)[1]
    warnings = []
    for key, value in hub_values.items():
        hub = HUB_BY_NAME[key]
        if not any(_same(_hub_value(hub, value), ok) for ok in hub.honoured):
            warnings.append(
                f"setting {key!r} of Hub's target-duckdb is not supported and is ignored: "
                f"{hub.instead}"
            )
    warnings.extend(f"unknown setting {key!r} is ignored" for key in unknown)
    values = {k: v for k, v in values.items() if v is not None}
    return LoaderConfig(**values), warnings


def read_config_sources(sources: list[str]) -> list[dict[str, Any]]:
    """One layer per ``--config`` source; ``ENV`` reads TARGET_CALENDLY_DUCKDB_<SETTING>."""
    layers: list[dict[str, Any]] = []
    for source in sources:
        if source == "ENV":
            names = [n for s in SETTINGS for n in (s.name, *s.aliases)]
            names += [h.name for h in HUB_ONLY]
            env = {n: os.environ.get(ENV_PREFIX + n.upper()) for n in names}
            layer = {n: v for n, v in env.items() if v is not None}
            layers.append(layer)
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
        layers.append(data)
    return layers
