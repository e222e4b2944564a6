"""The store's read view offers the read sides only: the type checker refuses a write through
it, and accepts the same write through a unit of work (``mypy --strict`` on a snippet); and
every store adapter is a :class:`~gsomia.ports.store.Store` to it."""

from __future__ import annotations

import re

import pytest

mypy_api = pytest.importorskip("mypy.api")

SNIPPET = """
from gsomia.adapters.storage.memory_store import MemoryStore
from gsomia.adapters.storage.sql import SqlStore
from gsomia.core.people import Facility
from gsomia.ports.store import (
    CustodyReader, ItemRecord, LabelRecord, OutboxMessage, ReadView, RegistryReader, Store,
    UnitOfWork, WorkflowRecord,
)


def reads(store: Store) -> int:
    with store.read() as view:
        return len(view.facilities()) + view.count_items() + len(view.records("consent"))


def writes_in_a_unit_of_work(store: Store, item: ItemRecord, f: Facility) -> None:
    with store.unit_of_work() as uow:
        uow.add_items([item])
        uow.add_facility(f)
        uow.keys.destroy(item.id)


def writes_in_a_read_view(
    store: Store, item: ItemRecord, label: LabelRecord, f: Facility, m: OutboxMessage,
    r: WorkflowRecord,
) -> None:
    with store.read() as view:
        view.add_items([item])  # refused: 1
        view.add_label(label)  # refused: 2
        view.add_facility(f)  # refused: 3
        view.put_record(r)  # refused: 4
        view.enqueue(m)  # refused: 5
        view.set_item_state(item.id, item.state)  # refused: 6
        view.keys.destroy(item.id)  # refused: 7
        view.append_ledger([], keys=[])  # refused: 8


def narrow(registry: RegistryReader, custody: CustodyReader, f: Facility) -> None:
    registry.add_facility(f)  # refused: 9
    custody.item("x")
    registry.item("x")  # refused: 10


def widen(view: ReadView) -> UnitOfWork:
    return view  # refused: 11


def every_store_is_a_store(memory: MemoryStore, sql: SqlStore) -> tuple[Store, Store]:
    return memory, sql
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[int, str]:
    where = tmp_path_factory.mktemp("mypy")
    path = where / "snippet.py"
    path.write_text(SNIPPET, encoding="utf-8")
    out, err, _ = mypy_api.run(
        [
            "--strict",
            "--no-error-summary",
            "--follow-imports=silent",
            "--cache-dir",
            str(where / "cache"),
            str(path),
        ]
    )
    assert not err, err
    errors: dict[int, str] = {}
    for line in out.splitlines():
        found = re.match(rf"{re.escape(str(path))}:(\d+): error: (.*)", line)
        if found:
            errors[int(found.group(1))] = found.group(2)
    return errors


def _line_of(marker: str) -> int:
    return next(i for i, s in enumerate(SNIPPET.splitlines(), 1) if s.endswith(marker))


@pytest.mark.parametrize("n", range(1, 12))
def test_each_write_through_a_read_side_is_refused(report: dict[int, str], n: int) -> None:
    line = _line_of(f"# refused: {n}")
    assert line in report, SNIPPET.splitlines()[line - 1]


def test_reads_and_writes_in_a_unit_of_work_type_check(report: dict[int, str]) -> None:
    refused = {_line_of(f"# refused: {n}") for n in range(1, 12)}
    assert set(report) == refused, report
