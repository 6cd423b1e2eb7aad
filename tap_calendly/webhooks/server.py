"""Serving the receiver with uvicorn, in the foreground (the CLI) or in a thread (tests,
the benchmark).

The socket is bound before uvicorn starts, so a taken port is one clear error and port 0
works (the chosen port is known). One process, one event loop: verification is cheap and
the journal's group commit is the limit, so workers would add nothing but lock traffic.
"""

from __future__ import annotations

import errno
import logging
import socket
import threading
import time

import uvicorn

from tap_calendly.api.errors import UsageError
from tap_calendly.webhooks.receiver import ReceiverApp

log = logging.getLogger("calendly.webhooks")

#: Seconds uvicorn gives in-flight deliveries to finish on shutdown.
GRACEFUL_SECONDS = 10


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket, or a one-line UsageError."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(
                f"port {port} on {host} is already in use; pick another --port"
            ) from None
        raise UsageError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    sock.set_inheritable(True)
    return sock


class ReceiverServer:
    """uvicorn around a :class:`ReceiverApp` on a pre-bound socket."""

    def __init__(self, app: ReceiverApp, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.app = app
        self.socket = bind(host, port)
        bound_host, bound_port = self.socket.getsockname()[:2]
        self.host = str(bound_host)
        self.port = int(bound_port)
        self.server = uvicorn.Server(
            uvicorn.Config(
                app,
                lifespan="on",
                log_config=None,
                access_log=False,
                server_header=False,
                timeout_graceful_shutdown=GRACEFUL_SECONDS,
            )
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}{self.app.config.path}"

    def run(self) -> None:
        """Serve until SIGINT/SIGTERM (or :meth:`stop`), then finish in-flight deliveries."""
        try:
            self.server.run(sockets=[self.socket])
        finally:
            self.socket.close()
            self.app.close()

    def start(self, timeout: float = 10.0) -> ReceiverServer:
        """Serve from a background thread; returns once it accepts connections."""
        self._thread = threading.Thread(target=self.run, name="webhook-receiver", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=GRACEFUL_SECONDS + 5)
            self._thread = None

    def __enter__(self) -> ReceiverServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
