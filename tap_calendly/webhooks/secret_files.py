"""Small files the receiver keeps beside its journal, written so a crash never leaves a
half-written one and nobody but the owner can read them (mode 0600).

``signing-key`` holds a generated signing key (a secret); ``subscriptions.json`` lists
the subscriptions this receiver created, so it reuses them on restart and removes
exactly those with ``--unsubscribe-on-exit``.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import Any

import orjson

from tap_calendly.api.errors import CalendlyError

KEY_FILE = "signing-key"
STATE_FILE = "subscriptions.json"


def write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically (temp file, fsync, rename), mode 0600."""
    temp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp, path)
        directory = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(directory)
        finally:
            os.close(directory)
    except OSError as exc:
        with contextlib.suppress(OSError):
            temp.unlink()
        raise CalendlyError(f"cannot write {path}: {exc.strerror}") from None


def load_or_create_key(directory: Path) -> tuple[str, bool]:
    """The signing key kept in ``directory`` (created if absent); True when new."""
    path = directory / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        key = secrets.token_urlsafe(32)
        write_private(path, key.encode() + b"\n")
        return key, True
    except (OSError, UnicodeDecodeError) as exc:
        raise CalendlyError(f"cannot read signing key file {path}: {exc}") from None
    if path.stat().st_mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise CalendlyError(
            f"signing key file {path} is readable by others: chmod 600 it (or delete it and "
            "subscribe again)"
        )
    if not text:
        raise CalendlyError(f"signing key file {path} is empty: delete it and subscribe again")
    return text, False


def read_key(directory: Path) -> str | None:
    """The kept signing key, if there is one."""
    if not (directory / KEY_FILE).exists():
        return None
    return load_or_create_key(directory)[0]


def read_state(directory: Path) -> dict[str, Any]:
    path = directory / STATE_FILE
    try:
        data = orjson.loads(path.read_bytes())
    except FileNotFoundError:
        return {"subscriptions": []}
    except (OSError, orjson.JSONDecodeError) as exc:
        raise CalendlyError(f"cannot read {path}: {exc}; delete it to start over") from None
    if not isinstance(data, dict) or not isinstance(data.get("subscriptions"), list):
        raise CalendlyError(f"{path} is not a subscription list; delete it to start over")
    return data


def write_state(directory: Path, state: dict[str, Any]) -> None:
    write_private(directory / STATE_FILE, orjson.dumps(state, option=orjson.OPT_INDENT_2))
