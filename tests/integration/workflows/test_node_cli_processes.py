"""The node's commands as an operator runs them: real ``python -m gsomia`` processes on node
homes, exit codes from the one error mapping, no traceback, and nothing stored on failure.
(Every command's hostile input is covered in-process by ``test_node_cli.py``; these few
processes check what only a real process shows: the entry point, exit codes, stderr.)"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.cli import code, invoke, make_homes, rows, run

pytestmark = pytest.mark.slow

FOUND = ("--officer", "registrar", "--clearance", "極秘", "--facility", "hq")


def test_a_master_secret_a_known_party_and_a_home_are_required(tmp_path: Path) -> None:
    fresh = run(tmp_path, "node", "secret")
    assert fresh.returncode == 0 and len(fresh.stdout.strip()) >= 43
    missing = run(tmp_path, "node", "init", "--party", "JPN", *FOUND, "--home", "h", secret=None)
    assert missing.returncode == 8 and "master secret" in missing.stderr
    assert "Traceback" not in missing.stderr and not (tmp_path / "h" / "keyring.gsk").exists()
    assert code(invoke(tmp_path / "h", "node", "init", "--party", "XYZ", *FOUND)) == 3
    assert not (tmp_path / "h" / "node.toml").exists()
    assert code(invoke(tmp_path / "nowhere", "inbox", "--as", "nobody")) == 8


def test_an_operator_session_on_a_node_home(tmp_path: Path) -> None:
    make_homes(tmp_path)
    jpn = tmp_path / "jpn"
    assert code(invoke(jpn, "node", "init", "--party", "JPN", *FOUND)) == 7
    (tmp_path / "warning.txt").write_bytes(b"launch point 39.0N 125.7E")
    base = [
        "provide",
        "warning.txt",
        "--to",
        "KOR",
        "--topic",
        "nk-missile",
        "--purpose",
        "w",
        "--as",
        "jpn-officer",
        "--home",
        "jpn",
    ]
    before = rows(jpn)
    refused = run(
        tmp_path, *base, "--level", "機密", "--as", "jpn-officer", "--home", "jpn", "--json"
    )
    assert refused.returncode == 4 and "JK-4.1" in json.loads(refused.stderr)["rule_ids"]
    after = rows(jpn)
    assert {k: after[k] - before[k] for k in after} == {**dict.fromkeys(after, 0), "ledger": 1}
    done = run(tmp_path, *base, "--level", "極秘", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["route"] == ["JPN", "KOR"]
    sent = run(tmp_path, "inbox", "--state", "sent", "--as", "jpn-officer", "--home", "jpn")
    assert sent.returncode == 0 and "極秘" in sent.stdout and "sent" in sent.stdout
