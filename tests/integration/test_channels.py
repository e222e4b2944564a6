"""Government-to-government channels over real sockets and real mutual TLS on 127.0.0.1.

JPN sends to KOR's peer endpoint. Every refused client (wrong authority, expired, not yet
valid, revoked, none) must leave the node's handler uncalled: nothing is stored or
processed (JK-9.1, JK-12.1).
"""

from __future__ import annotations

import logging
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from gsomia.adapters.peers.https import HttpsPeerTransport
from gsomia.api.peer import PeerIdentity, create_peer_app
from gsomia.api.serve import ServerHandle, start_server
from gsomia.config import Limits
from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import NodePki
from gsomia.errors import (
    ConflictError,
    GsomiaError,
    InputError,
    IntegrityError,
    PolicyDenied,
    StorageError,
    TransportError,
)

MAX_BYTES = 4096
REFUSED = (TransportError, IntegrityError)


@dataclass
class StubNode:
    """The node's message handling, reduced to a record of what reached it."""

    calls: list[tuple[bytes, PeerIdentity]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def handle(self, payload: bytes, peer: PeerIdentity) -> bytes:
        with self.lock:
            self.calls.append((payload, peer))
        failure = _FAILURES.get(payload)
        if failure is not None:
            raise failure
        if payload == b"slow":
            time.sleep(1.0)
        return b"KOR received " + payload + b" from " + peer.party.encode()


_FAILURES: dict[bytes, Exception] = {
    b"policy": PolicyDenied(rule_ids=["JK-9.1"], reason="not an official channel"),
    b"conflict": ConflictError("stale message"),
    b"input": InputError("malformed message"),
    b"integrity": IntegrityError("bad signature"),
    b"storage": StorageError("database down"),
    b"boom": RuntimeError("a bug"),
}


@dataclass
class World:
    master: MasterSecret
    jpn: NodePki
    kor: NodePki
    usa: NodePki
    clients: dict[str, ssl.SSLContext]
    node: StubNode
    server: ServerHandle


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    base = tmp_path_factory.mktemp("channels")
    master = MasterSecret.from_text(MasterSecret.generate())
    now = datetime.now(UTC)
    jpn = NodePki.init(base / "jpn", party="JPN", master=master, now=now - timedelta(days=30))
    kor = NodePki.init(base / "kor", party="KOR", master=master)
    usa = NodePki.init(base / "usa", party="USA", master=master)
    rogue = NodePki.init(base / "rogue", party="JPN", master=master)
    kor_bundle = kor.export_ca(master=master)
    for pki in (jpn, usa, rogue):
        pki.trust(party="KOR", bundle=kor_bundle)
    clients = {"wrong authority": usa.client_context(master=master, destination="KOR")}
    clients["impostor JPN"] = rogue.client_context(master=master, destination="KOR")
    jpn.issue(master=master, now=now - timedelta(days=10), days=1)
    clients["expired"] = jpn.client_context(master=master, destination="KOR")
    jpn.issue(master=master, now=now + timedelta(days=2))
    clients["not yet valid"] = jpn.client_context(master=master, destination="KOR")
    revoked = jpn.issue(master=master)
    clients["revoked"] = jpn.client_context(master=master, destination="KOR")
    jpn.revoke(master=master, serial=revoked.serial)
    jpn.issue(master=master)
    clients["valid"] = jpn.client_context(master=master, destination="KOR")
    clients["none"] = ssl.create_default_context(cafile=kor.root / "ca.pem")
    kor.trust(party="JPN", bundle=jpn.export_ca(master=master))
    node = StubNode()
    app = create_peer_app(
        handler=node.handle,
        limits=Limits(max_request_bytes=MAX_BYTES),
        identify=kor.partner_trust().identify,
    )
    with start_server(app, ssl_context=kor.server_context(master=master)) as server:
        yield World(master, jpn, kor, usa, clients, node, server)


@pytest.fixture
def node(world: World) -> StubNode:
    world.node.calls.clear()
    return world.node


def transport(world: World, client: str, *, timeout: float = 10.0) -> HttpsPeerTransport:
    return HttpsPeerTransport(
        peers={"KOR": world.server.url},
        ssl_contexts={"KOR": world.clients[client]},
        timeout=timeout,
    )


def test_a_jpn_node_with_a_valid_certificate_reaches_kor(world: World, node: StubNode) -> None:
    with transport(world, "valid") as peers:
        reply = peers.send("KOR", b"sealed batch 1")
    assert reply == b"KOR received sealed batch 1 from JPN"
    [(payload, peer)] = node.calls
    assert payload == b"sealed batch 1"
    assert peer.party == "JPN"
    assert peer.serial == world.jpn.describe().node.serial


@pytest.mark.parametrize(
    "client", ["wrong authority", "impostor JPN", "expired", "not yet valid", "revoked", "none"]
)
def test_a_refused_client_never_reaches_the_handler(
    world: World, node: StubNode, client: str
) -> None:
    with transport(world, client) as peers, pytest.raises(REFUSED):
        peers.send("KOR", b"sealed batch from " + client.encode())
    assert node.calls == []
    with transport(world, "valid") as peers:
        assert peers.send("KOR", b"still up").endswith(b"from JPN")


def test_a_refused_client_is_refused_in_the_tls_handshake(world: World, node: StubNode) -> None:
    # Read from the socket: a refused client gets an alert or a closed connection, never HTTP.
    for client in ("wrong authority", "expired", "revoked", "none"):
        with socket.create_connection(("127.0.0.1", world.server.port), timeout=5) as raw:
            ctx = world.clients[client]
            with ctx.wrap_socket(raw, server_hostname="127.0.0.1") as tls:
                request = b"POST /peer/v1/messages HTTP/1.1\r\nHost: kor\r\n"
                request += b"Content-Type: application/octet-stream\r\nContent-Length: 1\r\n\r\nx"
                with pytest.raises((ssl.SSLError, ConnectionError)):
                    tls.sendall(request)
                    if not tls.recv(1024):
                        raise ConnectionResetError("closed without an answer")
    assert node.calls == []


def test_the_client_refuses_a_server_certificate_from_another_authority(
    world: World, node: StubNode
) -> None:
    world.usa.trust(party="JPN", bundle=world.jpn.export_ca(master=world.master))
    app = create_peer_app(handler=node.handle, limits=Limits())
    with start_server(app, ssl_context=world.usa.server_context(master=world.master)) as other:
        peers = HttpsPeerTransport(
            peers={"KOR": other.url}, ssl_contexts={"KOR": world.clients["valid"]}
        )
        with peers, pytest.raises(IntegrityError, match="pinned authority"):
            peers.send("KOR", b"sealed batch")
    assert node.calls == []


def test_the_client_refuses_a_revoked_server_certificate(tmp_path: Path) -> None:
    master = MasterSecret.from_text(MasterSecret.generate())
    jpn = NodePki.init(tmp_path / "jpn", party="JPN", master=master)
    kor = NodePki.init(tmp_path / "kor", party="KOR", master=master)
    kor.trust(party="JPN", bundle=jpn.export_ca(master=master))
    server_context = kor.server_context(master=master)
    kor.revoke(master=master, serial=kor.describe().node.serial, reason="key-compromise")
    jpn.trust(party="KOR", bundle=kor.export_ca(master=master))
    node = StubNode()
    app = create_peer_app(handler=node.handle, limits=Limits())
    with start_server(app, ssl_context=server_context) as server:
        peers = HttpsPeerTransport.from_pki(jpn, master=master, peers={"KOR": server.url})
        with peers, pytest.raises(IntegrityError, match="revoked"):
            peers.send("KOR", b"sealed batch")
    assert node.calls == []


def test_a_body_over_the_limit_gets_413_and_never_reaches_the_handler(
    world: World, node: StubNode
) -> None:
    with transport(world, "valid") as peers:
        with pytest.raises(InputError, match="413"):
            peers.send("KOR", b"x" * (MAX_BYTES + 1))
        assert peers.send("KOR", b"x" * MAX_BYTES).startswith(b"KOR received")
    assert [len(payload) for payload, _ in node.calls] == [MAX_BYTES]


@pytest.mark.parametrize(
    ("payload", "expected"),
    [
        (b"policy", PolicyDenied),
        (b"conflict", ConflictError),
        (b"input", InputError),
        (b"integrity", IntegrityError),
        (b"storage", TransportError),
        (b"boom", TransportError),
    ],
)
def test_handler_errors_cross_the_wire_as_the_matching_error(
    world: World, node: StubNode, payload: bytes, expected: type[GsomiaError]
) -> None:
    with transport(world, "valid") as peers, pytest.raises(expected) as caught:
        peers.send("KOR", payload)
    assert type(caught.value) is expected
    if isinstance(caught.value, PolicyDenied):
        assert caught.value.rule_ids == ("JK-9.1",)
    if expected is IntegrityError:
        assert "bad signature" not in str(caught.value)
    assert [p for p, _ in node.calls] == [payload]


def test_connections_are_reused_across_sends(world: World, node: StubNode) -> None:
    with transport(world, "valid") as peers:
        for i in range(20):
            peers.send("KOR", b"batch %d" % i)
        pool = peers._clients["KOR"]._transport._pool  # type: ignore[attr-defined]
        assert len(pool.connections) == 1
    assert len(node.calls) == 20


def test_an_unreachable_peer_and_a_timeout_are_retryable(world: World, node: StubNode) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    peers = HttpsPeerTransport(
        peers={"KOR": f"https://127.0.0.1:{closed_port}"},
        ssl_contexts={"KOR": world.clients["valid"]},
    )
    with peers, pytest.raises(TransportError, match="cannot reach"):
        peers.send("KOR", b"sealed batch")
    with transport(world, "valid", timeout=0.3) as peers, pytest.raises(TransportError):
        peers.send("KOR", b"slow")


def test_a_partners_idle_connection_does_not_hold_the_servers_stop(
    world: World, caplog: pytest.LogCaptureFixture
) -> None:
    """A stopping node drops a partner's idle keep-alive connection at once rather than
    waiting for a TLS close the idle pool never answers (every stop used to run into the
    graceful shutdown's time limit)."""
    app = create_peer_app(
        handler=StubNode().handle,
        limits=Limits(max_request_bytes=MAX_BYTES),
        identify=world.kor.partner_trust().identify,
    )
    server = start_server(app, ssl_context=world.kor.server_context(master=world.master))
    peers = HttpsPeerTransport(
        peers={"KOR": server.url}, ssl_contexts={"KOR": world.clients["valid"]}, timeout=10.0
    )
    with peers, caplog.at_level(logging.ERROR, logger="uvicorn.error"):
        peers.send("KOR", b"one batch, then the connection idles in the pool")
        started = time.monotonic()
        server.stop()
        took = time.monotonic() - started
    assert not [r for r in caplog.records if "graceful shutdown exceeded" in r.getMessage()]
    assert took < 2.0, f"the stop waited {took:.1f} s for an idle connection"
