"""Witnessing a partner's log: cosign only what extends what was cosigned before.

A node witnesses each partner's ledger the way C2SP ``tlog-witness`` describes: it keeps,
per partner origin, the last checkpoint it cosigned, and cosigns a new one only when a
consistency proof (RFC 9162 §2.1.4) shows that the new tree extends the old. A checkpoint
that is smaller than the last one cosigned (a *rollback*), one of equal size with another
root (a *fork*), or one that the partner cannot prove consistent (*inconsistent*) is refused
and raises :class:`~gsomia.errors.WitnessAlarm`: the partner's own key signed a history
that contradicts one it signed before, which a person must look at.

:func:`judge` returns a :class:`Judgement` that explains itself (for the alarm record);
:meth:`Judgement.enforce` raises. The caller persists the new state atomically with the
cosignature, and the alarm where a person sees it.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from gsomia.errors import ConflictError, InputError, IntegrityError, WitnessAlarm
from gsomia.ledger.checkpoint import Checkpoint
from gsomia.ledger.merkle import verify_consistency

__all__ = ["Finding", "Judgement", "WitnessedState", "judge"]


@dataclass(frozen=True, slots=True, kw_only=True)
class WitnessedState:
    """The last checkpoint this node cosigned for one partner log."""

    origin: str
    size: int
    root: bytes


class Finding(enum.StrEnum):
    """What a witness concluded about a checkpoint it was asked to cosign."""

    FIRST = "first"  # no earlier state: trusted on first use, from size 0
    UNCHANGED = "unchanged"  # same size and root as last time: cosigned again
    CONSISTENT = "consistent"  # a valid consistency proof extends the last state
    STALE = "stale"  # the partner's idea of our last size is wrong: retry with ours
    ROLLBACK = "rollback"  # smaller than a checkpoint already cosigned
    FORK = "fork"  # same size as the last cosigned, different root
    INCONSISTENT = "inconsistent"  # larger, but no valid consistency proof


_ALARMS = frozenset({Finding.ROLLBACK, Finding.FORK, Finding.INCONSISTENT})


@dataclass(frozen=True, slots=True, kw_only=True)
class Judgement:
    """A witness's finding about one checkpoint, with one sentence of reason."""

    finding: Finding
    reason: str

    @property
    def alarm(self) -> bool:
        """Whether the finding is evidence of a forked or rolled-back log."""
        return self.finding in _ALARMS

    @property
    def cosignable(self) -> bool:
        """Whether the witness may cosign."""
        return self.finding in {Finding.FIRST, Finding.UNCHANGED, Finding.CONSISTENT}

    def enforce(self) -> None:
        """Raise :class:`WitnessAlarm` on an alarm and :class:`ConflictError` when stale."""
        if self.alarm:
            raise WitnessAlarm(f"{self.finding.value}: {self.reason}")
        if self.finding is Finding.STALE:
            raise ConflictError(self.reason)


def judge(
    *,
    last: WitnessedState | None,
    checkpoint: Checkpoint,
    old_size: int,
    proof: Sequence[bytes],
) -> Judgement:
    """Decide whether ``checkpoint`` may be cosigned after ``last`` (C2SP tlog-witness).

    ``old_size`` is the size the partner believes this witness last cosigned and ``proof``
    its consistency proof from that size. Raises :class:`InputError` when ``last`` belongs to
    another log.
    """
    if last is None:
        if old_size != 0:
            return Judgement(finding=Finding.STALE, reason="this witness has cosigned nothing yet")
        return Judgement(finding=Finding.FIRST, reason=f"first checkpoint, size {checkpoint.size}")
    if last.origin != checkpoint.origin:
        raise InputError(f"witness state is for {last.origin!r}, not {checkpoint.origin!r}")
    return _compare(last, checkpoint, old_size, proof)


def _compare(
    last: WitnessedState, checkpoint: Checkpoint, old_size: int, proof: Sequence[bytes]
) -> Judgement:
    if checkpoint.size < last.size:
        return Judgement(
            finding=Finding.ROLLBACK,
            reason=f"{checkpoint.origin} presents size {checkpoint.size} after {last.size}",
        )
    if checkpoint.size == last.size:
        if checkpoint.root == last.root:
            return Judgement(finding=Finding.UNCHANGED, reason=f"size {last.size} again")
        return Judgement(
            finding=Finding.FORK,
            reason=f"{checkpoint.origin} signed two different roots at size {last.size}",
        )
    if old_size != last.size:
        return Judgement(
            finding=Finding.STALE,
            reason=f"this witness last cosigned size {last.size}, not {old_size}",
        )
    try:
        verify_consistency(
            old_size=last.size,
            new_size=checkpoint.size,
            old_root=last.root,
            new_root=checkpoint.root,
            proof=proof,
        )
    except IntegrityError as exc:
        return Judgement(
            finding=Finding.INCONSISTENT,
            reason=f"{checkpoint.origin} size {checkpoint.size} does not extend size "
            f"{last.size} as cosigned ({exc})",
        )
    return Judgement(
        finding=Finding.CONSISTENT, reason=f"size {last.size} extends to {checkpoint.size}"
    )
