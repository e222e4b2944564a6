"""Crypto review L5: the user API and the peer endpoint have their own bind addresses; the
user API stays on loopback unless told otherwise, and beyond loopback it speaks TLS."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from gsomia.bootstrap import init_home
from gsomia.config import load_settings
from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import NodePki
from gsomia.runtime import NodeRuntime, is_loopback


@pytest.fixture
def home(tmp_path: Path) -> Iterator[tuple[Path, MasterSecret]]:
    master = MasterSecret.from_text(MasterSecret.generate())
    now = datetime.now(UTC)
    jpn = tmp_path / "jpn"
    init_home(jpn, party="JPN", now=now, master=master)
    pki = NodePki.init(jpn, party="JPN", master=master, now=now)
    kor = NodePki.init(tmp_path / "kor", party="KOR", master=master, now=now)
    pki.trust(party="KOR", bundle=kor.export_ca(master=master))
    yield jpn, master


def settings_lines(home: Path, *lines: str) -> None:
    path = home / "node.toml"
    path.write_text(path.read_text() + "\n".join(lines) + "\n")


def test_by_default_the_user_api_is_plain_http_on_loopback_only(
    home: tuple[Path, MasterSecret],
) -> None:
    path, master = home
    settings_lines(path, 'host = "0.0.0.0"')
    assert load_settings(path).user_host == "127.0.0.1"
    runtime = NodeRuntime.start(path, master=master)
    try:
        assert runtime.user_server.host == "127.0.0.1" and not runtime.user_server.tls
        assert runtime.peer_server.host == "0.0.0.0" and runtime.peer_server.tls
        url = f"http://127.0.0.1:{runtime.user_server.port}/v1/health"
        assert httpx.get(url, timeout=10).status_code == 200
    finally:
        runtime.stop()


def test_a_user_api_beyond_loopback_speaks_tls(home: tuple[Path, MasterSecret]) -> None:
    path, master = home
    settings_lines(path, 'user_host = "0.0.0.0"', 'peer_host = "127.0.0.1"')
    runtime = NodeRuntime.start(path, master=master)
    try:
        assert runtime.user_server.tls and runtime.user_server.host == "0.0.0.0"
        assert runtime.peer_server.host == "127.0.0.1"
        port = runtime.user_server.port
        with pytest.raises(httpx.HTTPError):
            httpx.get(f"http://127.0.0.1:{port}/v1/health", timeout=5)
        trust = ssl.create_default_context(cafile=str(path / "pki" / "ca.pem"))
        reply = httpx.get(f"https://localhost:{port}/v1/health", verify=trust, timeout=10)
        assert reply.status_code == 200
    finally:
        runtime.stop()


@pytest.mark.parametrize(
    ("host", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.8.0.1", True),
        ("::1", True),
        ("localhost", True),
        ("0.0.0.0", False),
        ("::", False),
        ("10.1.2.3", False),
        ("node.example", False),
    ],
)
def test_what_counts_as_loopback(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback
