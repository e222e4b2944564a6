"""A store's seals for tests that use a store without a node: state-v1 under a keyring of
their own, one plain ledger entry per unit of work, and the alarms kept in a list."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from gsomia.crypto import Keyring, check_row, generate_keyring, seal_row, seal_rows
from gsomia.errors import StateTampered
from gsomia.ports.state import StateWrite, journal_digest

__all__ = ["TestSeals"]


class TestSeals:
    """:class:`gsomia.ports.state.StateSeals` for store tests."""

    __test__ = False  # not a test class

    def __init__(self, keyring: Keyring | None = None) -> None:
        self.keyring = keyring or generate_keyring(party="KOR", now=datetime.now(UTC))
        self.alarms: list[StateTampered] = []

    def seal(self, table: str, key: str, version: int, values: Sequence[object]) -> bytes:
        return seal_row(keyring=self.keyring, table=table, key=key, version=version, values=values)

    def seal_many(
        self, table: str, rows: Sequence[tuple[str, int, Sequence[object]]]
    ) -> list[bytes]:
        return seal_rows(keyring=self.keyring, table=table, rows=rows)

    def check(
        self, table: str, key: str, version: int, values: Sequence[object], seal: bytes | None
    ) -> None:
        check_row(
            keyring=self.keyring, table=table, key=key, version=version, values=values, seal=seal
        )

    def account(self, writes: Sequence[StateWrite]) -> bytes:
        return f"state {journal_digest(writes)} {len(writes)}".encode()

    def alarm(self, error: StateTampered) -> None:
        self.alarms.append(error)
