"""Singer message writer tuned for many small records.

The SDK's writer flushes stdout after every message and re-emits a child stream's
SCHEMA for every parent (every scheduled event!). This writer serializes with orjson,
drops a SCHEMA identical to the one already sent for that stream, and flushes only on
STATE messages (a target must see a state promptly; records may be buffered before
it). Messages and their order are otherwise unchanged.
"""

from __future__ import annotations

import decimal
import io
import sys
from typing import Any

import orjson
from singer_sdk.singerlib.encoding import SimpleSingerWriter
from singer_sdk.singerlib.messages import Message, SchemaMessage, StateMessage


def _default(value: Any) -> Any:
    if isinstance(value, decimal.Decimal):
        return float(value)
    return str(value)


def buffer_stdout() -> None:
    """Let stdout buffer records between flushes, as it does by default for a pipe.

    With ``PYTHONUNBUFFERED`` (or ``-u``), set in many container images and CI
    runners, every record became its own ``write(2)`` and released the GIL to the
    fetch threads each time: the main thread spent 13 us a record writing instead of
    2. STATE messages are still flushed at once (see :class:`CalendlySingerWriter`),
    and the interpreter flushes the rest at exit.
    """
    stream = sys.stdout
    if isinstance(stream, io.TextIOWrapper) and stream.write_through and not stream.isatty():
        stream.reconfigure(write_through=False)


class CalendlySingerWriter(SimpleSingerWriter):
    """orjson output, SCHEMA de-duplication, flush on STATE."""

    def __init__(self) -> None:
        super().__init__()
        self._schemas_sent: dict[str, Any] = {}

    def serialize_message(self, message: Message) -> str:
        return orjson.dumps(message.to_dict(), default=_default).decode()

    def write_message(self, message: Message) -> None:
        if isinstance(message, SchemaMessage):
            sent = self._schemas_sent.get(message.stream)
            current = (message.schema, message.key_properties, message.bookmark_properties)
            if sent is not None and (sent is current or sent == current):
                return
            self._schemas_sent[message.stream] = current
        sys.stdout.write(self.format_message(message) + "\n")
        if isinstance(message, StateMessage):
            sys.stdout.flush()
