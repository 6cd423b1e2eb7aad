"""``python -m tap_calendly.analytics --database calendly.duckdb``: create the views."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

from tap_calendly.analytics.views import create_views, load_views


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tap_calendly.analytics",
        description="Create analytics views over the tables synced from Calendly.",
    )
    parser.add_argument("--database", help="DuckDB file the loader wrote (required)")
    parser.add_argument("--source-schema", default="calendly", help="schema of the synced tables")
    parser.add_argument("--schema", default="analytics", help="schema to create the views in")
    parser.add_argument("--list", action="store_true", help="list the views and exit")
    args = parser.parse_args(argv)

    if args.list:
        for view in load_views():
            print(f"{args.schema}.{view.name}: {view.doc}")
        return 0
    if not args.database:
        parser.error("--database is required")
    path = Path(args.database)
    if not path.is_file():
        print(f"error: database {path} does not exist; run a sync first", file=sys.stderr)
        return 2
    try:
        with duckdb.connect(str(path)) as con:
            result = create_views(con, source=args.source_schema, target=args.schema)
    except duckdb.Error as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        print(f"error: could not create views in {path}: {first}", file=sys.stderr)
        return 1
    print(f"created {len(result.created)} views in {result.schema}: {', '.join(result.created)}")
    for name, missing in result.skipped.items():
        print(f"skipped {result.schema}.{name}: missing {', '.join(missing)}")
    if result.beside_tables:
        print(
            f"note: {path.name} is named like the schema {args.source_schema!r}, so the views "
            f"are in that schema (query {path.stem}.{args.source_schema}.<view>), not in "
            f"{args.schema!r}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
