"""Console script ``target-calendly-duckdb``: the standard Singer target command line."""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import threading
from collections.abc import Sequence
from typing import BinaryIO

import duckdb

from tap_calendly.loader.about import NAME, package_version, render
from tap_calendly.loader.errors import LoaderError
from tap_calendly.loader.settings import build_config, read_config_sources
from tap_calendly.loader.target import Loader


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog=NAME, description="Load Singer messages (stdin or --input) into DuckDB."
    )
    parser.add_argument(
        "--config",
        action="append",
        default=[],
        metavar="FILE",
        help="JSON config file (repeatable; later files win). 'ENV' reads "
        "TARGET_CALENDLY_DUCKDB_<SETTING> environment variables.",
    )
    parser.add_argument("--input", metavar="FILE", help="read Singer messages from FILE, not stdin")
    parser.add_argument("--about", action="store_true", help="describe the target and its settings")
    parser.add_argument(
        "--format", choices=["text", "json", "markdown"], help="--about output format"
    )
    parser.add_argument("--version", action="version", version=f"{NAME} {package_version()}")
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Parse arguments, load, and turn user errors into one line on stderr."""
    args = _parser().parse_args(argv)
    if args.about:
        print(render(args.format))
        return 0
    # Meltano stops a run with SIGTERM: unwind so the open transaction rolls back and the
    # spool directory is removed, instead of dying mid-write.
    _stopping.clear()
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGINT, _terminate)
    logging.basicConfig(
        level=logging.INFO,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        config, warnings = build_config(*read_config_sources(args.config))
        for warning in warnings:
            print(f"{NAME}: warning: {warning}", file=sys.stderr)
        source: BinaryIO
        if args.input:
            try:
                source = open(args.input, "rb")  # noqa: SIM115 - closed below
            except OSError as exc:
                raise LoaderError(f"cannot read input file {args.input}: {exc.strerror}") from None
        else:
            source = sys.stdin.buffer
        try:
            with Loader(config, sys.stdout) as loader:
                loader.run(source)
        finally:
            if source is not sys.stdin.buffer:
                source.close()
    except LoaderError as exc:
        print(f"{NAME}: error: {exc}", file=sys.stderr)
        return 1
    except (KeyboardInterrupt, duckdb.Error, RuntimeError) as exc:
        if isinstance(exc, KeyboardInterrupt) or _stopping.is_set():
            # A signal during a DuckDB statement surfaces as DuckDB's "Query
            # interrupted" error, not as KeyboardInterrupt: same message, same code.
            print(
                f"{NAME}: interrupted; nothing after the last emitted STATE was committed",
                file=sys.stderr,
            )
            return 130
        if not isinstance(exc, duckdb.Error):
            raise
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        if isinstance(exc, duckdb.OutOfMemoryException):
            first += "; lower batch_size_bytes or raise memory_limit"
        print(f"{NAME}: error: DuckDB: {first}", file=sys.stderr)
        return 1
    except BrokenPipeError:
        return 1
    return 0


#: Set once SIGTERM/SIGINT arrived (DuckDB may turn the interrupt into its own error).
_stopping = threading.Event()


def _terminate(signum: int, frame: object) -> None:
    _stopping.set()
    raise KeyboardInterrupt


def main() -> None:
    sys.exit(run())
