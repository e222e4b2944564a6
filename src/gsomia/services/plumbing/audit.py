"""The audit service: record acts, sign checkpoints, verify the ledger, prove, and witness.

One node keeps one log of every act under its agreements (:mod:`gsomia.ledger.entries`).
This service is the only way in and out of it for the edges:

* :meth:`AuditService.record` appends entries (sequencing: committed, not yet signed);
* :meth:`AuditService.checkpoint` integrates them and signs a C2SP checkpoint, after
  checking that the new tree extends the last one signed (a log never forks itself);
* :meth:`AuditService.verify_all` re-derives everything from the stored entries and checks
  it against the signed checkpoints and their cosignatures;
* :meth:`AuditService.prove` writes a self-contained inclusion-proof document, and
  :func:`check_proof` verifies one offline;
* :meth:`AuditService.cosign` witnesses a partner's checkpoint (C2SP tlog-witness), raising
  and persisting an alarm when the partner's log forks or rolls back;
  :meth:`AuditService.witness_request` and :meth:`AuditService.attach_cosignature` are the
  other side of that exchange.

Time is always passed in (``now``); keys come in as Protocol objects.
"""

from __future__ import annotations

import base64
import itertools
import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from gsomia.errors import ConfigError, GsomiaError, InputError, IntegrityError, UnknownName
from gsomia.ledger.checkpoint import (
    COSIGNATURE_V1,
    Checkpoint,
    CosignatureSigner,
    NoteSignature,
    NoteSigner,
    NoteVerifier,
    SignedNote,
    VerifiedCheckpoint,
    cosign_checkpoint,
    open_checkpoint,
    sign_checkpoint,
)
from gsomia.ledger.entries import LedgerEntry
from gsomia.ledger.merkle import leaf_hash, verify_consistency, verify_inclusion
from gsomia.ledger.proofs import CheckedProof, ProvenEntry, check_proof_document, proof_document
from gsomia.ledger.tiles import CompactRange, integrate
from gsomia.ledger.witness import WitnessedState, judge
from gsomia.ports.ledger import AlarmRecord, CheckpointRecord, LedgerStore, WitnessRecord

__all__ = ["AuditReport", "AuditService", "Check", "check_proof"]

_logger = logging.getLogger(__name__)
_CHUNK = 1 << 16


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One audit check: what was checked, whether it held, and a sentence of detail."""

    name: str
    ok: bool
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuditReport:
    """Everything :meth:`AuditService.verify_all` checked."""

    origin: str
    entries: int
    checkpoints: int
    checks: tuple[Check, ...]

    @property
    def failures(self) -> tuple[Check, ...]:
        """The checks that did not hold."""
        return tuple(c for c in self.checks if not c.ok)


def check_proof(
    document: str | bytes | dict[str, Any], *, trusted: Sequence[NoteVerifier], quorum: int = 0
) -> CheckedProof:
    """Verify an inclusion-proof document offline (see :mod:`gsomia.ledger.proofs`).

    Raises :class:`IntegrityError` unless the log's key and ``quorum`` witnesses signed the
    checkpoint and every entry is in its tree.
    """
    return check_proof_document(document, verifiers=trusted, quorum=quorum)


class AuditService:
    """The node's ledger: recording, checkpointing, auditing, proving and witnessing."""

    def __init__(
        self,
        *,
        store: LedgerStore,
        trusted: Sequence[NoteVerifier] = (),
        signer: NoteSigner | None = None,
        cosigner: CosignatureSigner | None = None,
    ) -> None:
        self._store = store
        self._signer = signer
        self._cosigner = cosigner
        # A node trusts its own keys, whatever else it trusts.
        own = [k.verifier() for k in (signer, cosigner) if k is not None]
        self._trusted: list[NoteVerifier] = [*trusted, *own]

    @property
    def origin(self) -> str:
        """The node's log origin."""
        return self._store.origin

    # Recording and checkpointing.

    def record(self, entries: Sequence[LedgerEntry]) -> int:
        """Append ``entries`` in one transaction; the index of the first.

        Raises :class:`StorageError` when the store fails (nothing was appended).
        """
        data = [entry.to_bytes() for entry in entries]
        return self._store.append_batch(data, keys=[entry.item_id for entry in entries])

    def checkpoint(self, *, now: datetime) -> SignedNote:
        """Integrate, then sign and store a checkpoint of the whole log (C2SP tlog-checkpoint).

        Returns the latest checkpoint unchanged when nothing was appended since. Raises
        :class:`ConfigError` without a signing key, and :class:`IntegrityError` when the stored
        tree does not extend the last checkpoint signed: the node then refuses to sign.
        """
        if self._signer is None:
            raise ConfigError("this node has no checkpoint signing key")
        size = self._store.integrate()
        root = self._store.root(size)
        latest = self._store.latest_checkpoint()
        if latest is not None:
            previous = self._own(latest)
            if previous.checkpoint.size == size and previous.checkpoint.root == root:
                return previous.note
            self._check_extends(previous.checkpoint, size, root)
        note = sign_checkpoint(Checkpoint(origin=self.origin, size=size, root=root), self._signer)
        self._store.add_checkpoint(size=size, note=note.to_text(), created_at=now)
        _logger.info("signed checkpoint %s at size %d", self.origin, size)
        return note

    def _own(self, record: CheckpointRecord) -> VerifiedCheckpoint:
        note = SignedNote.parse(record.note)
        return open_checkpoint(note, verifiers=self._trusted, origin=self.origin)

    def _check_extends(self, previous: Checkpoint, size: int, root: bytes) -> None:
        if previous.size > size:
            raise IntegrityError(
                f"the log holds {size} entries, fewer than signed ({previous.size})"
            )
        verify_consistency(
            old_size=previous.size,
            new_size=size,
            old_root=previous.root,
            new_root=root,
            proof=self._store.consistency_proof(previous.size, size),
        )

    # Auditing.

    def verify_all(self, *, on_check: Callable[[Check], None] | None = None) -> AuditReport:
        """Re-derive the tree from every stored entry and check it against what was signed.

        Checks that every entry rehashes to its stored leaf hash and, folded into a tree,
        to the root of every signed checkpoint; that consecutive checkpoints are consistent;
        that the stored tiles give the latest root; and that every signature and cosignature
        verifies with a trusted key. Each check is passed to ``on_check`` as it completes.
        Returns the report; raises :class:`IntegrityError` naming every failed check.
        """
        checks: list[Check] = []

        def note(name: str, ok: bool, detail: str) -> None:
            check = Check(name=name, ok=ok, detail=detail)
            checks.append(check)
            if on_check is not None:
                on_check(check)

        records = self._store.checkpoints()
        signed = self._check_signatures(records, note)
        size = self._check_entries(signed, note)
        self._check_consistency(signed, note)
        report = AuditReport(
            origin=self.origin, entries=size, checkpoints=len(records), checks=tuple(checks)
        )
        if report.failures:
            raise IntegrityError(
                "ledger verification failed: " + "; ".join(c.detail for c in report.failures)
            )
        return report

    def _check_signatures(
        self, records: Sequence[CheckpointRecord], note: Callable[[str, bool, str], None]
    ) -> list[Checkpoint]:
        signed, cosigs, bad = [], 0, []
        for record in records:
            try:
                checkpoint = self._own(record).checkpoint
                if checkpoint.size != record.size:
                    raise IntegrityError(
                        f"checkpoint stored as size {record.size} says {checkpoint.size}"
                    )
                signed.append(checkpoint)
                for line in record.cosignatures:
                    self._verify_cosignature(checkpoint, line)
                    cosigs += 1
            except GsomiaError as exc:
                bad.append(f"checkpoint {record.size}: {exc}")
        ok = not bad
        detail = (
            f"{len(signed)} checkpoint signatures and {cosigs} cosignatures verify"
            if ok
            else "; ".join(bad)
        )
        note("signatures", ok, detail)
        return signed

    def _verify_cosignature(self, checkpoint: Checkpoint, line: str) -> str:
        sig = NoteSignature.parse_line(line.rstrip("\n"))
        for verifier in self._trusted:
            if (verifier.name, verifier.key_hash) == (sig.name, sig.key_hash):
                if verifier.signature_type != COSIGNATURE_V1:
                    break
                verifier.verify(checkpoint.body().encode(), sig.signature)
                return sig.name
        raise IntegrityError(f"cosignature by {sig.name} is not from a trusted witness key")

    def _check_entries(
        self, signed: Sequence[Checkpoint], note: Callable[[str, bool, str], None]
    ) -> int:
        size = self._store.size()
        targets = {c.size: c.root for c in signed}
        stops = sorted({size, *range(_CHUNK, size, _CHUNK), *(t for t in targets if t <= size)})
        compact, malformed, matched = CompactRange(), 0, 0
        changed: list[int] = []
        wrong_root: int | None = None
        entries = self._store.iter_entries(0, size)
        try:
            for stop in (s for s in stops if s > 0):
                batch = list(itertools.islice(entries, stop - compact.size))
                if len(batch) != stop - compact.size:
                    raise IntegrityError(f"fewer entries than the log's size {size}")
                hashes = [leaf_hash(e) for e in batch]
                malformed += _count_malformed(batch)
                stored = self._store.leaf_hashes(compact.size, stop)
                changed += [
                    compact.size + i
                    for i, (a, b) in enumerate(zip(hashes, stored, strict=True))
                    if a != b
                ]
                compact = integrate(compact, hashes).compact
                if stop in targets and wrong_root is None:
                    if compact.root() == targets[stop]:
                        matched += 1
                    else:
                        wrong_root = stop
        except IntegrityError as exc:
            note("leaves", False, f"entries cannot be read back: {exc}")
            return size
        note("leaf-hashes", not changed, _changed_text(changed))
        note("entry-format", malformed == 0, f"{malformed} entries are not ledger-entry-v1")
        latest = signed[-1].size if signed else 0
        if wrong_root is not None:
            where = f" (first changed: entry {changed[0]})" if changed else ""
            note(
                "leaves",
                False,
                f"entries 0..{wrong_root - 1} do not rehash to checkpoint {wrong_root}{where}",
            )
        elif latest > size:
            note("leaves", False, f"checkpoint {latest} covers more entries than the {size} stored")
        elif size and not signed:
            note("leaves", False, f"no signed checkpoint covers the {size} entries")
        else:
            note("leaves", True, f"{size} entries rehash to the roots of {matched} checkpoints")
            if size > latest:
                note(
                    "coverage",
                    True,
                    f"{size - latest} entries after checkpoint {latest} await signing",
                )
        return size

    def _check_consistency(
        self, signed: Sequence[Checkpoint], note: Callable[[str, bool, str], None]
    ) -> None:
        try:
            for old, new in itertools.pairwise(signed):
                verify_consistency(
                    old_size=old.size,
                    new_size=new.size,
                    old_root=old.root,
                    new_root=new.root,
                    proof=self._store.consistency_proof(old.size, new.size),
                )
            if signed and self._store.root(signed[-1].size) != signed[-1].root:
                raise IntegrityError("the stored tree tiles give another root")
        except (IntegrityError, IndexError) as exc:
            note("consistency", False, f"checkpoints are not consistent: {exc}")
            return
        pairs = max(len(signed) - 1, 0)
        note("consistency", True, f"{pairs} consecutive checkpoint pairs are consistent")

    # Reading and proving.

    def show(
        self, *, item_id: str | None = None, limit: int | None = None
    ) -> list[tuple[int, LedgerEntry]]:
        """Entries with their indices: those about ``item_id``, or the last ``limit``."""
        if item_id is not None:
            found = []
            for index in self._store.find(item_id):
                entry = LedgerEntry.from_bytes(self._store.entries(index, index + 1)[0])
                if entry.item_id == item_id:
                    found.append((index, entry))
            return found
        size = self._store.size()
        start = 0 if limit is None else max(size - limit, 0)
        return [
            (start + i, LedgerEntry.from_bytes(data))
            for i, data in enumerate(self._store.iter_entries(start, size))
        ]

    def prove(self, item_id: str) -> dict[str, Any]:
        """An inclusion-proof-v1 document for every checkpointed entry about ``item_id``.

        Raises :class:`UnknownName` when no signed checkpoint covers an entry about it, and
        :class:`IntegrityError` when the store cannot prove what it signed.
        """
        record = self._store.latest_checkpoint()
        if record is None:
            raise UnknownName(kind="signed checkpoint", name=self.origin)
        verified = self._own(record)
        note = verified.note.with_signatures(
            NoteSignature.parse_line(line.rstrip("\n")) for line in record.cosignatures
        )
        size, root = verified.checkpoint.size, verified.checkpoint.root
        proven = []
        for index in (i for i in self._store.find(item_id) if i < size):
            data = self._store.entries(index, index + 1)[0]
            if LedgerEntry.from_bytes(data).item_id != item_id:
                raise IntegrityError(
                    f"the item index points at entry {index}, which is not about it"
                )
            proof = self._store.inclusion_proof(index, size)
            verify_inclusion(
                leaf_hash=leaf_hash(data), index=index, tree_size=size, proof=proof, root=root
            )
            proven.append(ProvenEntry(index=index, entry=data, proof=tuple(proof)))
        if not proven:
            raise UnknownName(kind="item in a signed checkpoint", name=item_id)
        return proof_document(
            origin=self.origin,
            item_id=item_id,
            note=note.to_text(),
            tree_size=size,
            root=root,
            entries=proven,
        )

    # Witnessing.

    def witness_request(self, *, old_size: int) -> tuple[str, list[bytes]]:
        """The latest signed checkpoint and a consistency proof from ``old_size``, for a witness.

        Raises :class:`UnknownName` before the first checkpoint, :class:`InputError` when
        ``old_size`` is beyond it.
        """
        record = self._store.latest_checkpoint()
        if record is None:
            raise UnknownName(kind="signed checkpoint", name=self.origin)
        if not 0 <= old_size <= record.size:
            raise InputError(f"old size {old_size} is beyond the latest checkpoint {record.size}")
        return record.note, self._store.consistency_proof(old_size, record.size)

    def cosign(self, *, note: str, old_size: int, proof: Sequence[bytes], now: datetime) -> str:
        """Witness a partner's checkpoint: its cosignature line if it extends the last cosigned.

        Raises :class:`IntegrityError` when no trusted partner log key signed the note,
        :class:`ConflictError` when ``old_size`` is not what this witness last cosigned, and
        :class:`WitnessAlarm` (after persisting an alarm) on a fork or rollback.
        """
        if self._cosigner is None:
            raise ConfigError("this node has no witness cosigning key")
        verified = open_checkpoint(note, verifiers=self._trusted)
        checkpoint = verified.checkpoint
        if checkpoint.origin == self.origin:
            raise InputError("a node does not witness its own log")
        last = self._store.witnessed(checkpoint.origin)
        state = (
            None
            if last is None
            else WitnessedState(origin=last.origin, size=last.size, root=last.root)
        )
        judgement = judge(last=state, checkpoint=checkpoint, old_size=old_size, proof=proof)
        if judgement.alarm:
            self._raise_alarm(
                finding=judgement.finding.value,
                reason=judgement.reason,
                last=last,
                note=note,
                old_size=old_size,
                proof=proof,
                now=now,
            )
        judgement.enforce()
        line = cosign_checkpoint(
            verified.note, self._cosigner, timestamp=int(now.timestamp())
        ).line()
        record = WitnessRecord(
            origin=checkpoint.origin,
            size=checkpoint.size,
            root=checkpoint.root,
            note=note,
            cosigned_at=now,
        )
        self._store.record_witnessed(record, previous_size=None if last is None else last.size)
        return line

    def _raise_alarm(
        self,
        *,
        finding: str,
        reason: str,
        last: WitnessRecord | None,
        note: str,
        old_size: int,
        proof: Sequence[bytes],
        now: datetime,
    ) -> None:
        evidence = {
            "cosigned": None if last is None else last.note,
            "presented": note,
            "old_size": old_size,
            "proof": [base64.b64encode(p).decode() for p in proof],
        }
        origin = Checkpoint.parse(SignedNote.parse(note).text).origin
        alarm = AlarmRecord(
            raised_at=now,
            origin=origin,
            finding=finding,
            message=reason,
            evidence=json.dumps(evidence),
        )
        self._store.add_alarm(alarm)
        _logger.critical("witness alarm for %s: %s", origin, reason)

    def attach_cosignature(self, *, size: int, line: str) -> str:
        """Verify a witness's cosignature of checkpoint ``size`` and store it beside it.

        Returns the cosigner's name. Raises :class:`UnknownName` for an unknown size and
        :class:`IntegrityError` when the line is not a trusted witness's valid cosignature.
        """
        for record in self._store.checkpoints():
            if record.size == size:
                cosigner = self._verify_cosignature(self._own(record).checkpoint, line)
                self._store.add_cosignature(
                    size=size, cosigner=cosigner, line=line.rstrip("\n") + "\n"
                )
                return cosigner
        raise UnknownName(kind="checkpoint size", name=str(size))

    def latest_size(self) -> int:
        """The size of the latest signed checkpoint (0 before the first)."""
        record = self._store.latest_checkpoint()
        return 0 if record is None else record.size

    def witnessed_size(self, origin: str) -> int:
        """The size of ``origin``'s checkpoint this node last cosigned (0 if none)."""
        last = self._store.witnessed(origin)
        return 0 if last is None else last.size

    def size(self) -> int:
        """Entries in the ledger."""
        return self._store.size()

    def checkpoints(self) -> list[CheckpointRecord]:
        """Every checkpoint signed, oldest first."""
        return list(self._store.checkpoints())

    def alarms(self) -> list[AlarmRecord]:
        """Every witness alarm, oldest first."""
        return self._store.alarms()


def _changed_text(changed: Sequence[int]) -> str:
    if not changed:
        return "every entry matches the leaf hash stored when it was appended"
    shown = ", ".join(str(i) for i in changed[:5]) + (", ..." if len(changed) > 5 else "")
    return f"{len(changed)} entries differ from the leaf hash stored at append: {shown}"


def _count_malformed(batch: Sequence[bytes]) -> int:
    bad = 0
    for data in batch:
        try:
            LedgerEntry.from_bytes(data)
        except InputError:
            bad += 1
    return bad
