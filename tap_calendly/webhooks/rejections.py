"""Why a delivery was refused: an HTTP status, a stable reason code and one line of text.

The reason code is what the receiver logs and counts, and what the sender gets back in
the JSON body; the text never contains the body, a header value or a key.
"""

from __future__ import annotations


class Rejected(Exception):
    """A delivery the receiver refuses; nothing of it is stored."""

    def __init__(self, status: int, reason: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.reason = reason
        self.message = message
