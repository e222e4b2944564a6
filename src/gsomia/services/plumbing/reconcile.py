"""Holding the whole store to the ledger (``gsomia audit verify``; design rule 12).

The ledger accounts for every sealed write (:mod:`gsomia.ports.state`): each unit of work's
journal rows are summed up by one ``state.recorded`` entry, and the ledger's checkpoints are
signed and witnessed. :class:`Reconciler` checks, in this order:

1. **the journal against the ledger**: each ``state.recorded`` entry's digest and count
   match the journal rows that name it, and no journal row names anything else;
2. **the store against the journal**: every row of the registry, items, label versions and
   workflow records is the newest write the journal knows of it, under a seal that matches
   its values. A row that fails is named, with what happened to it:

   ========== ==============================================================
   changed     its values no longer match its seal
   inserted    the ledger accounts for no such row
   rolled back an older version than the newest the ledger accounts for
   restored    deleted by the node, and back
   deleted     accounted for by the ledger, and missing
   ========== ==============================================================

A **full** check walks every row. An **incremental** check walks only the journal since the
last clean check (kept as a sealed record), looks at the rows those writes touched and
compares each table's row count with the count the journal accounts for: a deletion or
insertion anywhere shows in the counts, and a full check then names the rows. Either way,
a changed row is refused when the rules read it (its seal fails).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from gsomia.errors import UnknownName
from gsomia.ledger.entries import Event, LedgerEntry
from gsomia.ports.ledger import AlarmRecord
from gsomia.ports.state import SEALED_TABLES, JournalRow, SealedRow, journal_digest
from gsomia.ports.store import StateReader, WorkflowRecord
from gsomia.services.plumbing.context import NodeContext
from gsomia.services.plumbing.state import TAMPERED

__all__ = ["Finding", "Reconciler", "Reconciliation"]

_logger = logging.getLogger(__name__)
_PAGE = 5000
_MARKER = Event.STATE_RECORDED.value.encode()
#: The workflow record that keeps where the last clean check stopped.
AUDIT_KIND = "state-audit"
AUDIT_ID = "store"


@dataclass(frozen=True, slots=True, kw_only=True)
class Finding:
    """One row (or journal entry) that the ledger does not vouch for."""

    table: str
    row: str
    problem: str
    detail: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Reconciliation:
    """What one check of the store against the ledger covered and found."""

    incremental: bool
    entries: int
    journal: int
    rows: int
    since: int
    findings: tuple[Finding, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.findings


@dataclass
class _Tally:
    entries: int = 0
    journal: int = 0
    rows: int = 0
    findings: list[Finding] = field(default_factory=list)

    def add(self, table: str, row: str, problem: str, detail: str) -> None:
        self.findings.append(Finding(table=table, row=row, problem=problem, detail=detail))


def _name(table: str, key: str, version: int) -> str:
    return f"{key}@{version}" if table in ("labels", "records") else key


class Reconciler:
    """Checks a node's store against its ledger, fully or since the last clean check."""

    def __init__(self, ctx: NodeContext, *, progress: Callable[[str, int], None] | None = None):
        self.ctx = ctx
        self.progress = progress or (lambda _what, _n: None)

    # Entry points ----------------------------------------------------------------------------

    def full(self) -> Reconciliation:
        """Check every journal row against the ledger and every sealed row against the
        journal; remember where a clean check stopped."""
        tally = _Tally()
        ledger_size, seq = self._sizes()
        accounts = self._accounts(0, ledger_size, tally)
        _, last = self._journal(0, seq, ledger_size, accounts, tally)
        with self.ctx.store.read() as uow:
            for table in SEALED_TABLES:
                self._table(uow, table, tally)
        return self._finish(tally, incremental=False, since=0, ledger_size=ledger_size, seq=last)

    def incremental(self) -> Reconciliation:
        """Check only what the journal wrote since the last clean check, and each table's
        row count; a full check when there was none."""
        mark = self._mark()
        if mark is None:
            return self.full()
        since, ledger_from = mark
        tally = _Tally()
        ledger_size, seq = self._sizes()
        accounts = self._accounts(ledger_from, ledger_size, tally)
        touched, last = self._journal(since, seq, ledger_size, accounts, tally)
        with self.ctx.store.read() as uow:
            for write in touched.values():
                self._one(uow, write, tally)
            for table in SEALED_TABLES:
                self._counts(uow, table, tally)
        return self._finish(
            tally, incremental=True, since=since, ledger_size=ledger_size, seq=max(last, since)
        )

    # The journal against the ledger ----------------------------------------------------------

    def _sizes(self) -> tuple[int, int]:
        """The ledger's size, then the journal's: every journal row of an entry before that
        size is in the journal by then (both commit in one transaction)."""
        size = self.ctx.store.ledger.size()
        with self.ctx.store.read() as uow:
            return size, uow.journal_size()

    def _accounts(self, start: int, end: int, tally: _Tally) -> dict[int, tuple[str, int]]:
        """Each ``state.recorded`` entry in ``[start, end)``: its index, digest and count."""
        accounts: dict[int, tuple[str, int]] = {}
        log = self.ctx.store.ledger
        for index, raw in enumerate(log.iter_entries(start, end), start=start):
            if _MARKER not in raw:
                continue
            entry = LedgerEntry.from_bytes(raw)
            if entry.event is Event.STATE_RECORDED:
                accounts[index] = (entry.details["record"], int(entry.details["count"]))
            tally.entries += 1
            if tally.entries % 10_000 == 0:
                self.progress("ledger", tally.entries)
        return accounts

    def _journal(
        self,
        after: int,
        upto: int,
        ledger_size: int,
        accounts: dict[int, tuple[str, int]],
        tally: _Tally,
    ) -> tuple[dict[tuple[str, str, int], JournalRow], int]:
        """Check each unit of work's journal rows in ``(after, upto]`` whose entry is before
        ``ledger_size`` against that entry; the newest journaled write of each row touched,
        and the last journal row checked."""
        touched: dict[tuple[str, str, int], JournalRow] = {}
        seen: set[int] = set()
        last = after
        for entry, rows in self._groups(after, upto):
            if entry >= ledger_size:
                break  # a unit of work that committed after the ledger was read
            seen.add(entry)
            last = rows[-1].seq
            tally.journal += len(rows)
            account = accounts.get(entry)
            if account is None:
                account = self._account_at(entry)
            if account is None:
                tally.add("state_journal", f"entry {entry}", "inserted", _UNACCOUNTED)
            elif account != (journal_digest(rows), len(rows)):
                tally.add("state_journal", f"entry {entry}", "changed", _MISMATCH)
            for row in rows:
                touched[row.table, row.key, row.version] = row
        for entry, (_, count) in accounts.items():
            if entry not in seen:
                detail = f"the ledger accounts for {count} journal rows that are missing"
                tally.add("state_journal", f"entry {entry}", "deleted", detail)
        return touched, last

    def _groups(self, after: int, upto: int) -> Iterator[tuple[int, list[JournalRow]]]:
        """Journal rows in ``(after, upto]``, one unit of work's at a time."""
        current: list[JournalRow] = []
        while True:
            with self.ctx.store.read() as uow:
                page = [r for r in uow.journal(after=after, limit=_PAGE) if r.seq <= upto]
            for row in page:
                if current and row.entry != current[0].entry:
                    yield current[0].entry, current
                    current = []
                current.append(row)
            if len(page) < _PAGE:
                break
            after = page[-1].seq
        if current:
            yield current[0].entry, current

    def _account_at(self, index: int) -> tuple[str, int] | None:
        """The account a ledger entry before the checked range gives, if it is one."""
        log = self.ctx.store.ledger
        if not 0 <= index < log.size():
            return None
        entry = LedgerEntry.from_bytes(log.entries(index, index + 1)[0])
        if entry.event is not Event.STATE_RECORDED:
            return None
        return entry.details["record"], int(entry.details["count"])

    # The store against the journal -----------------------------------------------------------

    def _table(self, uow: StateReader, table: str, tally: _Tally) -> None:
        """Every row of ``table`` against the newest journaled write of it."""
        expected: dict[tuple[str, int], bytes | None] = {}
        after: tuple[str, int] = ("", -1)
        while page := uow.journal_latest(table, after=after, limit=_PAGE):
            expected.update(((r.key, r.version), r.seal) for r in page)
            after = (page[-1].key, page[-1].version)
        after = ("", -1)
        while rows := uow.sealed_rows(table, after=after, limit=_PAGE):
            for row in rows:
                self._compare(table, row, expected.pop((row.key, row.version), _NONE), tally)
            tally.rows += len(rows)
            self.progress(table, tally.rows)
            after = (rows[-1].key, rows[-1].version)
        for (key, version), seal in expected.items():
            if seal is not None:
                tally.add(table, _name(table, key, version), "deleted", _DELETED)

    def _one(self, uow: StateReader, write: JournalRow, tally: _Tally) -> None:
        """One row the journal touched since the last check, against its newest write."""
        table, key, version = write.table, write.key, write.version
        row = uow.sealed_row(table, key, version)
        tally.rows += 1
        if row is None:
            if write.seal is not None:
                tally.add(table, _name(table, key, version), "deleted", _DELETED)
            return
        self._compare(table, row, write.seal, tally)

    @staticmethod
    def _compare(
        table: str, row: SealedRow, expected: bytes | object | None, tally: _Tally
    ) -> None:
        name = _name(table, row.key, row.version)
        if not row.intact and expected is _NONE:
            detail = "the ledger accounts for no such row, and its seal does not match"
            tally.add(table, name, "inserted", detail)
        elif not row.intact:
            tally.add(table, name, "changed", "its values no longer match its seal")
        elif expected is _NONE:
            tally.add(table, name, "inserted", "the ledger accounts for no such row")
        elif expected is None:
            tally.add(table, name, "restored", "the node deleted it; it is back")
        elif expected != row.seal:
            detail = "an older version than the newest the ledger accounts for"
            tally.add(table, name, "rolled back", detail)

    def _counts(self, uow: StateReader, table: str, tally: _Tally) -> None:
        held, accounted = uow.count_rows(table), uow.journal_count(table)
        if held != accounted:
            detail = (
                f"holds {held} rows, the ledger accounts for {accounted}: rows were inserted "
                "or deleted outside the node (a full check names them)"
            )
            tally.add(table, "*", "count", detail)

    # Where a clean check stopped -------------------------------------------------------------

    def _mark(self) -> tuple[int, int] | None:
        try:
            with self.ctx.store.read() as uow:
                record = uow.record(AUDIT_KIND, AUDIT_ID)
        except UnknownName:
            return None
        return int(record.body["journal"]), int(record.body["ledger"])

    def _finish(
        self, tally: _Tally, *, incremental: bool, since: int, ledger_size: int, seq: int
    ) -> Reconciliation:
        if not tally.findings:
            self._remember(seq, ledger_size)
        else:
            _logger.error("audit: %d rows the ledger does not vouch for", len(tally.findings))
            self._alarm(tally.findings)
        return Reconciliation(
            incremental=incremental,
            entries=tally.entries,
            journal=tally.journal,
            rows=tally.rows,
            since=since,
            findings=tuple(tally.findings),
        )

    def _alarm(self, findings: list[Finding]) -> None:
        """One alarm per finding not raised before: a person must look (docs/operations.md)."""
        ledger = self.ctx.store.ledger
        raised = {a.message for a in ledger.alarms() if a.finding == TAMPERED}
        for f in findings:
            message = f"store row {f.table}/{f.row} {f.problem}: {f.detail}"
            if message in raised:
                continue
            raised.add(message)
            evidence = {"table": f.table, "row": f.row, "finding": f.problem}
            ledger.add_alarm(
                AlarmRecord(
                    raised_at=self.ctx.clock.now(),
                    origin=ledger.origin,
                    finding=TAMPERED,
                    message=message,
                    evidence=json.dumps(evidence, sort_keys=True),
                )
            )

    def _remember(self, seq: int, ledger_size: int) -> None:
        now = self.ctx.clock.now()
        with self.ctx.store.unit_of_work() as uow:
            try:
                version = uow.record(AUDIT_KIND, AUDIT_ID).version + 1
            except UnknownName:
                version = 1
            body = {"journal": seq, "ledger": ledger_size, "at": now.isoformat()}
            uow.put_record(
                WorkflowRecord(
                    kind=AUDIT_KIND,
                    id=AUDIT_ID,
                    state="clean",
                    body=json.loads(json.dumps(body)),
                    updated_at=now,
                    version=version,
                )
            )


_NONE = object()
_DELETED = "accounted for by the ledger, and missing"
_UNACCOUNTED = "journal rows that no ledger entry accounts for"
_MISMATCH = "the journal rows differ from what their ledger entry accounts for"
