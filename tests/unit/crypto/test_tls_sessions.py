"""Crypto review L4: every peer connection is a full handshake with full certificate checks:
no TLS 1.2 (whose tickets and session cache resume without a certificate), no TLS 1.3
tickets, and only AEAD cipher suites."""

from __future__ import annotations

import socket
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import NodePki


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[NodePki, NodePki, MasterSecret]:
    root: Path = tmp_path_factory.mktemp("tls")
    master = MasterSecret.from_text(MasterSecret.generate())
    jpn = NodePki.init(root / "jpn", party="JPN", master=master)
    kor = NodePki.init(root / "kor", party="KOR", master=master)
    jpn.trust(party="KOR", bundle=kor.export_ca(master=master))
    kor.trust(party="JPN", bundle=jpn.export_ca(master=master))
    return jpn, kor, master


@pytest.fixture
def server(pair: tuple[NodePki, NodePki, MasterSecret]) -> Iterator[tuple[int, ssl.SSLContext]]:
    """JPN's peer endpoint context on a socket that answers each connection with ``ok``."""
    jpn, _, master = pair
    context = jpn.server_context(master=master)
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(10)
            try:
                with context.wrap_socket(conn, server_side=True) as tls:
                    tls.recv(1)
                    tls.sendall(b"ok")
            except (OSError, ssl.SSLError):
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1], context
    stop.set()
    listener.close()
    thread.join(5)


def _talk(
    client: ssl.SSLContext, port: int, session: ssl.SSLSession | None = None
) -> ssl.SSLSocket:
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    tls = client.wrap_socket(raw, server_hostname="localhost", session=session)
    tls.sendall(b"x")
    assert tls.recv(2) == b"ok"
    return tls


def test_a_tls_1_2_client_is_refused(
    pair: tuple[NodePki, NodePki, MasterSecret], server: tuple[int, ssl.SSLContext]
) -> None:
    _, kor, master = pair
    client = kor.client_context(master=master, destination="JPN")
    client.minimum_version = ssl.TLSVersion.TLSv1_2
    client.maximum_version = ssl.TLSVersion.TLSv1_2
    with pytest.raises((ssl.SSLError, OSError)):
        _talk(client, server[0])


def test_no_connection_resumes_a_session(
    pair: tuple[NodePki, NodePki, MasterSecret], server: tuple[int, ssl.SSLContext]
) -> None:
    _, kor, master = pair
    client = kor.client_context(master=master, destination="JPN")
    first = _talk(client, server[0])
    assert first.version() == "TLSv1.3"
    session = first.session
    first.close()
    assert session is None or not session.has_ticket
    for _ in range(2):
        again = _talk(client, server[0], session=session)
        assert not again.session_reused
        again.close()
    assert server[1].session_stats()["hits"] == 0


def test_gsomias_client_will_not_speak_tls_1_2_either(
    pair: tuple[NodePki, NodePki, MasterSecret],
) -> None:
    _, kor, master = pair
    client = kor.client_context(master=master, destination="JPN")
    assert client.minimum_version == ssl.TLSVersion.TLSv1_3
    assert ssl.OP_NO_TICKET & pair[0].server_context(master=master).options


def test_only_aead_suites_with_forward_secrecy_are_offered(
    pair: tuple[NodePki, NodePki, MasterSecret],
) -> None:
    jpn, _, master = pair
    for context in (
        jpn.server_context(master=master),
        jpn.client_context(master=master, destination="KOR"),
    ):
        suites = context.get_ciphers()
        assert suites
        for suite in suites:
            assert suite["aead"], suite["name"]
            assert suite["protocol"] == "TLSv1.3" or suite["kea"] == "kx-ecdhe", suite["name"]
