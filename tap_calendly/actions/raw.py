""" "API Request": any method and path on the API host, through the shared client.

The token, rate limiter and 401 refresh are the client's; only the host in
``api_url`` is reachable (an absolute URL to another host is refused before anything
is sent). Retries follow the connector's defaults rather than the tap's: none, unless
asked for; then 5xx and network errors only (every error with ``retry_all_errors``),
with a fixed delay (doubling with ``exponential``). Asking for retries also allows
repeating a POST/PUT/PATCH/DELETE whose first attempt may have been applied: the
caller opted in. A 429 is always waited out, as everywhere.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from tap_calendly.actions import validate
from tap_calendly.api.transport import RetryPolicy, payload

if TYPE_CHECKING:
    from tap_calendly.actions.client import Calendly

logger = logging.getLogger("tap-calendly.actions")
#: The loggers --debug turns up to INFO: this module's and the transport's (retries).
DEBUG_LOGGERS = ("tap-calendly.actions", "tap-calendly.http")

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
RESPONSE_TYPES = ("json", "text", "binary")
#: Response headers worth showing with --debug.
_DEBUG_HEADERS = ("Content-Type", "Content-Length", "X-RateLimit-Remaining", "X-RateLimit-Reset")


@dataclass
class RawResponse:
    """The answer: status, headers and the body as asked (JSON value, text or bytes)."""

    status: int = 0
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    #: Set instead of the rest on a dry run: the request that would have been sent.
    planned: dict[str, Any] | None = None


def raw_policy(
    *,
    max_retries: int = 0,
    retry_delay_ms: float = 1000,
    retry_on_all_errors: bool = False,
    exponential_backoff: bool = False,
) -> RetryPolicy:
    """The raw command's retry options as a :class:`RetryPolicy` (no jitter: the delays
    are the ones asked for)."""
    if max_retries < 0 or max_retries > 20:
        raise validate.fail("--max-retries must be between 0 and 20")
    if retry_delay_ms < 0 or retry_delay_ms > 600_000:
        raise validate.fail("--retry-delay-ms must be between 0 and 600000")
    delay = retry_delay_ms / 1000
    return RetryPolicy(
        max_retries=max_retries,
        base_delay=delay,
        max_delay=max(delay, RetryPolicy.max_delay),
        exponential=exponential_backoff,
        jitter=False,
        retry_all_errors=retry_on_all_errors,
        unsafe_retries=max_retries > 0,
    )


def parse_pairs(
    items: tuple[str, ...] | list[str], what: str, sep: str = "="
) -> list[tuple[str, str]]:
    """``KEY=VALUE`` (or ``Name: value``) options as pairs, in order."""
    pairs = []
    for item in items:
        key, found, value = item.partition(sep)
        if not found or not key.strip():
            example = "KEY=VALUE" if sep == "=" else '"Name: value"'
            raise validate.fail(f"{what} {item!r}: expected {example}")
        pairs.append((key.strip(), value.strip() if sep == ":" else value))
    return pairs


def grouped(pairs: list[tuple[str, str]]) -> dict[str, Any]:
    """Pairs as a mapping; a repeated key becomes a list (``?a=1&a=2``)."""
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            current = out[key]
            out[key] = [*current, value] if isinstance(current, list) else [current, value]
        else:
            out[key] = value
    return out


def send_raw(
    client: Calendly,
    method: str,
    path: str,
    *,
    json: Any = None,
    form: Mapping[str, Any] | None = None,
    files: Mapping[str, tuple[str, bytes]] | None = None,
    query: Mapping[str, Any] | None = None,
    headers: Mapping[str, str] | None = None,
    response_type: str = "json",
    timeout: float | None = None,
    retry: RetryPolicy | None = None,
) -> RawResponse:
    """Send one request and return the answer; errors are the client's typed errors."""
    verb = method.upper()
    validate.choice(verb, METHODS, "METHOD")
    validate.choice(response_type, RESPONSE_TYPES, "--response-type")
    if json is not None and (form or files):
        raise validate.fail("--data cannot be combined with --form or --file")
    if timeout is not None and not 0 < timeout <= 600:
        raise validate.fail("--timeout must be between 0 and 600 seconds")
    for name in headers or {}:
        if name.lower() in ("authorization", "host"):
            raise validate.fail(f"--header {name}: set by the client from the settings")
    url = client.url(path)  # refuses other hosts before anything is sent
    picture = client.describe(
        verb,
        path,
        params=query,
        json=json,
        form=form,
        files={k: (name, len(content)) for k, (name, content) in (files or {}).items()},
        headers=headers,
    )
    if client.dry_run:
        return RawResponse(planned=picture)
    logger.info("request %s", orjson.dumps(picture).decode())
    response = client.request(
        verb,
        url,
        params=query,
        json=json,
        data=form,
        files=files,
        headers=headers,
        stream="actions",
        policy=retry or raw_policy(),
        decode_json=response_type == "json",
        timeout=timeout,
    )
    shown = {h: response.headers[h] for h in _DEBUG_HEADERS if h in response.headers}
    logger.info("response HTTP %d %s", response.status_code, orjson.dumps(shown).decode())
    body: Any
    if response_type == "binary":
        body = response.content
    elif response_type == "text":
        body = response.text
    else:
        body = payload(response) if response.content and response.status_code != 204 else None
    return RawResponse(response.status_code, dict(response.headers), body)
