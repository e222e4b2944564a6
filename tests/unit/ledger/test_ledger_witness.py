"""The witness's judgement: cosign what extends, alarm on rollback, fork or inconsistency."""

from __future__ import annotations

import pytest

from gsomia.errors import ConflictError, InputError, WitnessAlarm
from gsomia.ledger import merkle
from gsomia.ledger.checkpoint import Checkpoint
from gsomia.ledger.witness import Finding, WitnessedState, judge

ORIGIN = "kor.gsomia.example/ledger"
LEAVES = [merkle.leaf_hash(bytes([i])) for i in range(20)]


def cp(size: int, leaves: list[bytes] = LEAVES) -> Checkpoint:
    return Checkpoint(origin=ORIGIN, size=size, root=merkle.root(leaves[:size]))


def state(size: int) -> WitnessedState:
    return WitnessedState(origin=ORIGIN, size=size, root=merkle.root(LEAVES[:size]))


def test_first_use_needs_old_size_zero() -> None:
    assert judge(last=None, checkpoint=cp(5), old_size=0, proof=[]).finding is Finding.FIRST
    stale = judge(last=None, checkpoint=cp(5), old_size=3, proof=[])
    assert stale.finding is Finding.STALE and not stale.alarm
    with pytest.raises(ConflictError):
        stale.enforce()


def test_a_proven_extension_is_cosignable() -> None:
    verdict = judge(
        last=state(7), checkpoint=cp(20), old_size=7, proof=merkle.consistency_proof(LEAVES, 7)
    )
    assert verdict.finding is Finding.CONSISTENT and verdict.cosignable
    verdict.enforce()
    again = judge(last=state(20), checkpoint=cp(20), old_size=20, proof=[])
    assert again.finding is Finding.UNCHANGED and again.cosignable


def test_rollback_fork_and_inconsistency_are_alarms() -> None:
    forked = [*LEAVES[:7], merkle.leaf_hash(b"rewritten"), *LEAVES[8:]]
    cases = [
        (judge(last=state(12), checkpoint=cp(9), old_size=12, proof=[]), Finding.ROLLBACK),
        (judge(last=state(12), checkpoint=cp(12, forked), old_size=12, proof=[]), Finding.FORK),
        (
            judge(
                last=state(12),
                checkpoint=cp(20, forked),
                old_size=12,
                proof=merkle.consistency_proof(forked, 12),
            ),
            Finding.INCONSISTENT,
        ),
        (judge(last=state(12), checkpoint=cp(20), old_size=12, proof=[]), Finding.INCONSISTENT),
    ]
    for verdict, finding in cases:
        assert verdict.finding is finding and verdict.alarm and not verdict.cosignable
        with pytest.raises(WitnessAlarm, match=finding.value):
            verdict.enforce()


def test_a_partner_wrong_about_our_size_is_told_to_retry() -> None:
    verdict = judge(
        last=state(12), checkpoint=cp(20), old_size=7, proof=merkle.consistency_proof(LEAVES, 7)
    )
    assert verdict.finding is Finding.STALE


def test_state_of_another_log_is_a_programming_error() -> None:
    other = WitnessedState(origin="jpn.gsomia.example/ledger", size=1, root=LEAVES[0])
    with pytest.raises(InputError):
        judge(last=other, checkpoint=cp(3), old_size=1, proof=[])
