"""Group commit on SQLite: units of work that queue for the writer share one commit, and
each still succeeds or fails on its own (``adapters.storage.sql.group_commit``)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, event, text

from gsomia.adapters.storage.sql.group_commit import GroupCommit
from gsomia.adapters.storage.sql.store import make_engine
from gsomia.errors import StorageError

THREADS = 12
UNITS = 8


@pytest.fixture
def engine(tmp_path: Path) -> Iterator[Engine]:
    engine = make_engine(f"sqlite:///{tmp_path / 'node.db'}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE rows (v INTEGER PRIMARY KEY)"))
    yield engine
    engine.dispose()


def _commits(engine: Engine) -> list[int]:
    seen: list[int] = []
    event.listen(engine, "commit", lambda _conn: seen.append(1))
    return seen


def _in_threads(work: Callable[[int], None]) -> dict[int, BaseException]:
    """Run ``work(n)`` for THREADS x UNITS values of n on THREADS threads at once; what
    each unit raised."""
    barrier = threading.Barrier(THREADS)
    raised: dict[int, BaseException] = {}

    def run(thread: int) -> None:
        barrier.wait()
        for unit in range(UNITS):
            n = thread * UNITS + unit
            try:
                work(n)
            except Exception as exc:
                raised[n] = exc

    threads = [threading.Thread(target=run, args=(t,)) for t in range(THREADS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return raised


def _stored(engine: Engine) -> set[int]:
    with engine.connect() as conn:
        return {int(v) for (v,) in conn.execute(text("SELECT v FROM rows"))}


def _insert(conn: Connection, n: int) -> None:
    conn.execute(text("INSERT INTO rows VALUES (:v)"), {"v": n})
    time.sleep(0.002)  # long enough for the other threads to queue behind this unit


def test_units_that_queue_together_share_commits_and_each_is_stored(engine: Engine) -> None:
    group = GroupCommit(engine, most=4)
    commits = _commits(engine)
    seen_after: list[bool] = []

    def work(n: int) -> None:
        with group.unit() as conn:
            _insert(conn, n)
        # Returned only once committed: another connection sees the row.
        seen_after.append(n in _stored(engine))

    assert _in_threads(work) == {}
    units = THREADS * UNITS
    assert _stored(engine) == set(range(units))
    assert all(seen_after) and len(seen_after) == units
    assert units / 4 <= len(commits) < units


def test_a_unit_that_fails_rolls_back_alone_while_the_rest_of_its_group_commits(
    engine: Engine,
) -> None:
    group = GroupCommit(engine)

    def work(n: int) -> None:
        with group.unit() as conn:
            _insert(conn, n)
            if n % 5 == 0:
                raise ValueError(f"unit {n} refused")

    raised = _in_threads(work)
    failed = {n for n in range(THREADS * UNITS) if n % 5 == 0}
    assert set(raised) == failed
    assert all(isinstance(e, ValueError) for e in raised.values())
    assert _stored(engine) == set(range(THREADS * UNITS)) - failed


def test_when_the_commit_fails_every_member_of_the_group_is_told_and_nothing_is_stored(
    engine: Engine,
) -> None:
    group = GroupCommit(engine)

    def refuse(_conn: object) -> None:
        raise RuntimeError("disk full")

    event.listen(engine, "commit", refuse)
    raised = _in_threads(lambda n: _unit(group, n))
    assert set(raised) == set(range(THREADS * UNITS))
    assert all(isinstance(e, StorageError) and "disk full" in str(e) for e in raised.values())
    event.remove(engine, "commit", refuse)
    assert _stored(engine) == set()


def test_a_unit_inside_a_unit_is_known_to_its_thread(engine: Engine) -> None:
    group = GroupCommit(engine)
    assert not group.held_here
    with group.unit() as conn:
        assert group.held_here
        _insert(conn, 1)
    assert not group.held_here
    assert _stored(engine) == {1}


def _unit(group: GroupCommit, n: int) -> None:
    with group.unit() as conn:
        _insert(conn, n)
