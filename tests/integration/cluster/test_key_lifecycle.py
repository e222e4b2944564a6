"""The key lifecycle end to end on a three-node cluster of real processes (crypto review M5):
``gsomia keys rotate``, ``export``/``import``, ``unregister``, an at-rest epoch, and
``gsomia node rotate-secret``, each recorded in the acting node's ledger. After KOR
unregisters JPN's old keys, what JPN signed with them is refused, and what KOR wraps for
JPN goes to JPN's new key only.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from gsomia.adapters.peers.https import HttpsPeerTransport
from gsomia.agreement_files import load_library
from gsomia.cluster import down, start_node, stop_node, up
from gsomia.crypto import Envelope, MasterSecret
from gsomia.crypto.pki import NodePki
from gsomia.errors import IntegrityError
from gsomia.formats.messages import decode
from tests.support.cluster import Api

pytestmark = [pytest.mark.cluster, pytest.mark.slow]

LEVEL = {"JPN": "秘", "KOR": "군사III급비밀"}


@pytest.fixture(scope="module")
def keyed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, dict[str, Api]]]:
    """A cluster of its own: the test changes every node's keys."""
    root: Path = tmp_path_factory.mktemp("key-lifecycle")
    nodes = up(root)
    try:
        yield root, {n.party: Api(n) for n in nodes}
    finally:
        down(root)


def gsomia(root: Path, party: str, *args: str) -> Any:
    """``python -m gsomia ARGS --home <party's home> --json`` with the party's secret."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GSOMIA_")}
    env["GSOMIA_MASTER_SECRET_FILE"] = str(root / "secrets" / party)
    done = subprocess.run(
        [sys.executable, "-m", "gsomia", *args, "--home", str(root / party.lower()), "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, (args, done.stdout, done.stderr)
    return json.loads(done.stdout)


def stopped(root: Path, party: str, *commands: tuple[str, ...]) -> list[Any]:
    """Stop ``party``'s node, run ``commands`` on its home, start it again."""
    stop_node(root, party)
    try:
        return [gsomia(root, party, *command) for command in commands]
    finally:
        start_node(root, party, wait=90)


def until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.25)


def provided(api: dict[str, Api], sender: str, recipient: str, content: bytes) -> str:
    reply = api[sender].provide(
        content, to=recipient, level=LEVEL[sender], agreement="jpn-kor-gsomia"
    )
    assert reply.status_code == 201, reply.text
    item = str(reply.json()["items"][0])
    until(lambda: any(i["id"] == item for i in api[recipient].items()), f"{item} at {recipient}")
    return item


def opened(api: Api, item: str) -> bytes:
    reply = api.post(f"/v1/items/{item}/open")
    assert reply.status_code == 200, reply.text
    return base64.b64decode(reply.json()["content"])


def events(api: Api) -> set[str]:
    return {e["event"] for e in api.get("/v1/audit/entries", limit=1000).json()}


def newest_keys(root: Path, party: str) -> dict[str, str]:
    """The id of ``party``'s newest key of each kind (``gsomia keys list``)."""
    return {
        k["kind"]: k["key_id"] for k in gsomia(root, party, "keys", "list")["own"] if k["newest"]
    }


def outbox_transfer(root: Path, party: str) -> bytes:
    import sqlite3

    with sqlite3.connect(root / party.lower() / "node.db") as db:
        (body,) = db.execute(
            "SELECT body FROM outbox WHERE kind = 'transfer' ORDER BY seq DESC LIMIT 1"
        ).fetchone()
    return bytes(body)


def present(root: Path, api: dict[str, Api], blob: bytes) -> bytes:
    """Send ``blob`` to KOR's peer endpoint over JPN's own channel."""
    secret = MasterSecret.from_text((root / "secrets" / "JPN").read_text())
    transport = HttpsPeerTransport.from_pki(
        NodePki.open(root / "jpn"), master=secret, peers={"KOR": api["KOR"].node.peer_url}
    )
    with transport:
        return transport.send("KOR", blob)


def test_the_key_lifecycle_end_to_end(keyed: tuple[Path, dict[str, Api]]) -> None:
    root, api = keyed
    before = provided(api, "JPN", "KOR", b"sealed before the rotation")
    old_transfer = outbox_transfer(root, "JPN")
    assert present(root, api, old_transfer)  # answered with the stored receipt
    old = newest_keys(root, "JPN")
    old_document, old_signing, old_encryption = old["document"], old["signing"], old["encryption"]

    # JPN rotates every key and hands the new public keys to its partners.
    export = root / "jpn-keys.json"
    rotated, _ = stopped(root, "JPN", ("keys", "rotate"), ("keys", "export", "--out", str(export)))
    assert len(rotated["keys"]) == 7  # one of each kind, the state key included
    jpn_now = newest_keys(root, "JPN")
    assert all(jpn_now[kind] != old[kind] for kind in old)
    for party in ("KOR", "USA"):
        shared = [a.id for a in load_library().between(party, "JPN")]
        stopped(root, party, *[("keys", "import", str(export), "--agreement", a) for a in shared])
    after = provided(api, "JPN", "KOR", b"sealed after the rotation")
    assert opened(api["KOR"], before) == b"sealed before the rotation"
    assert opened(api["KOR"], after) == b"sealed after the rotation"

    # KOR stops trusting JPN's old keys under the Japan-ROK GSOMIA, and starts a new
    # at-rest epoch (one stop of the node for both).
    old_at_rest = newest_keys(root, "KOR")["at-rest"]
    unregister = ("keys", "unregister", "--party", "JPN", "--agreement", "jpn-kor-gsomia")
    stopped(
        root,
        "KOR",
        *[(*unregister, "--key-id", k) for k in (old_document, old_signing, old_encryption)],
        ("keys", "rotate", "--kind", "at-rest"),
    )
    with pytest.raises(IntegrityError):
        present(root, api, old_transfer)  # signed with the old document key
    back = provided(api, "KOR", "JPN", b"from KOR after the unregistering")
    envelope = Envelope.from_bytes(decode_parts(root)[0])
    (wrap,) = [w for w in envelope.wrapped_keys if w.holder == "JPN"]
    assert wrap.holder_key_id.hex() == jpn_now["encryption"]
    assert wrap.holder_key_id.hex() != old_encryption
    assert opened(api["JPN"], back) == b"from KOR after the unregistering"
    keys = gsomia(root, "KOR", "keys", "list")["own"]
    at_rest = [k["key_id"] for k in keys if k["kind"] == "at-rest"]
    assert len(at_rest) == 1 and at_rest != [old_at_rest]
    assert opened(api["KOR"], before) == b"sealed before the rotation"

    # USA seals its keyring and node keys under a new master secret.
    new_secret = root / "secrets" / "USA.new"
    new_secret.write_text(MasterSecret.generate())
    new_secret.chmod(0o600)
    stop_node(root, "USA")
    gsomia(root, "USA", "node", "rotate-secret", "--new-secret-file", str(new_secret))
    new_secret.replace(root / "secrets" / "USA")
    start_node(root, "USA", wait=90)
    assert api["USA"].get("/v1/items").status_code == 200

    assert {"key.rotated"} <= events(api["JPN"])
    assert {"key.unregistered", "key.rotated", "key.rewrapped", "key.retired"} <= events(api["KOR"])
    assert "secret.rotated" in events(api["USA"])


def decode_parts(root: Path) -> tuple[bytes, ...]:
    """The parts of KOR's latest transfer (read as JPN, its recipient, would)."""
    secret = MasterSecret.from_text((root / "secrets" / "JPN").read_text())
    from gsomia.bootstrap import open_node

    jpn = open_node(root / "jpn", master=secret)
    try:
        return decode(jpn.ctx.keyring, outbox_transfer(root, "KOR")).parts
    finally:
        jpn.ctx.store.close()
