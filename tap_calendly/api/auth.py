"""Bearer tokens: a personal access token, or OAuth 2.0 with rotating refresh tokens.

Calendly refresh tokens are single-use: every refresh returns a new one and revokes
the old. The new refresh token is therefore written to ``token_file`` (tmp file, 0600,
fsync, ``os.replace``) *before* the new access token is used, so a crash at any point
leaves a usable token on disk. On start, a token file that descends from the configured
refresh token wins over the config value (it is newer); a config token the file has
never seen means the user re-authorized, so the config wins.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import math
import os
import re
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import orjson
import requests
from requests.auth import AuthBase

from tap_calendly.api.errors import AuthError, ConfigError, NetworkError, redact
from tap_calendly.api.settings import DEFAULT_OAUTH_TOKEN_URL

__all__ = ["DEFAULT_OAUTH_TOKEN_URL", "OAuthTokens", "StaticToken", "TokenProvider"]
#: Refresh this many seconds before the access token's stated expiry.
EXPIRY_SLACK_SECONDS = 120.0

logger = logging.getLogger("tap-calendly.auth")
#: What a bearer or refresh token may hold (it travels in a header or a form).
_TOKEN = re.compile(r"[\x21-\x7e]+")


class TokenProvider(Protocol):
    """What the transport needs from an auth method."""

    def token(self) -> str:
        """The bearer token to send now."""
        ...

    def refresh(self, rejected: str) -> bool:
        """React to a 401 for ``rejected``; True if a new token is worth a retry."""
        ...


class StaticToken:
    """A personal access token: nothing to refresh."""

    def __init__(self, value: str) -> None:
        self._value = value

    def token(self) -> str:
        return self._value

    def refresh(self, rejected: str) -> bool:
        return False

    def __repr__(self) -> str:
        return "StaticToken(***)"


def _fingerprint(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def write_token_file(path: Path, data: dict[str, Any]) -> None:
    """Atomically replace ``path`` with ``data`` (mode 0600, fsynced)."""
    directory = path.parent
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(orjson.dumps(data))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    with contextlib.suppress(OSError):  # persist the rename itself
        dir_fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def read_token_file(path: Path) -> dict[str, Any] | None:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise ConfigError(f"cannot read token_file {path}: {exc.strerror}") from None
    try:
        data = orjson.loads(raw)
    except orjson.JSONDecodeError:
        raise ConfigError(f"token_file {path} is not valid JSON") from None
    return data if isinstance(data, dict) else None


class OAuthTokens:
    """OAuth access token with refresh-token rotation persisted to a file."""

    def __init__(
        self,
        *,
        client_id: str,
        client_secret: str,
        refresh_token: str,
        token_url: str,
        token_file: Path,
        session: requests.Session,
        timeout: float = 30.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client_id = client_id
        self._client_secret = client_secret
        self._token_url = token_url
        self._token_file = token_file
        self._session = session
        self._timeout = timeout
        self._clock = clock
        self._lock = threading.Lock()
        self._access: str | None = None
        self._expires_at = 0.0
        self.refreshes = 0
        seed = _fingerprint(refresh_token)
        self._seed = seed
        self._refresh_token = refresh_token
        saved = read_token_file(token_file)
        if saved and saved.get("refresh_token"):
            same_lineage = saved.get("seed") == seed or saved["refresh_token"] == refresh_token
            if same_lineage:
                self._refresh_token = str(saved["refresh_token"])
                self._seed = str(saved.get("seed") or seed)
                if saved.get("access_token") and isinstance(saved.get("expires_at"), int | float):
                    self._access = str(saved["access_token"])
                    self._expires_at = float(saved["expires_at"])
            else:
                logger.info("token_file holds an older authorization; using the configured one")

    def __repr__(self) -> str:
        return f"OAuthTokens(token_url={self._token_url!r}, token_file={str(self._token_file)!r})"

    @property
    def refresh_token_value(self) -> str:
        """Current refresh token (for tests; never logged)."""
        return self._refresh_token

    def token(self) -> str:
        with self._lock:
            if self._access is None or self._clock() >= self._expires_at - EXPIRY_SLACK_SECONDS:
                self._refresh_locked()
            assert self._access is not None
            return self._access

    def refresh(self, rejected: str) -> bool:
        with self._lock:
            if self._access is not None and self._access != rejected:
                return True  # another thread already refreshed
            self._refresh_locked()
            return True

    def _state(self, refresh_token: str, access: str | None, expires_at: float) -> dict[str, Any]:
        return {
            "refresh_token": refresh_token,
            "access_token": access,
            "expires_at": expires_at,
            "seed": self._seed,
            "updated_at": self._clock(),
        }

    def _save(self, state: dict[str, Any], *, spent: bool) -> None:
        if not self._token_file.parent.is_dir():
            raise ConfigError(
                f"the folder of token_file {self._token_file} does not exist: create it "
                "(the refresh token was not used, so it is still valid)"
            )
        try:
            write_token_file(self._token_file, state)
        except OSError as exc:
            consequence = (
                "the rotated refresh token could not be saved: re-authorize"
                if spent
                else "the refresh token was not used, so it is still valid"
            )
            raise ConfigError(
                f"cannot write token_file {self._token_file}: {exc.strerror or exc}; {consequence}"
            ) from None

    def _refresh_locked(self) -> None:
        # Prove the token file is writable *before* spending the single-use refresh
        # token: rewriting the current state costs nothing and fails the same way a
        # write of the rotated one would (missing folder, read-only, full disk).
        self._save(self._state(self._refresh_token, self._access, self._expires_at), spent=False)
        try:
            response = self._session.post(
                self._token_url,
                data={"grant_type": "refresh_token", "refresh_token": self._refresh_token},
                auth=(self._client_id, self._client_secret),
                timeout=self._timeout,
                allow_redirects=False,
            )
        except requests.RequestException as exc:
            raise NetworkError(
                f"cannot reach the OAuth token endpoint {self._token_url}: {type(exc).__name__}"
            ) from None
        secrets = (self._client_secret, self._refresh_token, self._access)
        if response.status_code != 200:
            raise AuthError(
                response.status_code,
                "OAuth refresh failed",
                f"{redact(_oauth_error(response), secrets)}re-authorize and update refresh_token",
                f"POST {self._token_url}",
            )
        try:
            body = orjson.loads(response.content)
            access = _token_text(body["access_token"])
            new_refresh = _token_text(body.get("refresh_token") or self._refresh_token)
            expires_in = float(body.get("expires_in") or 7200)
            if not math.isfinite(expires_in):
                raise ValueError("expires_in")
        except (orjson.JSONDecodeError, KeyError, TypeError, ValueError):
            raise AuthError(
                response.status_code,
                "OAuth refresh failed",
                "the token endpoint returned an unexpected body",
                f"POST {self._token_url}",
            ) from None
        expires_at = self._clock() + expires_in
        # Persist first: the old refresh token is already revoked server-side.
        self._save(self._state(new_refresh, access, expires_at), spent=True)
        self._refresh_token = new_refresh
        self._access = access
        self._expires_at = expires_at
        self.refreshes += 1
        logger.info("OAuth access token refreshed; rotated refresh token saved")


def _token_text(value: Any) -> str:
    """A token from the token endpoint; one that cannot go in a header is refused (its
    text would otherwise surface in the HTTP library's error message)."""
    if not isinstance(value, str) or not _TOKEN.fullmatch(value):
        raise ValueError("token")
    return value


def _oauth_error(response: requests.Response) -> str:
    try:
        body = orjson.loads(response.content)
    except orjson.JSONDecodeError:
        return ""
    if not isinstance(body, dict):
        return ""
    parts = [str(body[k]) for k in ("error", "error_description", "title") if body.get(k)]
    return f"{': '.join(parts)}; " if parts else ""


class BearerAuth(AuthBase):
    """requests auth hook that applies the provider's current token."""

    def __init__(self, provider: TokenProvider) -> None:
        self.provider = provider

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self.provider.token()}"
        return request

    def __repr__(self) -> str:
        return "BearerAuth(***)"
