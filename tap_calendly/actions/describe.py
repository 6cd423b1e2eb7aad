"""What a request looks like on the wire, secrets redacted: for --dry-run and --debug.

The token is never shown: the Authorization header reads ``Bearer ***``, header names
that carry credentials and body keys such as ``signing_key`` are masked, and any value
that contains a configured secret (settings.secrets()) is masked wherever it appears.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlencode

MASK = "***"
_SECRET_NAME = re.compile(
    r"authorization|cookie|token|secret|password|passwd|signing|api[-_]?key|signature",
    re.IGNORECASE,
)


def redact(value: Any, secrets: Iterable[str], *, key: str = "") -> Any:
    """``value`` with secret-named keys and any configured secret masked, recursively."""
    known = [s for s in secrets if s]
    if key and _SECRET_NAME.search(key) and value not in (None, ""):
        return value if isinstance(value, str) and value.endswith(MASK) else MASK
    if isinstance(value, Mapping):
        return {k: redact(v, known, key=str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact(v, known) for v in value]
    if isinstance(value, str):
        for secret in known:
            value = value.replace(secret, MASK)
    return value


def describe_request(
    method: str,
    url: str,
    *,
    params: Mapping[str, Any] | None = None,
    json: Any = None,
    form: Mapping[str, Any] | None = None,
    files: Mapping[str, tuple[str, int]] | None = None,
    headers: Mapping[str, str] | None = None,
    user_agent: str = "",
    secrets: Iterable[str] = (),
) -> dict[str, Any]:
    """A JSON-able picture of one request (files as name and size, never content)."""
    known = list(secrets)
    query = urlencode([(k, v) for k, v in (params or {}).items() if v is not None], doseq=True)
    sent_headers: dict[str, str] = {"Authorization": f"Bearer {MASK}", "Accept": "application/json"}
    if user_agent:
        sent_headers["User-Agent"] = user_agent
    if json is not None:
        sent_headers["Content-Type"] = "application/json"
    sent_headers.update(headers or {})
    out: dict[str, Any] = {
        "method": method.upper(),
        "url": redact(url + (f"?{query}" if query else ""), known),
        "headers": redact(sent_headers, known),
    }
    if json is not None:
        out["json"] = redact(json, known)
    if form:
        out["form"] = redact(dict(form), known)
    if files:
        out["files"] = {k: {"filename": name, "bytes": size} for k, (name, size) in files.items()}
    return out
