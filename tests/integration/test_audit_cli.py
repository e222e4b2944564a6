"""``gsomia audit``: a node home on disk, then tampering with its database file by hand."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from gsomia.adapters.storage.memory_ledger import MemoryLedgerStore
from gsomia.adapters.storage.sql.ledger import SqlLedgerStore
from gsomia.cli.audit import app, node_home
from gsomia.errors import IntegrityError
from gsomia.ledger.entries import Event
from gsomia.ledger.tiles import decode_bundle, encode_bundle
from tests.support.ledger import (
    ITEM,
    JPN,
    JPN_LOG,
    KOR,
    KOR_LOG,
    T0,
    entry,
    service,
    trusted_keys_text,
)

runner = CliRunner()


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A JPN node home: 700 entries, two checkpoints, the first cosigned by KOR's witness."""
    where = node_home(tmp_path / "jpn")
    store = SqlLedgerStore.open_sqlite(where.database, origin=JPN_LOG)
    jpn = service(store, JPN)
    kor = service(MemoryLedgerStore(origin=KOR_LOG), KOR)
    for batch in range(5):
        asked = [entry(Event.CONSENT_ASKED, None, minutes=100 * batch + i) for i in range(99)]
        jpn.record([*asked, entry(minutes=batch)])
    jpn.checkpoint(now=T0)
    note, proof = jpn.witness_request(old_size=0)
    jpn.attach_cosignature(size=500, line=kor.cosign(note=note, old_size=0, proof=proof, now=T0))
    given = [entry(Event.CONSENT_GIVEN, None, minutes=1000 + i) for i in range(199)]
    jpn.record([entry(Event.ITEM_OPENED, minutes=9), *given])
    jpn.checkpoint(now=T0)
    store.close()
    where.trusted_keys.write_text(trusted_keys_text(), encoding="utf-8")
    return where.path


def audit(*args: str) -> tuple[int, str, BaseException | None]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output, result.exception


def verify_json(home: Path) -> tuple[int, dict[str, object], BaseException | None]:
    code, out, exc = audit("verify", "--home", str(home), "--json")
    return code, json.loads(out), exc


def test_an_untouched_ledger_verifies(home: Path) -> None:
    code, out, exc = audit("verify", "--home", str(home))
    assert code == 0 and exc is None
    assert "all checks passed" in out and "700 entries" in out
    code, report, _ = verify_json(home)
    assert code == 0 and report["ok"] is True
    names = {c["name"] for c in report["checks"]}  # type: ignore[attr-defined]
    assert {"signatures", "leaves", "leaf-hashes", "consistency"} <= names


def test_show_prove_and_check_proof(home: Path, tmp_path: Path) -> None:
    code, out, _ = audit("show", "--home", str(home), "--item", ITEM, "--json")
    shown = json.loads(out)
    assert code == 0 and [e["index"] for e in shown] == [99, 199, 299, 399, 499, 500]
    assert shown[-1]["event"] == "item.opened"
    proof_file = tmp_path / "proof.json"
    code, out, _ = audit("prove", ITEM, "--home", str(home), "--out", str(proof_file), "--json")
    assert code == 0 and json.loads(out)["entries"] == 6
    code, out, exc = audit("check-proof", str(proof_file), "--home", str(home), "--json")
    assert code == 0 and exc is None
    checked = json.loads(out)
    assert checked["tree_size"] == 700 and checked["log_key"] == JPN_LOG
    assert checked["cosigners"] == []
    document = json.loads(proof_file.read_text())
    document["entries"][0]["index"] = 98
    proof_file.write_text(json.dumps(document))
    code, _, exc = audit("check-proof", str(proof_file), "--home", str(home))
    assert code != 0 and isinstance(exc, IntegrityError)


def test_alarms_list_is_empty(home: Path) -> None:
    code, out, _ = audit("alarms", "--home", str(home), "--json")
    assert code == 0 and json.loads(out) == []


def run_rows(db: Path) -> list[tuple[int, int, bytes, bytes]]:
    with sqlite3.connect(db) as con:
        return con.execute(
            "SELECT start, count, entries, hashes FROM ledger_runs ORDER BY start"
        ).fetchall()


def change_entry(con: sqlite3.Connection, start: int, count: int, blob: bytes) -> None:
    entries = decode_bundle(blob)
    entries[3] = entries[3].replace(b"consent.asked", b"consent.given")
    con.execute(
        "UPDATE ledger_runs SET entries = ? WHERE start = ?", (encode_bundle(entries), start)
    )


def delete_entry(con: sqlite3.Connection, start: int, count: int, blob: bytes) -> None:
    entries = decode_bundle(blob)
    del entries[5]
    con.execute(
        "UPDATE ledger_runs SET entries = ?, count = ? WHERE start = ?",
        (encode_bundle(entries), count - 1, start),
    )


def delete_run(con: sqlite3.Connection, start: int, count: int, blob: bytes) -> None:
    con.execute("DELETE FROM ledger_runs WHERE start = ?", (start,))


def reorder_entries(con: sqlite3.Connection, start: int, count: int, blob: bytes) -> None:
    entries = decode_bundle(blob)
    entries[0], entries[-1] = entries[-1], entries[0]
    con.execute(
        "UPDATE ledger_runs SET entries = ? WHERE start = ?", (encode_bundle(entries), start)
    )


def change_leaf_hash(con: sqlite3.Connection, start: int, count: int, blob: bytes) -> None:
    hashes = con.execute("SELECT hashes FROM ledger_runs WHERE start = ?", (start,)).fetchone()[0]
    con.execute(
        "UPDATE ledger_runs SET hashes = ? WHERE start = ?", (b"\x00" * 32 + hashes[32:], start)
    )


def change_checkpoint(con: sqlite3.Connection, start: int, count: int, blob: bytes) -> None:
    note = con.execute("SELECT note FROM ledger_checkpoints WHERE size = 500").fetchone()[0]
    con.execute(
        "UPDATE ledger_checkpoints SET note = ? WHERE size = 500",
        (note.replace("\n500\n", "\n499\n"),),
    )


def drop_cosignature_byte(con: sqlite3.Connection, start: int, count: int, blob: bytes) -> None:
    line = con.execute("SELECT line FROM ledger_cosignatures").fetchone()[0]
    con.execute("UPDATE ledger_cosignatures SET line = ?", (line[:-8] + "AAAAAAA\n",))


TAMPERING: dict[str, tuple[Callable[[sqlite3.Connection, int, int, bytes], None], str]] = {
    "change an entry": (change_entry, "leaves"),
    "delete an entry": (delete_entry, "leaves"),
    "delete a run of entries": (delete_run, "leaves"),
    "reorder entries": (reorder_entries, "leaves"),
    "change a stored leaf hash": (change_leaf_hash, "leaf-hashes"),
    "change a checkpoint": (change_checkpoint, "signatures"),
    "change a cosignature": (drop_cosignature_byte, "signatures"),
}


@pytest.mark.parametrize("how", TAMPERING, ids=list(TAMPERING))
def test_tampering_with_the_database_file_is_reported(home: Path, how: str) -> None:
    tamper, failing_check = TAMPERING[how]
    db = node_home(home).database
    start, count, blob, _ = run_rows(db)[2]
    with sqlite3.connect(db) as con:
        tamper(con, start, count, blob)
    code, report, exc = verify_json(home)
    assert code != 0 and isinstance(exc, IntegrityError)
    failed = {c["name"] for c in report["checks"] if not c["ok"]}  # type: ignore[attr-defined]
    assert failing_check in failed, report
    code, out, _ = audit("verify", "--home", str(home))
    assert code != 0 and "FAIL" in out


def test_a_missing_home_or_keys_file_is_a_clear_error(home: Path, tmp_path: Path) -> None:
    code, _, exc = audit("verify", "--home", str(tmp_path / "nowhere"))
    assert code != 0 and "node database" in str(exc)
    node_home(home).trusted_keys.unlink()
    code, _, exc = audit("verify", "--home", str(home))
    assert code != 0 and "trusted keys" in str(exc)


def test_the_home_defaults_to_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("GSOMIA_HOME", str(tmp_path))
    assert node_home().database == tmp_path / "node.db"
    monkeypatch.delenv("GSOMIA_HOME")
    assert node_home().path == Path(".gsomia")
