"""What the memory and SQL adapters share where their logic is the same: how a unit of work
notes and raises a row found tampered with, which optional fields an item's state change
sets, and how a ledger store answers roots and proofs from its tiles once the tree size is
checked."""

from __future__ import annotations

import logging
from typing import NoReturn

from gsomia.errors import StateTampered
from gsomia.ledger.tiles import TileProofs
from gsomia.ports.state import StateSeals

__all__ = ["ProofReads", "TamperFindings", "item_state_changes", "report_tampered"]


class TamperFindings:
    """The rows a unit of work found tampered with, reported once the transaction ends."""

    tampered: list[StateTampered]

    def fail(self, table: str, key: str, version: int, finding: str) -> NoReturn:
        """Note and raise a row that failed its check."""
        name = f"{key}@{version}" if table in ("labels", "records") else key
        error = StateTampered(table=table, key=name, finding=finding)
        self.note(error)
        raise error

    def note(self, error: StateTampered) -> None:
        """Note a row found tampered with, to be reported once the transaction ends."""
        if all(error is not e for e in self.tampered):
            self.tampered.append(error)


def report_tampered(
    seals: StateSeals | None, findings: TamperFindings | None, *, logger: logging.Logger
) -> None:
    """Report every row a unit of work found tampered with, once it has ended."""
    if findings is None or seals is None:
        return
    for error in findings.tampered:
        try:
            seals.alarm(error)
        except Exception:  # the refusal stands even when the alarm cannot be stored
            logger.exception("could not record the alarm for %s", error)


def item_state_changes(
    *,
    label_digest: str | None,
    holder_level_ref: str | None,
    purpose_lapsed: bool | None,
) -> dict[str, object]:
    """The fields a ``set_item_state`` call changes besides the state: those given."""
    given = {
        "label_digest": label_digest,
        "holder_level_ref": holder_level_ref,
        "purpose_lapsed": purpose_lapsed,
    }
    return {name: value for name, value in given.items() if value is not None}


class ProofReads:
    """Roots and proofs of a ledger store, read from its tiles at a checked tree size."""

    _proofs: TileProofs

    def _check_size(self, tree_size: int) -> None:
        """Raise IndexError unless ``tree_size`` is integrated."""
        raise NotImplementedError

    def root(self, tree_size: int) -> bytes:
        """The root at ``tree_size``, read from the tiles."""
        self._check_size(tree_size)
        return self._proofs.root(tree_size)

    def inclusion_proof(self, index: int, tree_size: int) -> list[bytes]:
        """Inclusion proof of ``index`` at ``tree_size``, read from the tiles."""
        self._check_size(tree_size)
        return self._proofs.inclusion_proof(index, tree_size)

    def consistency_proof(self, old_size: int, new_size: int) -> list[bytes]:
        """Consistency proof from ``old_size`` to ``new_size``."""
        self._check_size(new_size)
        return self._proofs.consistency_proof(old_size, new_size)
