"""Group commit for a SQLite store: the units of work that queue for the one writer share
one transaction and one ``fsync``.

SQLite has one writer at a time, and with ``synchronous = FULL`` every commit waits for
the disk. Sixteen officers providing at once queued behind each other's ``fsync``: most of
the time a request spent in the node was spent waiting for the writer, and two thirds of
the writer's time was the commit (``docs/scaling.md``). Here the writer that finds others
waiting hands the open transaction on instead of committing it; the last of a group (no one
waiting, or :data:`GROUP_MOST` units joined) commits once for all.

What each caller sees is unchanged: its unit runs alone inside a savepoint of its own, so
a unit that fails rolls back only itself; ``unit`` returns only once the group's commit is
on disk, and raises if that commit fails (then nothing of any member was committed). Units
of a group see each other's writes in queue order, as they would one after another.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress

from sqlalchemy import Connection, Engine, RootTransaction

from gsomia.errors import StorageError

__all__ = ["GROUP_MOST", "GroupCommit"]

#: The most units of work one commit carries. A unit holds the writer for 1 to 2 ms; the
#: first of a full group waits for the other units and the commit, so 16 (the clients of
#: ``bench/load.py``) keeps that wait to tens of milliseconds.
GROUP_MOST = 16


class _Group:
    __slots__ = ("conn", "done", "error", "failed", "joined", "trans")

    def __init__(self, conn: Connection, trans: RootTransaction) -> None:
        self.conn = conn
        self.trans = trans
        self.joined = 0
        self.failed: BaseException | None = None  # the transaction cannot be committed
        self.error: BaseException | None = None  # the commit failed
        self.done = threading.Event()


class GroupCommit:
    """The one writer of a SQLite store; safe to share between threads."""

    def __init__(self, engine: Engine, *, most: int = GROUP_MOST) -> None:
        self._engine = engine
        self._most = most
        self._writer = threading.Lock()
        self._count = threading.Lock()
        self._waiting = 0
        self._open: _Group | None = None
        self._inside = threading.local()

    @property
    def held_here(self) -> bool:
        """Whether this thread is inside a unit now (a unit within a unit)."""
        return bool(getattr(self._inside, "held", False))

    @contextmanager
    def unit(self) -> Iterator[Connection]:
        """Run the block as one unit of work on the writer's connection, inside a savepoint;
        return once it is committed. Raises what the block raised (its savepoint rolled
        back), or StorageError when the group's commit failed."""
        with self._count:
            self._waiting += 1
        self._writer.acquire()
        with self._count:
            self._waiting -= 1
        self._inside.held = True
        group: _Group | None = None
        try:
            group = self._join()
            group.joined += 1
            savepoint = group.conn.begin_nested()
            try:
                yield group.conn
            except BaseException:
                _roll_back(savepoint, group)
                raise
            try:
                savepoint.commit()
            except BaseException as exc:
                group.failed = exc
                raise
        finally:
            self._inside.held = False
            self._finish(group)
        group.done.wait()
        if group.error is not None:
            raise StorageError(f"the store failed and rolled back: {group.error}")

    def _join(self) -> _Group:
        if self._open is not None:
            return self._open
        conn = self._engine.connect()
        try:
            trans = conn.begin()
        except BaseException:
            conn.close()
            raise
        self._open = _Group(conn, trans)
        return self._open

    def _finish(self, group: _Group | None) -> None:
        """Hand the open group on to a waiting writer, or commit it; release the writer."""
        try:
            if group is None:
                return
            with self._count:
                waiting = self._waiting
            if waiting and group.joined < self._most and group.failed is None:
                return  # the next writer joins the group and finishes it
            self._open = None
            _end(group)
        finally:
            self._writer.release()


def _roll_back(savepoint: object, group: _Group) -> None:
    try:
        savepoint.rollback()  # type: ignore[attr-defined]
    except BaseException as exc:  # the transaction is in an unknown state: give it up
        group.failed = exc


def _end(group: _Group) -> None:
    """Commit the group (or roll it back when a member left it broken); wake its members."""
    try:
        if group.failed is not None:
            group.error = group.failed
            group.trans.rollback()
        else:
            group.trans.commit()
    except Exception as exc:  # every member must learn that nothing was committed
        group.error = exc
        with suppress(Exception):
            group.trans.rollback()
    finally:
        try:
            group.conn.close()
        finally:
            group.done.set()
