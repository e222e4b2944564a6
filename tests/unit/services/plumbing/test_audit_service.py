"""The audit service over the memory store: record, checkpoint, verify, prove, witness."""

from __future__ import annotations

import base64
import copy
import json
from datetime import timedelta
from typing import Any

import pytest

from gsomia.adapters.storage.memory_ledger import MemoryLedgerStore
from gsomia.errors import (
    ConfigError,
    ConflictError,
    InputError,
    IntegrityError,
    UnknownName,
    WitnessAlarm,
)
from gsomia.ledger.checkpoint import Checkpoint, sign_checkpoint
from gsomia.ledger.entries import Event
from gsomia.services.plumbing.audit import AuditService, Check, check_proof
from tests.support.ledger import (
    ITEM,
    JPN,
    JPN_LOG,
    KOR,
    KOR_LOG,
    OTHER_ITEM,
    T0,
    entry,
    service,
    trusted,
)


@pytest.fixture
def jpn() -> AuditService:
    return service(MemoryLedgerStore(origin=JPN_LOG), JPN)


@pytest.fixture
def kor() -> AuditService:
    return service(MemoryLedgerStore(origin=KOR_LOG), KOR)


def fill(node: AuditService, n: int = 10) -> None:
    node.record([entry(Event.ITEM_PROVIDED, ITEM, minutes=i) for i in range(n // 2)])
    node.record([entry(Event.CONSENT_ASKED, OTHER_ITEM, minutes=i) for i in range(n - n // 2)])


def test_record_checkpoint_verify(jpn: AuditService) -> None:
    fill(jpn)
    note = jpn.checkpoint(now=T0)
    assert note.text.startswith(f"{JPN_LOG}\n10\n")
    assert jpn.checkpoint(now=T0 + timedelta(minutes=1)) == note
    jpn.record([entry(Event.ITEM_OPENED)])
    jpn.checkpoint(now=T0 + timedelta(minutes=2))
    jpn.record([entry(Event.ITEM_DESTROYED)])
    seen: list[Check] = []
    report = jpn.verify_all(on_check=seen.append)
    assert report.entries == 12 and report.checkpoints == 2 and not report.failures
    assert {c.name for c in seen} >= {"signatures", "leaves", "leaf-hashes", "consistency"}
    assert any(c.name == "coverage" and "1 entries" in c.detail for c in seen)


def test_unsigned_entries_fail_the_audit_and_an_empty_log_passes(jpn: AuditService) -> None:
    assert jpn.verify_all().entries == 0
    fill(jpn, 3)
    with pytest.raises(IntegrityError, match="no signed checkpoint"):
        jpn.verify_all()


def test_a_node_without_keys_cannot_sign_or_cosign() -> None:
    node = AuditService(store=MemoryLedgerStore(origin=JPN_LOG), trusted=trusted())
    with pytest.raises(ConfigError):
        node.checkpoint(now=T0)
    with pytest.raises(ConfigError):
        node.cosign(note="", old_size=0, proof=[], now=T0)


def test_the_node_refuses_to_sign_a_tree_that_does_not_extend_its_last_checkpoint(
    jpn: AuditService,
) -> None:
    store = MemoryLedgerStore(origin=JPN_LOG)
    node = service(store, JPN)
    fill(node, 4)
    forged = sign_checkpoint(Checkpoint(origin=JPN_LOG, size=2, root=b"\x07" * 32), JPN.signer)
    store.add_checkpoint(size=2, note=forged.to_text(), created_at=T0)
    with pytest.raises(IntegrityError):
        node.checkpoint(now=T0)
    with pytest.raises(IntegrityError, match="do not rehash"):
        node.verify_all()


def test_show_by_item_and_latest(jpn: AuditService) -> None:
    fill(jpn)
    about = jpn.show(item_id=ITEM)
    assert [i for i, _ in about] == [0, 1, 2, 3, 4]
    assert all(e.item_id == ITEM for _, e in about)
    assert [i for i, _ in jpn.show(limit=3)] == [7, 8, 9]
    assert jpn.show(item_id="f" * 32) == []


def proven(jpn: AuditService, kor: AuditService) -> dict[str, Any]:
    fill(jpn)
    jpn.checkpoint(now=T0)
    note, proof = jpn.witness_request(old_size=0)
    jpn.attach_cosignature(size=10, line=kor.cosign(note=note, old_size=0, proof=proof, now=T0))
    jpn.record([entry(Event.ITEM_OPENED)])
    return jpn.prove(ITEM)


def test_a_proof_document_checks_offline_with_a_quorum(
    jpn: AuditService, kor: AuditService
) -> None:
    document = proven(jpn, kor)
    assert [e["index"] for e in document["entries"]] == [0, 1, 2, 3, 4]
    checked = check_proof(json.dumps(document), trusted=trusted(), quorum=1)
    assert checked.tree_size == 10 and checked.log_key == JPN_LOG
    assert [name for name, _ in checked.cosigners] == [KOR.cosigner.name]
    assert [e.event for _, e in checked.entries] == [Event.ITEM_PROVIDED] * 5
    with pytest.raises(IntegrityError):
        check_proof(document, trusted=trusted(), quorum=2)
    with pytest.raises(IntegrityError):
        check_proof(document, trusted=[])


def flip(text: str) -> str:
    raw = bytearray(base64.b64decode(text))
    raw[-1] ^= 1
    return base64.b64encode(bytes(raw)).decode()


TAMPERINGS = {
    "entry byte": lambda d: d["entries"][0].update(entry=flip(d["entries"][0]["entry"])),
    "index": lambda d: d["entries"][0].update(index=1),
    "proof hash": lambda d: d["entries"][0]["proof"].__setitem__(
        0, flip(d["entries"][0]["proof"][0])
    ),
    "proof shortened": lambda d: d["entries"][0]["proof"].pop(),
    "tree size": lambda d: d.update(tree_size=11),
    "root": lambda d: d.update(root=flip(d["root"])),
    "checkpoint": lambda d: d.update(checkpoint=d["checkpoint"].replace("\n10\n", "\n11\n")),
    "origin": lambda d: d.update(origin=KOR_LOG),
    "item": lambda d: d.update(item=OTHER_ITEM),
    "format": lambda d: d.update(format="gsomia/inclusion-proof-v2"),
    "no entries": lambda d: d.update(entries=[]),
    "entry member": lambda d: d["entries"][0].update(extra=1),
}


@pytest.mark.parametrize("tamper", TAMPERINGS.values(), ids=TAMPERINGS.keys())
def test_any_change_to_a_proof_document_is_rejected(
    jpn: AuditService, kor: AuditService, tamper: Any
) -> None:
    document = proven(jpn, kor)
    bad = copy.deepcopy(document)
    tamper(bad)
    with pytest.raises(IntegrityError):
        check_proof(bad, trusted=trusted())


def test_proving_needs_a_checkpoint_and_a_known_item(jpn: AuditService) -> None:
    with pytest.raises(UnknownName):
        jpn.prove(ITEM)
    fill(jpn)
    jpn.checkpoint(now=T0)
    with pytest.raises(UnknownName):
        jpn.prove("f" * 32)


def test_witnessing_follows_the_log_and_alarms_on_a_fork(
    jpn: AuditService, kor: AuditService
) -> None:
    fill(jpn)
    jpn.checkpoint(now=T0)
    note, proof = jpn.witness_request(old_size=0)
    first = kor.cosign(note=note, old_size=0, proof=proof, now=T0)
    assert first.startswith(f"\u2014 {KOR.cosigner.name} ")
    jpn.record([entry(Event.ITEM_COPIED)])
    jpn.checkpoint(now=T0)
    with pytest.raises(ConflictError):
        kor.cosign(note=jpn.witness_request(old_size=3)[0], old_size=3, proof=[], now=T0)
    note, proof = jpn.witness_request(old_size=10)
    jpn.attach_cosignature(size=11, line=kor.cosign(note=note, old_size=10, proof=proof, now=T0))
    assert not jpn.verify_all().failures

    forger = service(MemoryLedgerStore(origin=JPN_LOG), JPN)
    forger.record([entry(Event.ITEM_DESTROYED)] * 11)
    forged = forger.checkpoint(now=T0).to_text()
    with pytest.raises(WitnessAlarm, match="fork"):
        kor.cosign(note=forged, old_size=11, proof=[], now=T0 + timedelta(hours=1))
    alarm = kor.alarms()[-1]
    assert alarm.finding == "fork" and alarm.origin == JPN_LOG
    evidence = json.loads(alarm.evidence)
    assert evidence["presented"] == forged and evidence["cosigned"] == note


def test_rollback_and_unprovable_growth_are_alarms(jpn: AuditService, kor: AuditService) -> None:
    fill(jpn)
    small = jpn.checkpoint(now=T0).to_text()
    jpn.record([entry(Event.ITEM_COPIED)] * 5)
    jpn.checkpoint(now=T0)
    note, proof = jpn.witness_request(old_size=0)
    kor.cosign(note=note, old_size=0, proof=proof, now=T0)
    with pytest.raises(WitnessAlarm, match="rollback"):
        kor.cosign(note=small, old_size=15, proof=[], now=T0)
    jpn.record([entry(Event.ITEM_RETURNED)])
    grown = jpn.checkpoint(now=T0).to_text()
    with pytest.raises(WitnessAlarm, match="inconsistent"):
        kor.cosign(note=grown, old_size=15, proof=[b"\x00" * 32], now=T0)
    assert [a.finding for a in kor.alarms()] == ["rollback", "inconsistent"]


def test_a_witness_refuses_untrusted_and_own_checkpoints(jpn: AuditService) -> None:
    fill(jpn)
    note = jpn.checkpoint(now=T0).to_text()
    stranger = AuditService(
        store=MemoryLedgerStore(origin=KOR_LOG),
        trusted=[],
        signer=KOR.signer,
        cosigner=KOR.cosigner,
    )
    with pytest.raises(IntegrityError):
        stranger.cosign(note=note, old_size=0, proof=[], now=T0)
    with pytest.raises(InputError):
        jpn.cosign(note=note, old_size=0, proof=[], now=T0)


def test_cosignature_lines_are_checked_before_they_are_stored(
    jpn: AuditService, kor: AuditService
) -> None:
    fill(jpn)
    jpn.checkpoint(now=T0)
    note, proof = jpn.witness_request(old_size=0)
    line = kor.cosign(note=note, old_size=0, proof=proof, now=T0)
    with pytest.raises(UnknownName):
        jpn.attach_cosignature(size=9, line=line)
    bad = line[:-6] + ("A" if line[-6] != "A" else "B") + line[-5:]
    with pytest.raises(IntegrityError):
        jpn.attach_cosignature(size=10, line=bad)
    with pytest.raises(IntegrityError):
        jpn.attach_cosignature(size=10, line=note.splitlines()[-1])
    assert jpn.attach_cosignature(size=10, line=line) == KOR.cosigner.name
    with pytest.raises(InputError):
        jpn.witness_request(old_size=11)
