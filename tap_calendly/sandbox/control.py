"""What the control surface accepts: clock moves and run-time settings, checked.

``POST /_sandbox/advance``, ``POST /_sandbox/config``, :meth:`Sandbox.configure` and the
``serve`` command all pass through here, so a bad value (wrong JSON type, negative,
NaN, absurdly large) is refused the same way everywhere: a :class:`SettingError`
naming the setting and the allowed range, which the server answers with a 400.
"""

from __future__ import annotations

import math
from datetime import timedelta
from typing import Any

from tap_calendly.sandbox.faults import FAULT_KINDS, FaultConfig, ScheduledFault

#: Longest clock move per call: the mutator walks it hour by hour while holding the org.
MAX_ADVANCE = timedelta(days=366)
MAX_RATE_LIMIT = 1_000_000_000
MAX_LATENCY_MS = 60_000.0
MAX_TOKEN_TTL_SECONDS = 366 * 86_400.0
MAX_STALL_SECONDS = 600.0
MAX_BURST = 100_000
MAX_FAULT_SCHEDULE = 1_000
PLANS = ("basic", "essentials", "professional", "teams", "enterprise")

ADVANCE_UNITS = ("days", "hours", "minutes", "seconds")


class SettingError(ValueError):
    """A refused setting or control request; ``name`` is the setting at fault."""

    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


def number(name: str, value: Any, *, low: float, high: float, integer: bool = False) -> float:
    """A finite JSON number in [low, high] (an integer if ``integer``), else SettingError."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        kind = "an integer" if integer else "a number"
        raise SettingError(name, f"must be {kind}, not {type(value).__name__}")
    if not math.isfinite(value) or not low <= value <= high:
        raise SettingError(name, f"must be between {low:g} and {high:g}")
    if integer and value != int(value):
        raise SettingError(name, "must be a whole number")
    return float(value)


def integer(name: str, value: Any, *, low: int, high: int) -> int:
    return int(number(name, value, low=low, high=high, integer=True))


def advance_delta(body: Any) -> timedelta:
    """The clock move asked for by ``{"days": 1}``-style bodies."""
    if not isinstance(body, dict):
        raise SettingError("body", 'must be a JSON object like {"days": 1}')
    unknown = sorted(set(body) - set(ADVANCE_UNITS))
    if unknown:
        raise SettingError(unknown[0], f"unknown; use {', '.join(ADVANCE_UNITS)}")
    limit = MAX_ADVANCE.total_seconds()
    seconds = {"days": 86_400, "hours": 3_600, "minutes": 60, "seconds": 1}
    total = 0.0
    for unit in ADVANCE_UNITS:
        if unit in body:
            total += number(unit, body[unit], low=0, high=limit / seconds[unit]) * seconds[unit]
    if total <= 0:
        raise SettingError("days", "give a positive days, hours, minutes or seconds")
    if total > limit:
        raise SettingError("days", f"advance at most {MAX_ADVANCE.days} days per call")
    return timedelta(seconds=total)


def fault_config(value: Any) -> FaultConfig:
    """A :class:`FaultConfig` from one, from its dict form, or None (no faults)."""
    if value is None:
        return FaultConfig()
    if isinstance(value, FaultConfig):
        return value
    if not isinstance(value, dict):
        raise SettingError("faults", "must be an object or null")
    unknown = sorted(set(value) - {"seed", "rates", "schedule", "stall_seconds", "burst"})
    if unknown:
        raise SettingError(f"faults.{unknown[0]}", "unknown fault setting")
    rates = value.get("rates", {})
    if not isinstance(rates, dict):
        raise SettingError("faults.rates", "must be an object of KIND: probability")
    for kind, rate in rates.items():
        if kind not in FAULT_KINDS:
            raise SettingError("faults.rates", f"unknown kind; use {', '.join(FAULT_KINDS)}")
        number(f"faults.rates.{kind}", rate, low=0, high=1)
    schedule = value.get("schedule", [])
    if not isinstance(schedule, list) or len(schedule) > MAX_FAULT_SCHEDULE:
        raise SettingError("faults.schedule", f"must be a list of at most {MAX_FAULT_SCHEDULE}")
    return FaultConfig(
        seed=integer("faults.seed", value.get("seed", 0), low=-(2**63), high=2**63),
        rates={str(k): float(v) for k, v in rates.items()},
        schedule=[_scheduled(item) for item in schedule],
        stall_seconds=number(
            "faults.stall_seconds", value.get("stall_seconds", 30.0), low=0, high=MAX_STALL_SECONDS
        ),
        burst=integer("faults.burst", value.get("burst", 1), low=1, high=MAX_BURST),
    )


def _scheduled(item: Any) -> ScheduledFault:
    name = "faults.schedule"
    if isinstance(item, str):
        try:
            fault = ScheduledFault.parse(item)
        except ValueError as exc:
            raise SettingError(name, str(exc)) from exc
    elif isinstance(item, dict) and set(item) <= {"kind", "nth", "endpoint", "times"}:
        endpoint = item.get("endpoint")
        if endpoint is not None and not isinstance(endpoint, str):
            raise SettingError(name, "endpoint must be a string like 'GET /users/me'")
        fault = ScheduledFault(
            kind=str(item.get("kind")),
            nth=integer(f"{name}.nth", item.get("nth"), low=1, high=2**31),
            endpoint=endpoint,
            times=integer(f"{name}.times", item.get("times", 1), low=1, high=2**31),
        )
    else:
        raise SettingError(name, "items are 'N=KIND' strings or {kind, nth, endpoint, times}")
    if fault.kind not in FAULT_KINDS:
        raise SettingError(name, f"unknown kind {fault.kind!r}; use {', '.join(FAULT_KINDS)}")
    if fault.nth < 1 or fault.times < 1:
        raise SettingError(name, "N and TIMES must be at least 1")
    return fault


def checked_changes(changes: dict[str, Any]) -> dict[str, Any]:
    """Run-time settings after checks, normalised (numbers as numbers, faults as a
    FaultConfig); refuses unknown names and bad values."""
    checks = {
        "rate_limit_per_minute": lambda v: integer(
            "rate_limit_per_minute", v, low=1, high=MAX_RATE_LIMIT
        ),
        "latency_ms": lambda v: number("latency_ms", v, low=0, high=MAX_LATENCY_MS),
        "jitter_ms": lambda v: number("jitter_ms", v, low=0, high=MAX_LATENCY_MS),
        "access_token_ttl_seconds": lambda v: number(
            "access_token_ttl_seconds", v, low=1, high=MAX_TOKEN_TTL_SECONDS
        ),
        "plan": _plan,
        "faults": fault_config,
        "extra_fields": _flag("extra_fields"),
    }
    unknown = sorted(set(changes) - set(checks))
    if unknown:
        raise SettingError(unknown[0], f"unknown setting; use {', '.join(checks)}")
    return {name: checks[name](value) for name, value in changes.items()}


def _plan(value: Any) -> str:
    if value not in PLANS:
        raise SettingError("plan", f"must be one of {', '.join(PLANS)}")
    return str(value)


def _flag(name: str) -> Any:
    def check(value: Any) -> bool:
        if not isinstance(value, bool):
            raise SettingError(name, "must be true or false")
        return value

    return check
