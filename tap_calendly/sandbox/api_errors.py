"""Calendly's error bodies, raised as exceptions by the request handlers.

Every 4xx/5xx the sandbox answers uses the ErrorResponse shape
``{title, message, details?}`` (FACTS.md section 7) so clients exercise the same parsing
they need against the live API.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An HTTP error answer with Calendly's ErrorResponse body."""

    def __init__(
        self,
        status: int,
        title: str,
        message: str,
        details: list[dict[str, str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(f"{status} {title}: {message}")
        self.status = status
        self.title = title
        self.message = message
        self.details = details
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        out: dict[str, Any] = {"title": self.title, "message": self.message}
        if self.details:
            out["details"] = self.details
        return out


def invalid_argument(parameter: str, message: str) -> ApiError:
    """400 naming the offending parameter in ``details``."""
    return ApiError(
        400,
        "Invalid Argument",
        "The supplied parameters are invalid.",
        [{"parameter": parameter, "message": message}],
    )


def unauthenticated(expired: bool = False) -> ApiError:
    message = "The access token is expired" if expired else "The access token is invalid"
    return ApiError(401, "Unauthenticated", message)


def permission_denied(
    message: str = "You do not have permission to access this resource.",
) -> ApiError:
    return ApiError(403, "Permission Denied", message)


def plan_required() -> ApiError:
    return ApiError(
        403,
        "Permission Denied",
        "Please upgrade your Calendly account to Enterprise.",
    )


def not_found() -> ApiError:
    return ApiError(404, "Resource Not Found", "The server could not find the requested resource.")


def rate_limited() -> ApiError:
    return ApiError(429, "Too Many Requests", "You have exceeded the rate limit. Try again later.")


def server_error(status: int) -> ApiError:
    titles = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}
    return ApiError(
        status,
        titles.get(status, "Internal Server Error"),
        "The server encountered an unexpected condition that prevented it from fulfilling the "
        "request.",
    )
