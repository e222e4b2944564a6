"""Serve an ASGI app over mutually authenticated TLS with uvicorn and *our* ``SSLContext``.

uvicorn builds its own TLS context from file names and has no revocation-list option, so
the context made by :mod:`gsomia.crypto.pki` (pinned partner authorities, CRL checks) is
handed over through uvicorn's ``ssl_context_factory``. uvicorn also does not pass the
verified client certificate to the app; :class:`ClientCertH11Protocol` adds it to every
request's scope as the ASGI ``tls`` extension (``scope["extensions"]["tls"]``, with
``client_cert_chain`` holding the PEM leaf certificate that TLS verified). The handshake is
complete when uvicorn's protocol sees the connection, so the certificate is read once per
connection, not per request.

:func:`run_server` serves in the foreground; :func:`start_server` serves on a background
thread (tests, the demo) and returns a :class:`ServerHandle` with the real bound port.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import ssl
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from gsomia.errors import ConfigError

__all__ = ["ClientCertH11Protocol", "ServerHandle", "run_server", "start_server", "tls_extension"]

_logger = logging.getLogger(__name__)

_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}
_RDN_KEYS = {
    "commonName": "CN",
    "organizationName": "O",
    "organizationalUnitName": "OU",
    "countryName": "C",
}
_KEEP_ALIVE_SECONDS = 75


class ClientCertH11Protocol(H11Protocol):
    """uvicorn's HTTP/1.1 protocol that exposes the verified TLS client certificate.

    Implements the ASGI TLS extension (asgiref "TLS Extension" specification).
    """

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Record the connection, then wrap the app so each request sees the certificate."""
        super().connection_made(transport)  # type: ignore[arg-type]
        tls = tls_extension(transport.get_extra_info("ssl_object"))
        if tls is not None:
            self.app = _WithTls(self.app, tls)

    def shutdown(self) -> None:
        """At server shutdown, drop an idle keep-alive connection at once.

        uvicorn closes it, and over TLS a close waits for the peer's ``close_notify``, which
        a partner's idle connection pool never sends: every stop then ran into the graceful
        shutdown's time limit. An idle connection carries nothing to lose; one with a request
        in progress still finishes it first."""
        cycle: Any = self.cycle  # None until a first request arrives
        if cycle is None or cycle.response_complete:
            self.transport.abort()  # connection_lost then closes the HTTP state
        else:
            super().shutdown()


class _WithTls:
    """An ASGI app that adds one connection's ``tls`` extension to each scope."""

    __slots__ = ("_app", "_tls")

    def __init__(self, app: Any, tls: dict[str, object]) -> None:
        self._app = app
        self._tls = tls

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        extensions = scope.get("extensions")
        scope["extensions"] = {**(extensions or {}), "tls": self._tls}
        await self._app(scope, receive, send)


def tls_extension(ssl_object: ssl.SSLObject | None) -> dict[str, object] | None:
    """The ASGI ``tls`` scope extension for an established TLS connection, or None."""
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    chain = [ssl.DER_cert_to_PEM_cert(der)] if der else []
    version = ssl_object.version()
    return {
        "server_cert": None,
        "client_cert_chain": chain,
        "client_cert_name": _rfc4514(ssl_object.getpeercert()) if der else None,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(version) if version else None,
        "cipher_suite": None,
    }


def _rfc4514(peer: dict[str, Any] | None) -> str | None:
    if not peer or "subject" not in peer:
        return None
    parts = [f"{_RDN_KEYS.get(k, k)}={v}" for rdn in peer["subject"] for k, v in rdn]
    return ",".join(reversed(parts))


@dataclass(kw_only=True)
class ServerHandle:
    """A server running on a background thread; :meth:`stop` shuts it down."""

    host: str
    port: int
    tls: bool = True
    _server: uvicorn.Server = field(repr=False)
    _thread: threading.Thread = field(repr=False)

    @property
    def url(self) -> str:
        """The base URL, e.g. ``https://127.0.0.1:49152``."""
        return f"{'https' if self.tls else 'http'}://{self.host}:{self.port}"

    def stop(self, *, timeout: float = 10.0) -> None:
        """Stop accepting, close connections, wait for the thread (at most ``timeout`` s)."""
        self._server.should_exit = True
        self._thread.join(timeout)
        if self._thread.is_alive():
            self._server.force_exit = True
            self._thread.join(timeout)

    def __enter__(self) -> ServerHandle:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def start_server(
    app: Any,
    *,
    ssl_context: ssl.SSLContext | None,
    host: str = "127.0.0.1",
    port: int = 0,
    startup_timeout: float = 10.0,
    reuse_port: bool = False,
) -> ServerHandle:
    """Serve ``app`` on a background thread; ``port=0`` picks a free port.

    With ``ssl_context`` the server speaks TLS (mutual when the context requires client
    certificates); with ``None`` it speaks plain HTTP, for the loopback user API.

    With ``reuse_port`` several processes listen on the same port (``SO_REUSEPORT``: the
    kernel spreads the connections over them; the workers of one node).

    Raises :class:`ConfigError` if the address cannot be bound or the server does not start.
    """
    sock = _bind(host, port, reuse_port=reuse_port)
    server = uvicorn.Server(_config(app, ssl_context=ssl_context))
    thread = threading.Thread(
        target=server.run, kwargs={"sockets": [sock]}, name=f"gsomia-server-{port}", daemon=True
    )
    thread.start()
    deadline = time.monotonic() + startup_timeout
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            thread.join(startup_timeout)
            sock.close()
            raise ConfigError(f"the server on {host}:{port} did not start")
        time.sleep(0.01)
    bound = sock.getsockname()[1]
    handle = ServerHandle(
        host=host, port=bound, tls=ssl_context is not None, _server=server, _thread=thread
    )
    _logger.info("serving on %s", handle.url)
    return handle


def run_server(app: Any, *, host: str, port: int, ssl_context: ssl.SSLContext) -> None:
    """Serve ``app`` over TLS in the foreground until interrupted (SIGINT, SIGTERM).

    Raises :class:`ConfigError` if the address cannot be bound.
    """
    sock = _bind(host, port)
    _logger.warning("serving on https://%s:%d", host, sock.getsockname()[1])
    uvicorn.Server(_config(app, ssl_context=ssl_context)).run(sockets=[sock])


def _config(app: Any, *, ssl_context: ssl.SSLContext | None) -> uvicorn.Config:
    factory = None
    if ssl_context is not None:
        context = ssl_context

        def factory(_config: uvicorn.Config, _default: object) -> ssl.SSLContext:
            return context

    return uvicorn.Config(
        app,
        http=ClientCertH11Protocol,
        ws="none",
        ssl_context_factory=factory,
        log_config=None,
        server_header=False,
        timeout_keep_alive=_KEEP_ALIVE_SECONDS,
        timeout_graceful_shutdown=5,
    )


def _bind(host: str, port: int, *, reuse_port: bool = False) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP (not 0) so that asyncio disables Nagle on accepted connections; otherwise
    # a response written in two parts waits for the peer's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if reuse_port:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror}") from None
    return sock
