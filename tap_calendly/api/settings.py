"""The connector's settings: one definition, parsed and validated once.

``SETTINGS`` is the single list of every setting (type, default, range, secrecy,
aliases, description). The tap's ``--about``/JSON schema, meltano.yml and the docs
are generated from it or tested against it. :meth:`Settings.parse` checks every value
and reports *all* problems in one line that names each setting and never its value,
so a mistyped secret is never echoed.

Sources: a mapping (the tap's config), a JSON file (``--config``), or the environment
(``TAP_CALENDLY_<NAME>``, Meltano's convention). Names users bring from Meltano Hub's
tap-calendly are accepted as aliases; an alias and its setting both set to different
values is an error, not a silent choice.
"""

from __future__ import annotations

import math
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import orjson

from tap_calendly.api.errors import ConfigError

DEFAULT_API_URL = "https://api.calendly.com"
DEFAULT_OAUTH_TOKEN_URL = "https://auth.calendly.com/oauth/token"
DEFAULT_USER_AGENT = "tap-calendly"
ENV_PREFIX = "TAP_CALENDLY_"

Kind = Literal["string", "secret", "url", "datetime", "path", "integer", "number", "boolean"]

#: Control characters (CR/LF included) would break an HTTP header or a log line.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
#: What a token or client credential can hold: it travels in an HTTP header, and no
#: Calendly credential has spaces or non-ASCII characters (a paste slip if it does).
_TOKEN = re.compile(r"[\x21-\x7e]+")
#: A host name or IPv4 address (IPv6 literals are checked by ``urlsplit`` itself).
_HOST = re.compile(r"[A-Za-z0-9._-]+")
#: Settings sent in HTTP headers: printable ASCII only, or the request cannot be encoded.
_HEADER_SETTINGS = frozenset({"client_id", "user_agent"})


@dataclass(frozen=True)
class Setting:
    """One setting's definition."""

    name: str
    kind: Kind
    description: str
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()
    group: str = ""

    @property
    def secret(self) -> bool:
        return self.kind == "secret"

    def json_type(self) -> str:
        return {"integer": "integer", "number": "number", "boolean": "boolean"}.get(
            self.kind, "string"
        )


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "personal_access_token",
        "secret",
        "Calendly personal access token. Use this OR the OAuth settings.",
        aliases=("auth_token", "api_key"),
        group="auth",
    ),
    Setting(
        "client_id",
        "string",
        "OAuth client id (with client_secret, refresh_token and token_file).",
        group="oauth",
    ),
    Setting("client_secret", "secret", "OAuth client secret.", group="oauth"),
    Setting(
        "refresh_token",
        "secret",
        "OAuth refresh token. Calendly rotates it on every refresh; the newest one is kept "
        "in token_file, which wins over this value on later runs.",
        group="oauth",
    ),
    Setting(
        "oauth_token_url",
        "url",
        "OAuth token endpoint.",
        default=DEFAULT_OAUTH_TOKEN_URL,
        group="oauth",
    ),
    Setting(
        "token_file",
        "path",
        "File (mode 0600) where rotated OAuth tokens are saved atomically before use. "
        "Required with OAuth.",
        group="oauth",
    ),
    Setting(
        "api_url",
        "url",
        "API base URL (a sandbox URL for local runs).",
        default=DEFAULT_API_URL,
    ),
    Setting(
        "start_date",
        "datetime",
        "Earliest event start time / activity time to sync. Empty: all history.",
    ),
    Setting(
        "lookback_days",
        "number",
        "Incremental runs re-read events starting from bookmark minus this many days, to "
        "catch cancellations, reschedules and no-shows of older events.",
        default=30,
        minimum=0,
        maximum=3650,
    ),
    Setting(
        "scope",
        "string",
        "organization (admin token, whole org) or user (the token's user).",
        default="organization",
        choices=("organization", "user"),
    ),
    Setting(
        "organization",
        "url",
        "Organization URI. Default: the token user's current organization.",
        aliases=("organization_url",),
    ),
    Setting("user", "url", "User URI for user scope. Default: the token's user (/users/me)."),
    Setting(
        "availability_horizon_days",
        "integer",
        "Days ahead covered by busy-time and available-time snapshots.",
        default=14,
        minimum=1,
        maximum=365,
    ),
    Setting(
        "max_concurrency",
        "integer",
        "Concurrent requests for per-parent fan-outs (invitees, per-member lists).",
        default=8,
        minimum=1,
        maximum=64,
    ),
    Setting(
        "requests_per_minute",
        "integer",
        "Optional local cap below the server's rate limit.",
        minimum=1,
        maximum=100_000,
    ),
    Setting(
        "request_timeout",
        "number",
        "Seconds before a request is abandoned and retried.",
        default=30,
        minimum=0.1,
        maximum=600,
    ),
    Setting(
        "max_retries",
        "integer",
        "Retries for 5xx, timeouts, resets and truncated bodies.",
        default=5,
        minimum=0,
        maximum=20,
    ),
    Setting(
        "emit_activate_version_messages",
        "boolean",
        "Send one ACTIVATE_VERSION per full-table stream after its records, so the target "
        "retires rows the API no longer returns (departed members, revoked invitations, "
        "deleted webhooks, past availability). Incremental streams never send it.",
        default=True,
    ),
    Setting(
        "user_agent",
        "string",
        "User-Agent header sent with every request.",
        default=DEFAULT_USER_AGENT,
    ),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}
ALIASES: dict[str, str] = {alias: s.name for s in SETTINGS for alias in s.aliases}
OAUTH_KEYS = ("client_id", "client_secret", "refresh_token")


@dataclass(frozen=True)
class Settings:
    """Validated settings. Build with :meth:`parse`, :meth:`from_file` or :meth:`from_env`."""

    personal_access_token: str | None = field(default=None, repr=False)
    client_id: str | None = None
    client_secret: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    oauth_token_url: str = DEFAULT_OAUTH_TOKEN_URL
    token_file: Path | None = None
    api_url: str = DEFAULT_API_URL
    start_date: datetime | None = None
    lookback_days: float = 30
    scope: str = "organization"
    organization: str | None = None
    user: str | None = None
    availability_horizon_days: int = 14
    max_concurrency: int = 8
    requests_per_minute: int | None = None
    request_timeout: float = 30
    max_retries: int = 5
    emit_activate_version_messages: bool = True
    user_agent: str = DEFAULT_USER_AGENT

    # -- construction ----------------------------------------------------------------

    @classmethod
    def parse(cls, config: Mapping[str, Any], *, require_auth: bool = True) -> Settings:
        """Validate ``config`` (unknown keys are left to their owners, e.g. the SDK)."""
        problems: list[str] = []
        values: dict[str, Any] = {}
        given: set[str] = set()
        for name, raw in _resolve_aliases(config, problems).items():
            spec = BY_NAME[name]
            if raw is None or (raw == "" and spec.kind != "secret"):
                continue
            given.add(name)
            try:
                values[name] = _convert(spec, raw)
            except ValueError as exc:
                problems.append(f"{name} {exc}")
        settings = cls(**values)
        problems.extend(_auth_problems(given, require_auth))
        if problems:
            raise ConfigError("invalid settings: " + "; ".join(problems))
        return settings

    @classmethod
    def from_file(cls, path: str | Path, *, require_auth: bool = True) -> Settings:
        """Read a JSON settings file (the tap's ``--config``) and validate it."""
        return cls.parse(read_config_file(path), require_auth=require_auth)

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        base: Mapping[str, Any] | None = None,
        *,
        require_auth: bool = True,
    ) -> Settings:
        """``base`` overlaid with ``TAP_CALENDLY_<NAME>`` variables (env wins)."""
        return cls.parse(env_overlay(environ, base), require_auth=require_auth)

    # -- derived ---------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return self.api_url.rstrip("/")

    @property
    def uses_oauth(self) -> bool:
        return self.personal_access_token is None and self.client_id is not None

    def secrets(self) -> list[str]:
        """Every secret value set (for redaction and tests that grep output)."""
        return [str(getattr(self, s.name)) for s in SETTINGS if s.secret and getattr(self, s.name)]


# -- helpers ---------------------------------------------------------------------------


def _auth_problems(given: set[str], require_auth: bool) -> list[str]:
    """Exactly one complete auth method among the settings given (valid or not)."""
    has_pat = "personal_access_token" in given
    oauth_given = [k for k in OAUTH_KEYS if k in given]
    if has_pat and oauth_given:
        return [
            "configure exactly one auth method: personal_access_token OR "
            "client_id/client_secret/refresh_token, not both"
        ]
    if not has_pat and not oauth_given:
        if not require_auth:
            return []
        return [
            "no credentials: set personal_access_token, or client_id, client_secret, "
            "refresh_token and token_file"
        ]
    if oauth_given:
        missing = [k for k in OAUTH_KEYS if k not in given]
        if missing:
            return [f"OAuth settings incomplete: missing {', '.join(missing)}"]
        if "token_file" not in given:
            return [
                "OAuth needs token_file: Calendly rotates the refresh token on every "
                "refresh and the new one must be saved"
            ]
    return []


def read_config_file(path: str | Path) -> dict[str, Any]:
    """A settings file as a dict, or one clear error line (never its content)."""
    where = Path(path)
    try:
        raw = where.read_bytes()
    except FileNotFoundError:
        raise ConfigError(f"config file {where} does not exist") from None
    except OSError as exc:
        raise ConfigError(f"cannot read config file {where}: {exc.strerror}") from None
    return parse_json_object(raw, f"config file {where}")


def parse_json_object(raw: bytes | str, what: str) -> dict[str, Any]:
    """``raw`` as a JSON object, or one :class:`ConfigError` line about ``what`` (a
    file's name, say), never quoting the content."""
    if not raw.strip():
        raise ConfigError(f"{what} is empty: it must hold a JSON object")
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ConfigError(f"{what} is not valid JSON") from None
    if not isinstance(data, dict):
        raise ConfigError(f"{what} must hold a JSON object")
    return data


def env_overlay(
    environ: Mapping[str, str] | None = None, base: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``base`` with ``TAP_CALENDLY_<NAME>`` environment variables laid over it."""
    env = os.environ if environ is None else environ
    merged = dict(base or {})
    for name in [*BY_NAME, *ALIASES]:
        value = env.get(ENV_PREFIX + name.upper())
        if value is not None and value != "":
            merged[name] = value
    return merged


def _resolve_aliases(config: Mapping[str, Any], problems: list[str]) -> dict[str, Any]:
    resolved: dict[str, Any] = {}
    origin: dict[str, str] = {}
    for key, value in config.items():
        name = ALIASES.get(key, key)
        if name not in BY_NAME or value is None:
            continue
        if name in resolved and resolved[name] != value:
            problems.append(f"{origin[name]} and {key} are both set, to different values")
            continue
        resolved[name] = value
        origin.setdefault(name, key)
    return resolved


def _convert(spec: Setting, raw: Any) -> Any:
    """One value checked and converted; ValueError text never contains the value."""
    kind = spec.kind
    if kind == "boolean":
        return _boolean(raw)
    if kind in ("integer", "number"):
        return _numeric(spec, raw)
    if not isinstance(raw, str):
        raise ValueError(f"must be a string, not {_json_type(raw)}")
    if kind == "secret":
        if raw != raw.strip():
            raise ValueError("has leading or trailing whitespace (a copy-paste slip?)")
        if not raw or _CONTROL.search(raw):
            raise ValueError("is empty or contains control characters")
        if not _TOKEN.fullmatch(raw):
            raise ValueError("must be printable ASCII without spaces (a copy-paste slip?)")
        return raw
    if _CONTROL.search(raw):
        raise ValueError("contains control characters")
    value = raw.strip()
    if spec.name in _HEADER_SETTINGS and not value.isascii():
        raise ValueError("must be ASCII (it is sent in an HTTP header)")
    if kind == "url":
        return _url(value)
    if kind == "datetime":
        return _datetime(value)
    if kind == "path":
        return Path(value).expanduser()
    if spec.choices and value not in spec.choices:
        raise ValueError(f"must be one of {', '.join(spec.choices)}")
    return value


def _url(value: str) -> str:
    """An http(s) URL with a plain host: no credentials, query or fragment to leak or lose."""
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError for a port that is not 0-65535
    except ValueError:
        raise ValueError("must be an http(s) URL with a valid host and port") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError("must be an http(s) URL with a host")
    if parts.username is not None or parts.password is not None:
        raise ValueError(
            "must not contain a user name or password: credentials have their own settings"
        )
    if not parts.netloc.startswith("[") and not _HOST.fullmatch(parts.hostname):
        raise ValueError("must be an http(s) URL with a valid host name")
    if parts.query or parts.fragment or "?" in value or "#" in value:
        raise ValueError("must not contain a query (?) or fragment (#)")
    return value


def _boolean(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in ("true", "false", "1", "0", "yes", "no"):
        return raw.strip().lower() in ("true", "1", "yes")
    raise ValueError("must be true or false")


def _numeric(spec: Setting, raw: Any) -> float | int:
    if isinstance(raw, bool):
        raise ValueError("must be a number, not a boolean")
    value: float | int
    if isinstance(raw, Decimal):  # singer-sdk reads config files with Decimal floats
        if not raw.is_finite():
            raise ValueError("must be a finite number")
        value = int(raw) if raw == raw.to_integral_value() else float(raw)
    elif isinstance(raw, int | float):
        value = raw
    elif isinstance(raw, str):
        try:
            value = float(raw.strip()) if spec.kind == "number" else int(raw.strip())
        except ValueError:
            raise ValueError(
                f"must be {'a number' if spec.kind == 'number' else 'an integer'}"
            ) from None
    else:
        raise ValueError(f"must be a number, not {_json_type(raw)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError("must be a finite number")
    if spec.kind == "integer" and isinstance(value, float):
        if not value.is_integer():
            raise ValueError("must be a whole number")
        value = int(value)
    if spec.minimum is not None and value < spec.minimum:
        raise ValueError(f"must be at least {_fmt(spec.minimum)}")
    if spec.maximum is not None and value > spec.maximum:
        raise ValueError(f"must be at most {_fmt(spec.maximum)}")
    return value


def _datetime(value: str) -> datetime:
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("must be an ISO 8601 date-time, e.g. 2024-01-01T00:00:00Z") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    if not 1970 <= parsed.year <= 9000:
        raise ValueError("must be a date between 1970 and 9000")
    return parsed.astimezone(UTC)


def _fmt(number: float) -> str:
    return str(int(number)) if float(number).is_integer() else str(number)


def _json_type(value: Any) -> str:
    names = {dict: "an object", list: "an array", bool: "a boolean", str: "a string"}
    for kind, name in names.items():
        if isinstance(value, kind):
            return name
    return "a number" if isinstance(value, int | float) else type(value).__name__


def setting_names() -> list[str]:
    """Every accepted key (settings and aliases)."""
    return [f.name for f in fields(Settings)] + list(ALIASES)
