"""Replayed, tampered and wrongly certified traffic to a running node: refused, nothing stored."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from gsomia.adapters.peers.https import HttpsPeerTransport
from gsomia.crypto import MasterSecret
from gsomia.crypto.pki import NodePki
from gsomia.errors import GsomiaError, IntegrityError
from tests.support.cluster import Api

pytestmark = pytest.mark.cluster


def master(root: Path, party: str) -> MasterSecret:
    return MasterSecret.from_text((root / "secrets" / party).read_text())


def last_transfer(root: Path) -> bytes:
    with sqlite3.connect(root / "jpn" / "node.db") as db:
        (body,) = db.execute(
            "SELECT body FROM outbox WHERE kind = 'transfer' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    return bytes(body)


def jpn_transport(root: Path, cluster: dict[str, Api]) -> HttpsPeerTransport:
    pki = NodePki.open(root / "jpn")
    return HttpsPeerTransport.from_pki(
        pki, master=master(root, "JPN"), peers={"KOR": cluster["KOR"].node.peer_url}
    )


def test_a_replayed_transfer_changes_nothing(cluster: dict[str, Api], cluster_root: Path) -> None:
    r = cluster["JPN"].provide(b"replay me", to="KOR", level="秘", agreement="jpn-kor-gsomia")
    assert r.status_code == 201
    import time

    deadline = time.monotonic() + 30
    while not any(i["id"] == r.json()["items"][0] for i in cluster["KOR"].items()):
        assert time.monotonic() < deadline
        time.sleep(0.2)
    before = len(cluster["KOR"].items())
    with jpn_transport(cluster_root, cluster) as transport:
        first = transport.send("KOR", last_transfer(cluster_root))
        again = transport.send("KOR", last_transfer(cluster_root))
    assert first == again  # the stored receipt, not a second effect
    assert len(cluster["KOR"].items()) == before


def test_a_tampered_transfer_is_refused(cluster: dict[str, Api], cluster_root: Path) -> None:
    blob = bytearray(last_transfer(cluster_root))
    blob[len(blob) // 2] ^= 0x01
    before = len(cluster["KOR"].items())
    with jpn_transport(cluster_root, cluster) as transport, pytest.raises(IntegrityError):
        transport.send("KOR", bytes(blob))
    assert len(cluster["KOR"].items()) == before


def test_a_client_certificate_from_another_authority_is_refused(
    cluster: dict[str, Api], cluster_root: Path, tmp_path: Path
) -> None:
    # An impostor JPN with an authority of its own (expired, revoked and missing client
    # certificates are exercised against a pinned authority in test_channels.py).
    impostor_master = MasterSecret.from_text(MasterSecret.generate())
    pki = NodePki.init(tmp_path, party="JPN", master=impostor_master)
    kor_bundle = NodePki.open(cluster_root / "kor").export_ca(master=master(cluster_root, "KOR"))
    pki.trust(party="KOR", bundle=kor_bundle)
    before = len(cluster["KOR"].items())
    transport = HttpsPeerTransport.from_pki(
        pki, master=impostor_master, peers={"KOR": cluster["KOR"].node.peer_url}
    )
    with transport, pytest.raises(GsomiaError):
        transport.send("KOR", last_transfer(cluster_root))
    assert len(cluster["KOR"].items()) == before
