"""The bus on NATS JetStream: acknowledged publishes into a file-backed stream, push
subscriptions with a chosen deliver policy. A private asyncio loop on its own thread runs
the client, so callers keep a plain synchronous API.

The stream keeps what is published for ``retention`` only (JetStream ``max_age``), and a
server beyond loopback is reached only over TLS and with credentials
(:func:`check_connection`): what a node publishes is sealed for it alone, and the bus is
still no place to leave it for long or to reach in clear.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import ssl
import threading
from collections.abc import Callable, Coroutine
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import nats
from nats.errors import Error as NatsError
from nats.js.api import DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from gsomia.errors import ConfigError, TransportError

__all__ = ["DEFAULT_RETENTION", "NatsBus", "check_connection"]

#: How long the stream keeps a message by default.
DEFAULT_RETENTION = timedelta(minutes=15)

_logger = logging.getLogger(__name__)
T = TypeVar("T")


class _NatsSubscription:
    def __init__(self, bus: NatsBus, sub: Any) -> None:
        self._bus = bus
        self._sub = sub

    def cancel(self) -> None:
        self._bus._run(self._sub.unsubscribe())


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_connection(url: str, *, ca_file: Path | None, credentials: Path | None) -> None:
    """Refuse a NATS server beyond loopback without TLS and credentials.

    TLS is a ``tls://`` URL or a CA file; credentials are a NATS credentials file or a user
    and password in the URL. Raises :class:`ConfigError` naming what is missing.
    """
    parsed = urlsplit(url)
    if parsed.scheme not in ("nats", "tls"):
        raise ConfigError(f"bus_url {url!r}: expected nats:// or tls://")
    servers = parsed.netloc.rsplit("@", 1)[-1].split(",")
    hosts = [urlsplit("//" + server).hostname or "" for server in servers]
    if all(_loopback(h) for h in hosts):
        return
    if parsed.scheme != "tls" and ca_file is None:
        raise ConfigError(
            f"bus_url {parsed.hostname}: a NATS server beyond loopback needs TLS "
            "(a tls:// URL or bus_ca_file)"
        )
    if credentials is None and not (parsed.username and parsed.password):
        raise ConfigError(
            f"bus_url {parsed.hostname}: a NATS server beyond loopback needs credentials "
            "(bus_credentials_file, or a user and password)"
        )


class NatsBus:
    """:class:`gsomia.ports.bus.Bus` on NATS JetStream.

    ``stream`` names the JetStream stream that holds ``subjects`` (created if missing, its
    limits updated), keeping each message for ``retention``. Raises :class:`ConfigError`
    for a server beyond loopback without TLS or credentials, :class:`TransportError` when
    the server cannot be reached.
    """

    def __init__(
        self,
        url: str,
        *,
        stream: str = "GSOMIA",
        subjects: tuple[str, ...] = ("gsomia.>",),
        timeout: float = 10.0,
        retention: timedelta = DEFAULT_RETENTION,
        ca_file: Path | None = None,
        credentials: Path | None = None,
    ) -> None:
        check_connection(url, ca_file=ca_file, credentials=credentials)
        if retention <= timedelta(0):
            raise ConfigError("the bus retention must be positive")
        options: dict[str, Any] = {}
        if ca_file is not None:
            options["tls"] = ssl.create_default_context(cafile=str(ca_file))
        if credentials is not None:
            options["user_credentials"] = str(credentials)
        self._timeout = timeout
        self._stream = stream
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="gsomia-nats", daemon=True
        )
        self._thread.start()
        self._closed = False
        try:
            self._nc = self._run(
                nats.connect(url, connect_timeout=timeout, max_reconnect_attempts=3, **options)
            )
            self._js = self._nc.jetstream(timeout=timeout)
            config = StreamConfig(
                name=stream,
                subjects=list(subjects),
                storage=StorageType.FILE,
                max_age=retention.total_seconds(),
            )
            try:
                self._run(self._js.add_stream(config))
            except BadRequestError:
                self._run(self._js.update_stream(config))
        except (NatsError, OSError, TimeoutError) as exc:
            self._stop_loop()
            raise TransportError(f"cannot reach NATS at {url}: {exc}") from exc

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(self._timeout)

    def publish(self, subject: str, payload: bytes) -> None:
        try:
            self._run(self._js.publish(subject, payload, stream=self._stream))
        except (NatsError, OSError, TimeoutError) as exc:
            raise TransportError(f"NATS did not accept a message on {subject}: {exc}") from exc

    def subscribe(
        self, subject: str, handler: Callable[[bytes], None], *, replay: bool = False
    ) -> _NatsSubscription:
        async def deliver(msg: Any) -> None:
            try:
                handler(msg.data)
            except Exception:  # a subscriber's bug must not stop the others
                _logger.exception("a bus subscriber on %s failed", subject)

        policy = DeliverPolicy.ALL if replay else DeliverPolicy.NEW
        try:
            sub = self._run(
                self._js.subscribe(
                    subject,
                    cb=deliver,
                    deliver_policy=policy,
                    ordered_consumer=True,
                    stream=self._stream,
                )
            )
        except (NatsError, OSError, TimeoutError) as exc:
            raise TransportError(f"cannot subscribe to {subject}: {exc}") from exc
        return _NatsSubscription(self, sub)

    def retention(self) -> timedelta:
        """How long the stream keeps a message, as the server reports it."""
        info = self._run(self._js.stream_info(self._stream))
        return timedelta(seconds=info.config.max_age or 0)

    def delete_stream(self) -> None:
        """Remove the stream and everything it holds (tests)."""
        self._run(self._js.delete_stream(self._stream))

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self._run(self._nc.drain())
        except (NatsError, OSError, TimeoutError) as exc:
            _logger.warning("NATS did not drain cleanly: %s", exc)
        self._stop_loop()

    def _stop_loop(self) -> None:
        async def cancel_rest() -> None:
            rest = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
            for task in rest:
                task.cancel()
            await asyncio.gather(*rest, return_exceptions=True)

        try:
            self._run(cancel_rest())
        except (RuntimeError, TimeoutError) as exc:
            _logger.warning("NATS tasks did not stop cleanly: %s", exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()
