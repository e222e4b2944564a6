"""The HTTPS peer transport: one keep-alive HTTP/1.1 client per partner over mutual TLS.

Implements :class:`gsomia.ports.transport.PeerTransport`. Each destination party has its
own ``httpx.Client`` built once around the TLS context that trusts only that party's pinned
authority (:meth:`gsomia.crypto.pki.NodePki.client_context`), so connections are reused
and no context is made per request. ``send`` POSTs the opaque message to
``<peer url>/peer/v1/messages`` and returns the reply body.

Failures, following the port's contract:

* cannot connect, timeouts, a dropped connection, 408, 429 and 5xx: :class:`TransportError`
  (the caller retries with the same message id);
* the partner's certificate does not verify against its pinned authority, or the partner's
  TLS refuses this node's certificate: :class:`IntegrityError` (a person must look);
* 401/403: :class:`IntegrityError`, or :class:`PolicyDenied` when the partner names the
  rules; 409: :class:`ConflictError`; other 4xx: :class:`InputError` (not retryable).
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Mapping
from types import TracebackType
from urllib.parse import urlsplit

import httpx

from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import NodePki
from gsomia.errors import (
    ConfigError,
    ConflictError,
    GsomiaError,
    InputError,
    IntegrityError,
    PolicyDenied,
    TransportError,
    UnknownName,
)

__all__ = ["HttpsPeerTransport"]

_logger = logging.getLogger(__name__)

MESSAGES_PATH = "/peer/v1/messages"
_HEADERS = {"content-type": "application/octet-stream", "accept": "application/octet-stream"}
_RETRYABLE = frozenset({408, 425, 429})
# Headers and body leave in separate writes; without this the body can wait for a delayed ACK.
_SOCKET_OPTIONS = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]


class HttpsPeerTransport:
    """Sends signed messages to partner nodes over mutually authenticated TLS."""

    def __init__(
        self,
        *,
        peers: Mapping[str, str],
        ssl_contexts: Mapping[str, ssl.SSLContext],
        timeout: float = 30.0,
        connections_per_peer: int = 4,
    ) -> None:
        """``peers`` maps party codes to base URLs (``https://host:port``), ``ssl_contexts``
        party codes to client contexts. Raises :class:`ConfigError` for a non-HTTPS URL or a
        peer without a context."""
        self._timeout = timeout
        self._clients: dict[str, httpx.Client] = {}
        for party, url in peers.items():
            if urlsplit(url).scheme != "https":
                raise ConfigError(f"the node of {party} must be reached over https, not {url!r}")
            if party not in ssl_contexts:
                raise ConfigError(f"no TLS client context for {party}")
            transport = httpx.HTTPTransport(
                verify=ssl_contexts[party],
                limits=httpx.Limits(
                    max_connections=connections_per_peer,
                    max_keepalive_connections=connections_per_peer,
                    keepalive_expiry=30.0,
                ),
                socket_options=_SOCKET_OPTIONS,
            )
            self._clients[party] = httpx.Client(
                base_url=url,
                transport=transport,
                timeout=httpx.Timeout(timeout),
                headers=_HEADERS,
                trust_env=False,
                follow_redirects=False,
            )

    @classmethod
    def from_pki(
        cls, pki: NodePki, *, master: MasterSecret, peers: Mapping[str, str], timeout: float = 30.0
    ) -> HttpsPeerTransport:
        """A transport whose context per peer trusts only that party's pinned authority.

        Raises :class:`UnknownName` for a peer whose authority is not pinned.
        """
        contexts = {p: pki.client_context(master=master, destination=p) for p in peers}
        return cls(peers=peers, ssl_contexts=contexts, timeout=timeout)

    def send(self, destination: str, payload: bytes) -> bytes:
        """Deliver ``payload`` to ``destination``'s node and return its reply bytes.

        Raises as the module docstring lists; :class:`UnknownName` for an unknown party.
        """
        client = self._clients.get(destination)
        if client is None:
            raise UnknownName(kind="peer", name=destination, known=self._clients)
        try:
            response = client.post(MESSAGES_PATH, content=payload)
        except httpx.TimeoutException as exc:
            raise TransportError(
                f"{destination}'s node did not answer within {self._timeout:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise _connection_error(destination, exc) from exc
        if response.is_success:
            return response.content
        raise _refusal(destination, response)

    def close(self) -> None:
        """Close every connection."""
        for client in self._clients.values():
            client.close()

    def __enter__(self) -> HttpsPeerTransport:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _connection_error(destination: str, exc: httpx.HTTPError) -> GsomiaError:
    cause = _ssl_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        return IntegrityError(
            f"{destination}'s node presented a certificate that does not verify against "
            f"{destination}'s pinned authority ({cause.verify_message})"
        )
    if cause is not None and "ALERT" in str(cause.reason or ""):
        return IntegrityError(
            f"{destination}'s node refused this node's certificate ({cause.reason})"
        )
    return TransportError(f"cannot reach {destination}'s node: {str(exc) or type(exc).__name__}")


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        if isinstance(current, ssl.SSLError):
            return current
        seen.add(id(current))
        current = current.__cause__ or current.__context__
    return None


def _refusal(destination: str, response: httpx.Response) -> GsomiaError:
    status = response.status_code
    body = _error_body(response)
    text = (
        f"{destination}'s node answered {status}: {body.get('message') or response.reason_phrase}"
    )
    if status >= 500 or status in _RETRYABLE:
        return TransportError(text)
    if status in (401, 403):
        rule_ids = body.get("rule_ids")
        if body.get("error") == "PolicyDenied" and isinstance(rule_ids, list):
            return PolicyDenied(rule_ids=map(str, rule_ids), reason=text)
        return IntegrityError(text)
    if status == 409:
        return ConflictError(text)
    return InputError(text)


def _error_body(response: httpx.Response) -> dict[str, object]:
    try:
        body = response.json()
    except ValueError:
        return {"message": response.text[:200]}
    return body if isinstance(body, dict) else {}
