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
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError

from gsomia.errors import ConfigError, TransportError

__all__ = ["DEFAULT_RETENTION", "Consumer", "NatsBus", "check_connection"]

#: How long the stream keeps a message by default.
DEFAULT_RETENTION = timedelta(minutes=15)

_logger = logging.getLogger(__name__)
T = TypeVar("T")
#: A durable consumer's handler: the message id (``Nats-Msg-Id``, else the stream
#: sequence) and the payload. Returning acknowledges; raising asks for a redelivery.
Consumer = Callable[[str, bytes], None]
#: How long JetStream waits for an acknowledgement before it delivers again.
_ACK_WAIT = 5.0
#: A durable consumer nobody reads for this long is removed by the server.
_INACTIVE = timedelta(hours=24)


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

    def publish(self, subject: str, payload: bytes, *, msg_id: str | None = None) -> None:
        headers = {"Nats-Msg-Id": msg_id} if msg_id else None
        try:
            self._run(self._js.publish(subject, payload, stream=self._stream, headers=headers))
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

    def consume(
        self,
        subject: str,
        handler: Consumer,
        *,
        durable: str,
        replay: bool = False,
        ack_wait: float = _ACK_WAIT,
    ) -> _NatsSubscription:
        """Read ``subject`` through the durable consumer ``durable``: at least once, each
        message acknowledged when ``handler`` returns (redelivered after ``ack_wait`` s, or
        at once, when it raises). The server keeps the consumer's place, so a consumer that
        comes back under the same name (another process, after a restart) resumes after
        the last message it acknowledged. A new consumer starts at the oldest message the
        stream holds with ``replay``, else at the next one. Several consumers each get every
        message; de-duplicate by the id (a redelivery carries the same one)."""

        async def deliver(msg: Any) -> None:
            headers = msg.headers or {}
            msg_id = headers.get("Nats-Msg-Id") or f"seq:{msg.metadata.sequence.stream}"
            try:
                handler(msg_id, msg.data)
            except Exception:  # redelivered; a subscriber's bug must not stop the others
                _logger.exception("a durable consumer %s on %s failed", durable, subject)
                await msg.nak()
                return
            await msg.ack()

        config = ConsumerConfig(
            ack_policy=AckPolicy.EXPLICIT,
            ack_wait=ack_wait,
            deliver_policy=DeliverPolicy.ALL if replay else DeliverPolicy.NEW,
            filter_subject=subject,
            inactive_threshold=_INACTIVE.total_seconds(),
        )
        try:
            sub = self._run(
                self._js.subscribe(
                    subject,
                    cb=deliver,
                    durable=durable,
                    manual_ack=True,
                    stream=self._stream,
                    config=config,
                )
            )
        except (NatsError, OSError, TimeoutError) as exc:
            raise TransportError(f"cannot consume {subject} as {durable}: {exc}") from exc
        return _NatsSubscription(self, sub)

    def delete_consumer(self, durable: str) -> None:
        """Remove a durable consumer and its place in the stream."""
        self._run(self._js.delete_consumer(self._stream, durable))

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
