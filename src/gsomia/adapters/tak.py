"""A CoT sink over TCP (``tcp://host:port``), as TAK servers take streaming CoT."""

from __future__ import annotations

import socket
import threading
from urllib.parse import urlsplit

from gsomia.errors import ConfigError, TransportError

__all__ = ["TcpCotSink"]


class TcpCotSink:
    """:class:`~gsomia.ports.tak.CotSink` over one TCP connection, reconnected on failure."""

    def __init__(self, url: str, *, timeout: float = 10.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "tcp" or not parts.hostname or not parts.port:
            raise ConfigError(f"a TAK server is given as tcp://HOST:PORT, not {url!r}")
        self._address = (parts.hostname, parts.port)
        self._timeout = timeout
        self._socket: socket.socket | None = None
        self._lock = threading.Lock()

    def send(self, event: bytes) -> None:
        """Write one event; raises :class:`TransportError` when the server cannot be reached."""
        with self._lock:
            try:
                if self._socket is None:
                    self._socket = socket.create_connection(self._address, self._timeout)
                self._socket.sendall(event)
            except OSError as exc:
                self._drop()
                raise TransportError(
                    f"TAK server {self._address[0]}:{self._address[1]}: {exc}"
                ) from exc

    def _drop(self) -> None:
        if self._socket is not None:
            self._socket.close()
            self._socket = None

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self._drop()
