"""Reading Calendly list pages safely: a list body, and page tokens that end.

Shared by :meth:`CalendlyClient.pages` and the tap's paginator, so both refuse the
same broken answers with the same one-line error instead of looping forever or
treating an error body as an empty list (which would silently lose data).
"""

from __future__ import annotations

from typing import Any

from tap_calendly.api.errors import CalendlyError

#: Empty pages in a row (each with a next token) after which paging stops with an error.
MAX_EMPTY_PAGES = 10


def collection(body: Any, where: str) -> list[dict[str, Any]]:
    """The rows of a list answer; anything else (an error body sent with 200) is an error."""
    if not isinstance(body, dict) or not isinstance(body.get("collection"), list):
        raise CalendlyError(f"{where}: the answer is not a Calendly list (no collection)")
    return [row for row in body["collection"] if isinstance(row, dict)]


class PageCursor:
    """Follows ``pagination.next_page_token``; a repeated token or an endless run of
    empty pages is an error, never an endless loop."""

    def __init__(self, where: str) -> None:
        self.where = where
        self._seen: set[str] = set()
        self._empty_in_a_row = 0

    def next_token(self, body: Any, rows: int) -> str | None:
        """The token for the page after ``body`` (which held ``rows`` rows), or None."""
        pagination = body.get("pagination") if isinstance(body, dict) else None
        token = pagination.get("next_page_token") if isinstance(pagination, dict) else None
        if not token:
            return None
        token = str(token)
        if token in self._seen:
            raise CalendlyError(f"{self.where}: Calendly repeated a page token; stopping")
        self._seen.add(token)
        self._empty_in_a_row = self._empty_in_a_row + 1 if rows == 0 else 0
        if self._empty_in_a_row >= MAX_EMPTY_PAGES:
            raise CalendlyError(
                f"{self.where}: {MAX_EMPTY_PAGES} empty pages in a row, each with a next "
                "page token; stopping"
            )
        return token
