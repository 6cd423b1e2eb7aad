"""What the streams of one run share: the client, the fan-out pool and a few facts.

Streams get this object instead of the tap, so they never reach into tap internals
and the tap module is imported by nothing in ``streams/``. Everything here is created
on first use: discovery (``--discover``, ``--about``) needs neither a token nor a
network, so it never builds a client or looks up the owner.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property

from tap_calendly.api import CalendlyClient, Owner, Settings
from tap_calendly.streams.fanout import FanOut

#: Stream name under which the member list is counted when it has to be listed.
MEMBERSHIPS = "organization_memberships"


@dataclass(frozen=True)
class FamilyProgress:
    """One stream of a parent's family, for progress lines."""

    name: str
    records: int


@dataclass
class SyncContext:
    """The run's shared resources and facts (see the module docstring).

    ``load_settings`` is called once, on first use; ``run_version`` is the run's
    start in epoch milliseconds (the table version of ``ACTIVATE_VERSION``).
    """

    load_settings: Callable[[], Settings]
    run_version: int
    logger: logging.Logger = field(default_factory=lambda: logging.getLogger("tap-calendly"))
    #: Number of parent streams currently emitting records (see ``ChildStream``).
    parents_syncing: int = 0
    _members: list[str] | None = field(default=None, repr=False)
    _owner_logged: bool = field(default=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @cached_property
    def settings(self) -> Settings:
        return self.load_settings()

    @cached_property
    def client(self) -> CalendlyClient:
        """The one client (session, token, rate limiter, retries) of this run."""
        return CalendlyClient.from_settings(self.settings)

    @cached_property
    def fanout(self) -> FanOut:
        return FanOut(self.settings.max_concurrency)

    @property
    def started(self) -> bool:
        """Whether any request was possible yet (the client exists)."""
        return "client" in self.__dict__

    def close(self) -> None:
        """Stop the pool's threads and the HTTP session (counters stay readable)."""
        if "fanout" in self.__dict__:
            self.fanout.shutdown()
        if self.started:
            self.client.close()

    # -- who and when ------------------------------------------------------------------

    def owner(self) -> Owner:
        """``/users/me`` once per run: URIs for filters, the full user, server time."""
        owner = self.client.owner()
        with self._lock:
            first, self._owner_logged = not self._owner_logged, True
        if first:
            self.logger.info(
                "Syncing as %s, scope=%s, server time %s",
                owner.user_uri,
                self.settings.scope,
                owner.server_now.isoformat(),
            )
        return owner

    def owner_filter(self) -> dict[str, str]:
        """The list filter for the configured scope."""
        owner = self.owner()
        if self.settings.scope == "user":
            return {"user": owner.user_uri}
        return {"organization": owner.organization_uri}

    def server_now(self) -> datetime:
        """The server's latest clock reading (its ``Date`` header), else the owner's."""
        self.owner()
        return self.client.server_now()

    # -- members -----------------------------------------------------------------------

    def remember_member(self, user_uri: str) -> None:
        """Called by the memberships stream for every member it emits."""
        with self._lock:
            if self._members is None:
                self._members = []
            self._members.append(user_uri)

    def member_user_uris(self) -> list[str]:
        """Distinct member user URIs: from the memberships synced, else listed once."""
        if self._members is None:
            members = [
                str(row["user"]["uri"])
                for page in self.client.pages(
                    "/organization_memberships", self.owner_filter(), stream=MEMBERSHIPS
                )
                for row in page
                if isinstance(row.get("user"), dict) and row["user"].get("uri")
            ]
            with self._lock:
                self._members = members
        return list(dict.fromkeys(self._members))

    # -- progress ----------------------------------------------------------------------

    def log_progress(
        self,
        family: Sequence[FamilyProgress],
        *,
        elapsed: float,
        cpu: float,
        final: bool = False,
    ) -> None:
        """One line per parent stream and its children: records, requests, time, waits.

        ``cpu`` is the main thread's CPU time, which writes every record: when it is
        close to ``elapsed`` the family is bound by record output, not by requests.
        The final line reads ``Finished <stream> in <s> s (main thread CPU <s> s): ...``
        (the benchmark parses it for per-family wall times).
        """
        if not self.started or not family:
            return
        by_stream = self.client.transport.requests_by_stream
        parts = "; ".join(
            f"{m.name}: {m.records} records, {by_stream.get(m.name, 0)} requests" for m in family
        )
        stats = self.client.limiter.stats
        self.logger.info(
            "%s %s in %.3f s (main thread CPU %.3f s): %s; rate-limit waits so far: %d "
            "(%.1f thread-seconds), 429s: %d",
            "Finished" if final else "Progress",
            family[0].name,
            elapsed,
            cpu,
            parts,
            stats.waits,
            stats.wait_seconds,
            stats.throttled,
        )
