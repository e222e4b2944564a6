"""The authenticated state of the SQL unit of work (:mod:`gsomia.ports.state`): the journal
of sealed writes, the sealed rows an audit walks, and resealing."""

from __future__ import annotations

from gsomia.adapters.storage.sql._unit import UnitParts
from gsomia.ports.state import JournalRow, SealedRow

__all__ = ["SealedStateMethods"]


class SealedStateMethods(UnitParts):
    """Journal and sealed-row reads, and resealing, inside the unit of work's transaction."""

    def journal(self, *, after: int = 0, limit: int = 1000) -> list[JournalRow]:
        return self.sealer.journal(after, limit)

    def journal_latest(
        self, table: str, *, after: tuple[str, int] = ("", -1), limit: int = 1000
    ) -> list[JournalRow]:
        return self.sealer.journal_latest(table, after, limit)

    def sealed_rows(
        self, table: str, *, after: tuple[str, int] = ("", -1), limit: int = 1000
    ) -> list[SealedRow]:
        return self.sealer.sealed_rows(table, after, limit)

    def sealed_row(self, table: str, key: str, version: int = 0) -> SealedRow | None:
        return self.sealer.sealed_row(table, key, version)

    def journal_count(self, table: str) -> int:
        return self.sealer.journal_count(table)

    def count_rows(self, table: str) -> int:
        return self.sealer.count(table)

    def journal_size(self) -> int:
        return self.sealer.last_seq()

    def reseal_rows(
        self,
        table: str,
        *,
        after: tuple[str, int] = ("", -1),
        limit: int = 500,
        trust: bool = False,
    ) -> tuple[str, int] | None:
        return self.sealer.reseal(table, after, limit, trust=trust)
