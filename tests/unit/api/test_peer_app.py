"""The peer endpoint without TLS: identity from the ``tls`` extension, limits, error mapping."""

from __future__ import annotations

import asyncio
import socket
import ssl
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from gsomia.api import serve
from gsomia.api.peer import MESSAGES_PATH, STATUS_OF, PeerIdentity, create_peer_app
from gsomia.config import Limits
from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import NodePki
from gsomia.errors import (
    ConfigError,
    ConflictError,
    GsomiaError,
    InputError,
    IntegrityError,
    PolicyDenied,
    StorageError,
    TransportError,
    UnknownName,
    WitnessAlarm,
)

OCTETS = {"content-type": "application/octet-stream"}


@pytest.fixture(scope="module")
def jpn_pem(tmp_path_factory: pytest.TempPathFactory) -> str:
    master = MasterSecret.from_text(MasterSecret.generate())
    pki = NodePki.init(tmp_path_factory.mktemp("jpn"), party="JPN", master=master)
    return (pki.root / "node.pem").read_text()


class Recorder:
    def __init__(self, failure: Exception | None = None) -> None:
        self.calls: list[tuple[bytes, PeerIdentity]] = []
        self.failure = failure

    def __call__(self, payload: bytes, peer: PeerIdentity) -> bytes:
        self.calls.append((payload, peer))
        if self.failure is not None:
            raise self.failure
        return b"reply to " + peer.party.encode()


def with_client_cert(app: Any, pem: str) -> Any:
    """What :class:`serve.ClientCertH11Protocol` does for a verified TLS connection."""

    async def wrapped(scope: Any, receive: Any, send: Any) -> None:
        scope["extensions"] = {"tls": {"client_cert_chain": [pem]}}
        await app(scope, receive, send)

    return wrapped


def post(
    app: Any, content: bytes | AsyncIterator[bytes] | None = None, **kwargs: Any
) -> httpx.Response:
    """One request to ``app`` in process (no sockets, no TLS)."""

    async def go() -> httpx.Response:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="https://kor") as c:
            method = kwargs.pop("method", "POST")
            headers = kwargs.pop("headers", OCTETS)
            return await c.request(
                method, MESSAGES_PATH, content=content, headers=headers, **kwargs
            )

    return asyncio.run(go())


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def app(recorder: Recorder, jpn_pem: str) -> Any:
    peer_app = create_peer_app(handler=recorder, limits=Limits(max_request_bytes=2048))
    return with_client_cert(peer_app, jpn_pem)


def test_the_handler_gets_the_payload_and_the_party_of_the_certificate(
    app: Any, recorder: Recorder
) -> None:
    response = post(app, b"sealed")
    assert response.status_code == 200
    assert response.content == b"reply to JPN"
    assert response.headers["content-type"] == "application/octet-stream"
    assert [(p, i.party) for p, i in recorder.calls] == [(b"sealed", "JPN")]


def test_a_request_without_a_client_certificate_is_refused(recorder: Recorder) -> None:
    bare = create_peer_app(handler=recorder, limits=Limits())
    response = post(bare, b"sealed")
    assert response.status_code == 403
    assert response.json()["error"] == "IntegrityError"
    assert recorder.calls == []


def test_a_body_over_the_limit_is_refused_even_without_a_length(
    app: Any, recorder: Recorder
) -> None:
    assert post(app, b"x" * 2049).status_code == 413

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(5):
            yield b"x" * 1000

    response = post(app, chunks())
    assert response.status_code == 413
    assert "content-length" not in response.request.headers
    assert post(app, b"x" * 2048).status_code == 200
    assert [len(p) for p, _ in recorder.calls] == [2048]


def test_only_octet_streams_are_taken(app: Any, recorder: Recorder) -> None:
    response = post(app, b"{}", headers={"content-type": "application/json"})
    assert response.status_code == 415
    assert post(app, method="GET", headers={}).status_code == 405
    assert recorder.calls == []


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (PolicyDenied(rule_ids=["JK-9.1"], reason="no"), 403),
        (IntegrityError("bad signature on item 7"), 403),
        (WitnessAlarm("fork"), 403),
        (InputError("bad"), 400),
        (UnknownName(kind="agreement", name="x"), 404),
        (ConflictError("stale"), 409),
        (StorageError("db down"), 503),
        (TransportError("bus down"), 503),
        (ConfigError("unsafe"), 500),
        (GsomiaError("odd"), 500),
    ],
)
def test_errors_map_to_statuses_in_one_place(jpn_pem: str, error: GsomiaError, status: int) -> None:
    failing = create_peer_app(handler=Recorder(error), limits=Limits())
    response = post(with_client_cert(failing, jpn_pem), b"m")
    assert response.status_code == status
    body = response.json()
    assert "bad signature" not in body["message"]
    assert "db down" not in body["message"]
    if isinstance(error, PolicyDenied):
        assert body["rule_ids"] == ["JK-9.1"]


def test_the_status_table_lists_subclasses_before_their_parents() -> None:
    kinds = [kind for kind, _ in STATUS_OF]
    for i, kind in enumerate(kinds):
        assert not any(issubclass(kind, earlier) for earlier in kinds[:i]), kind


def test_the_tls_extension_follows_the_asgi_spec(jpn_pem: str) -> None:
    assert serve.tls_extension(None) is None

    class FakeSSLObject:
        def getpeercert(self, binary_form: bool = False) -> Any:
            if binary_form:
                return ssl.PEM_cert_to_DER_cert(jpn_pem)
            return {"subject": ((("organizationName", "JPN"),), (("commonName", "JPN node"),))}

        def version(self) -> str:
            return "TLSv1.3"

    tls = serve.tls_extension(FakeSSLObject())  # type: ignore[arg-type]
    assert tls is not None
    assert tls["client_cert_chain"] == [ssl.DER_cert_to_PEM_cert(ssl.PEM_cert_to_DER_cert(jpn_pem))]
    assert tls["client_cert_name"] == "CN=JPN node,O=JPN"
    assert tls["tls_version"] == 0x0304


def test_the_listening_socket_is_tcp_so_asyncio_disables_nagle() -> None:
    sock = serve._bind("127.0.0.1", 0)
    try:
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        with pytest.raises(ConfigError):
            serve._bind("127.0.0.1", busy.getsockname()[1])
