"""The ledger audited by Go's ``golang.org/x/mod/sumdb/note`` and ``sumdb/tlog`` (Debian's
``golang-golang-x-mod-dev``), reading only the node's C2SP tlog-tiles endpoints over a
real socket: the latest checkpoint's signature, an inclusion proof of an entry read from its
bundle and a consistency proof from an older signed checkpoint. ``TileHashReader`` checks
every tile it reads against the signed root, so a wrong tile fails too.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import httpx
import pytest

from gsomia.services.plumbing.tlog import LogTiles
from tests.support.interop import REPO, serve, tool
from tests.support.workflows import build, officer

SOURCE = Path(__file__).with_name("goverifier")


@pytest.fixture(scope="module")
def verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The Go verifier, built against Debian's packages (GOPATH mode, no network)."""
    go = tool("go", "Go (Debian golang-go)")
    if not (Path("/usr/share/gocode/src/golang.org/x/mod/sumdb/tlog")).is_dir():
        tool(".venv-go/missing-golang-golang-x-mod-dev", "Debian golang-golang-x-mod-dev")
    out = tmp_path_factory.mktemp("go") / "goverifier"
    env = {
        **os.environ,
        "GOPATH": "/usr/share/gocode",
        "GO111MODULE": "off",
        "GOFLAGS": "",
        "GOPROXY": "off",
        "GOCACHE": str(REPO / ".venv-go" / "cache"),
    }
    subprocess.run(
        [str(go), "build", "-o", str(out), "."], cwd=SOURCE, env=env, check=True, timeout=300
    )
    return out


def run(verifier: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(verifier), *args], capture_output=True, text=True, timeout=120, check=False
    )
    print(done.stdout, done.stderr)
    return done


def test_go_sumdb_checks_checkpoint_inclusion_and_consistency(
    tmp_path: Path, verifier: Path
) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    node = world["KOR"]
    world.provide(contents=tuple(f"a{i}".encode() for i in range(300)))
    world.drain()
    node.audit.checkpoint(now=world.clock.now())
    old = tmp_path / "old-checkpoint"
    old.write_text(LogTiles(node.ctx).checkpoint(), encoding="utf-8")
    world.later(minutes=1)
    world.provide(contents=tuple(f"b{i}".encode() for i in range(150)))
    world.drain()
    node.audit.checkpoint(now=world.clock.now())
    size = node.ctx.store.ledger.size()
    assert size > 2 * 256  # full and partial level-0 tiles, a partial level-1 tile
    own_key = node.trusted_key_lines()[0]
    served = serve(node, officer("KOR"))
    try:
        for index in (0, 257, size - 1):
            done = run(verifier, served.url, served.token, own_key, str(old), str(index))
            assert done.returncode == 0, done.stderr
            assert f"inclusion ok: entry {index}" in done.stdout
            assert "consistency ok" in done.stdout
        # Another party's key does not verify this log's checkpoint.
        partner_key = world["JPN"].trusted_key_lines()[0]
        refused = run(verifier, served.url, served.token, partner_key, str(old), "0")
        assert refused.returncode == 1 and "checkpoint" in refused.stderr
    finally:
        served.server.stop()


def test_tiles_past_the_checkpoint_and_aliases_are_not_served(tmp_path: Path) -> None:
    world = build(tmp_path, parties=("JPN", "KOR"))
    node = world["KOR"]
    world.provide(contents=tuple(f"a{i}".encode() for i in range(10)))
    world.drain()
    node.audit.checkpoint(now=world.clock.now())
    size = node.ctx.store.ledger.size()
    world.provide(contents=(b"after the checkpoint",))
    world.drain()
    served = serve(node, officer("KOR"))
    auth = {"Authorization": f"Bearer {served.token}"}
    base = f"{served.url}/tlog/"
    try:
        with httpx.Client() as client:
            ok = client.get(f"{base}tile/0/000.p/{size}", headers=auth)
            assert ok.status_code == 200 and len(ok.content) == 32 * size
            assert client.get(f"{base}tile/0/000.p/{size + 1}", headers=auth).status_code == 404
            assert client.get(f"{base}tile/0/000", headers=auth).status_code == 404
            assert client.get(f"{base}tile/0/x000/000.p/1", headers=auth).status_code == 400
            assert client.get(f"{base}tile/entries/000.p/2", headers=auth).status_code == 200
            assert client.get(f"{base}checkpoint").status_code == 401
    finally:
        served.server.stop()
