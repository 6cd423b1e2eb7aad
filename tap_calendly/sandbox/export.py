"""Snapshots of an organization: the ground truth a synced database is compared against."""

from __future__ import annotations

import copy
from pathlib import Path

import orjson

from tap_calendly.sandbox.store import COLLECTIONS, Record, SandboxOrg


def ground_truth(org: SandboxOrg) -> dict[str, list[Record]]:
    """Every collection as the API returns it now: records sorted by ``uri``, deep-copied
    under the org lock so later changes do not leak into the snapshot."""
    with org.lock:
        return {
            name: [copy.deepcopy(table[uri]) for uri in sorted(table)]
            for name in COLLECTIONS
            for table in (org.collections[name],)
        }


def write_jsonl(org: SandboxOrg, out_dir: Path) -> dict[str, int]:
    """Write ``<collection>.jsonl`` per collection (one record a line, sorted by uri);
    returns the record count per collection."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts: dict[str, int] = {}
    with org.lock:
        for name in COLLECTIONS:
            table = org.collections[name]
            with (out_dir / f"{name}.jsonl").open("wb") as handle:
                for uri in sorted(table):
                    handle.write(orjson.dumps(table[uri]))
                    handle.write(b"\n")
            counts[name] = len(table)
    return counts
