"""The tap's input files checked before the SDK reads them: one clear line, no traceback.

singer-sdk reads ``--config``, ``--state`` and ``--catalog`` itself and meets a missing,
empty, truncated or wrong-shaped file with a Python traceback (or, for a catalog that
selects nothing, with a silent run that syncs nothing). These checks run first and raise
:class:`UsageError` naming the file and what is wrong, never its content.

Decisions (see docs/reliability.md):
- state bookmarks for streams this tap does not have (state from another tap) are
  ignored with one warning: the run then re-reads those streams in full, which loses
  nothing;
- a catalog that selects no stream, or selects a stream this tap does not have, fails:
  a run that silently syncs less than was asked for looks like success and loses data.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from tap_calendly.api.errors import UsageError
from tap_calendly.api.settings import read_config_file
from tap_calendly.windows import parse_datetime

logger = logging.getLogger("tap-calendly")
#: How singer-sdk names the setting in a schema error: ``... in config['name']``.
_CONFIG_PATH = re.compile(r" in config\[(.+)\]$")


def check_config_files(paths: Iterable[str]) -> None:
    """Each ``--config`` file exists and holds a JSON object (``ENV`` is not a file)."""
    for path in paths:
        if path != "ENV":
            read_config_file(path)


def sdk_setting_problems(errors: Iterable[str]) -> list[str]:
    """singer-sdk's schema errors for its own settings (stream maps, flattening) as
    ``<setting> does not match …``: its messages quote the value, which may be sensitive."""
    problems = []
    for error in errors:
        found = _CONFIG_PATH.search(error)
        path = found.group(1).replace("'", "").replace("][", ".") if found else "a setting"
        problems.append(f"{path} does not match the tap's settings schema")
    return list(dict.fromkeys(problems))


def describe_file(handle: Any, kind: str) -> str:
    name = getattr(handle, "name", None)
    return f"{kind} file {Path(name)}" if isinstance(name, str) else f"{kind} input"


def check_catalog(catalog: Mapping[str, Any], what: str) -> None:
    """The shape singer-sdk needs: ``streams``, a list of objects with ``tap_stream_id``."""
    streams = catalog.get("streams")
    if not isinstance(streams, list):
        raise UsageError(f"{what} has no 'streams' list: is it a Singer catalog?")
    for index, entry in enumerate(streams):
        if not isinstance(entry, dict) or not isinstance(entry.get("tap_stream_id"), str):
            raise UsageError(f"{what}: streams[{index}] is not an object with a tap_stream_id")
        if not isinstance(entry.get("metadata", []), list) or not all(
            isinstance(item, dict) for item in entry.get("metadata", [])
        ):
            raise UsageError(f"{what}: metadata of {entry['tap_stream_id']} is not a list")
        if not isinstance(entry.get("schema", {}), dict):
            raise UsageError(f"{what}: schema of {entry['tap_stream_id']} is not an object")


def check_selection(selected: Iterable[str], unknown_selected: Iterable[str]) -> None:
    """Fail a catalog that selects nothing, or selects streams this tap does not have."""
    unknown = sorted(unknown_selected)
    if unknown:
        raise UsageError(
            f"the catalog selects streams this tap does not have: {', '.join(unknown)} "
            "(a catalog from another tap?); run --discover for this tap's catalog"
        )
    if not list(selected):
        raise UsageError(
            "the catalog selects no stream, so there is nothing to sync; select at least one"
        )


def check_state(
    state: Mapping[str, Any], date_keys: Mapping[str, str | None], what: str = "state"
) -> list[str]:
    """Validate the bookmarks' shape; return stream names this tap does not know.

    ``date_keys`` maps each incremental stream to its (date-time) replication key: a
    bookmark for it that is not a date-time would fail the run later, mid-sync.
    """
    bookmarks = state.get("bookmarks", {})
    if bookmarks is None:
        return []
    if not isinstance(bookmarks, dict):
        raise UsageError(f"{what}: 'bookmarks' must be an object of stream bookmarks")
    unknown: list[str] = []
    for stream, entry in bookmarks.items():
        if not isinstance(entry, dict):
            raise UsageError(f"{what}: the bookmark of {stream} must be an object")
        key = date_keys.get(stream)
        if key is None:
            if stream not in date_keys:
                unknown.append(stream)
            continue
        value = entry.get("replication_key_value")
        if entry.get("replication_key") not in (None, key) or value in (None, ""):
            continue  # another key's bookmark is ignored by the stream itself
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            parse_datetime(value)
        except ValueError:
            raise UsageError(
                f"{what}: the bookmark of {stream} is not a date-time; fix it or remove "
                "the stream's entry to re-read it in full"
            ) from None
    return unknown


def warn_unknown_bookmarks(unknown: list[str]) -> None:
    if unknown:
        logger.warning(
            "state has bookmarks for streams this tap does not have (%s): ignored; "
            "is it another tap's state?",
            ", ".join(sorted(unknown)),
        )
