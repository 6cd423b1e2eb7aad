"""Who is calling: personal access tokens and a small OAuth 2.0 authorization server.

Access-token lifetimes run on the SIMULATED clock, so a test can expire a token by
advancing the sandbox instead of waiting two hours. Refresh tokens are single-use and
rotate on every refresh, like Calendly's (FACTS.md section 8).
"""

from __future__ import annotations

import hmac
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from tap_calendly.sandbox.api_errors import unauthenticated
from tap_calendly.sandbox.store import SandboxOrg

#: Authorization codes live 10 minutes [FACTS.md section 8].
CODE_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class Principal:
    """The user behind a token and whether it may see organization-wide data."""

    user_uri: str
    role: str  # owner | admin | user

    @property
    def is_admin(self) -> bool:
        return self.role in ("owner", "admin")


@dataclass
class _AccessToken:
    principal: Principal
    expires_at: datetime | None  # None: personal access token, valid until revoked


class OAuthError(Exception):
    """An RFC 6749 error answer from the token endpoint (``{error, error_description}``)."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class TokenStore:
    """Issues and checks bearer tokens. Thread-safe."""

    def __init__(
        self,
        org: SandboxOrg,
        *,
        ttl_seconds: float,
        client_id: str,
        client_secret: str,
    ) -> None:
        self.org = org
        self.ttl = timedelta(seconds=ttl_seconds)
        self.client_id = client_id
        self.client_secret = client_secret
        self._lock = threading.Lock()
        self._access: dict[str, _AccessToken] = {}
        self._refresh: dict[str, Principal] = {}
        self._used_refresh: set[str] = set()
        self._codes: dict[str, tuple[Principal, datetime, str | None]] = {}

    def __repr__(self) -> str:  # never show secrets
        return f"TokenStore(client_id={self.client_id!r}, tokens={len(self._access)})"

    # -- principals -----------------------------------------------------------------
    def principal_for(self, user_uri: str) -> Principal:
        role = "user"
        for membership in self.org.records("organization_memberships"):
            if membership["user"]["uri"] == user_uri:
                role = membership["role"]
                break
        return Principal(user_uri, role)

    def add_personal_token(self, token: str, user_uri: str) -> None:
        with self._lock:
            self._access[token] = _AccessToken(self.principal_for(user_uri), None)

    # -- checking ---------------------------------------------------------------------
    def authenticate(self, header: str | None) -> tuple[str, Principal]:
        """Return (token, principal) for an ``Authorization`` header or raise a 401."""
        if not header or not header.startswith("Bearer "):
            raise unauthenticated()
        token = header[len("Bearer ") :].strip()
        with self._lock:
            entry = self._access.get(token)
        if entry is None:
            raise unauthenticated()
        if entry.expires_at is not None and self.org.now() >= entry.expires_at:
            raise unauthenticated(expired=True)
        return token, entry.principal

    # -- OAuth ------------------------------------------------------------------------
    def issue_code(self, user_uri: str | None = None, redirect_uri: str | None = None) -> str:
        code = secrets.token_urlsafe(24)
        principal = self.principal_for(user_uri or self.org.owner_uri)
        with self._lock:
            self._codes[code] = (principal, self.org.now() + CODE_TTL, redirect_uri)
        return code

    def issue_refresh_token(self, user_uri: str | None = None) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._refresh[token] = self.principal_for(user_uri or self.org.owner_uri)
        return token

    def check_client(self, client_id: str | None, client_secret: str | None) -> None:
        """Both the client id and its secret, always (a confidential client: no request
        is served on the id alone); compared in constant time."""
        id_ok = hmac.compare_digest((client_id or "").encode(), self.client_id.encode())
        secret_ok = hmac.compare_digest((client_secret or "").encode(), self.client_secret.encode())
        if not (client_id and client_secret and id_ok and secret_ok):
            raise OAuthError(401, "invalid_client", "Client authentication failed.")

    def revoke(self, token: str) -> None:
        """Revoke an access or refresh token (unknown tokens are ignored, per RFC 7009)."""
        with self._lock:
            self._access.pop(token, None)
            if self._refresh.pop(token, None) is not None:
                self._used_refresh.add(token)

    def grant(self, form: dict[str, str]) -> dict[str, Any]:
        """Handle one token request (client already checked); return the token response."""
        grant_type = form.get("grant_type")
        now = self.org.now()
        with self._lock:
            if grant_type == "authorization_code":
                code = form.get("code", "")
                entry = self._codes.pop(code, None)
                if entry is None or now >= entry[1]:
                    raise OAuthError(400, "invalid_grant", "The authorization code is invalid.")
                principal, _, redirect_uri = entry
                if redirect_uri is not None and form.get("redirect_uri") != redirect_uri:
                    raise OAuthError(400, "invalid_grant", "redirect_uri does not match.")
            elif grant_type == "refresh_token":
                refresh = form.get("refresh_token", "")
                found = self._refresh.pop(refresh, None)
                if found is None:
                    reason = (
                        "The refresh token was already used."
                        if refresh in self._used_refresh
                        else "The refresh token is invalid."
                    )
                    raise OAuthError(400, "invalid_grant", reason)
                self._used_refresh.add(refresh)
                principal = found
            else:
                raise OAuthError(
                    400, "unsupported_grant_type", "Use authorization_code or refresh_token."
                )
            access = secrets.token_urlsafe(32)
            new_refresh = secrets.token_urlsafe(32)
            self._access[access] = _AccessToken(principal, now + self.ttl)
            self._refresh[new_refresh] = principal
        return {
            "access_token": access,
            "refresh_token": new_refresh,
            "token_type": "Bearer",
            "expires_in": int(self.ttl.total_seconds()),
            "created_at": int(now.timestamp()),
            "scope": "default",
            "owner": principal.user_uri,
            "organization": self.org.organization["uri"],
        }
