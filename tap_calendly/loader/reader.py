"""Read Singer input in large blocks of whole lines instead of one line at a time.

The loader copies runs of RECORD lines to its spool with one write per run, so it needs the
input as blocks, not lines. One buffer is reused for every block: allocating fresh memory for
each block (as ``read()`` does) costs more than the copy itself on some virtual machines.
``readinto1`` returns what a pipe has now instead of waiting for a full block, so a slow tap's
messages (and its STATE) are handled as they arrive.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Protocol

BLOCK = 1 << 22  # 4 MiB


class _Readable(Protocol):
    def readinto1(self, buffer: memoryview, /) -> int: ...


def blocks(source: _Readable | Iterable[bytes]) -> Iterator[tuple[bytearray, int]]:
    """Yield ``(buffer, end)``: ``buffer[:end]`` is whole lines, each ending in a newline.

    The buffer is reused: a consumer must be done with it before asking for the next block.
    A last line without a newline gets one. ``source`` is a binary stream or, for tests, an
    iterable of lines.
    """
    if not hasattr(source, "readinto1"):
        for line in source:
            data = bytearray(line if line.endswith(b"\n") else line + b"\n")
            yield data, len(data)
        return
    reader: _Readable = source  # type: ignore[assignment]
    buffer = bytearray(BLOCK)
    filled = 0  # bytes of an unfinished line carried over from the last read
    while True:
        if filled == len(buffer):  # one line longer than the buffer: grow it
            buffer.extend(bytes(len(buffer)))
        with memoryview(buffer) as view:
            count = reader.readinto1(view[filled:])
        if not count:
            if filled:
                buffer[filled : filled + 1] = b"\n"
                yield buffer, filled + 1
            return
        total = filled + count
        end = buffer.rfind(b"\n", filled, total) + 1
        if not end:
            filled = total
            continue
        yield buffer, end
        filled = total - end
        buffer[:filled] = buffer[end:total]
