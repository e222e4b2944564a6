"""What a node records of its frame streams, so that no nonce repeats and no replay is
accepted across restarts (frame-v1): a sender's reserved sequence numbers, a receiver's
floors. One row per (role, stream), written in place: only the newest value matters, and
it only grows."""

from __future__ import annotations

from sqlalchemy import Connection, insert, select, update

from gsomia.adapters.storage.sql import tables as t
from gsomia.adapters.storage.sql._unit import UnitParts
from gsomia.ports.store import FrameState

__all__ = ["FrameMethods", "frame_states", "put_frame_state"]


def frame_states(conn: Connection, role: str) -> list[FrameState]:
    """Every stream state recorded for ``role`` (``sender`` or ``receiver``)."""
    rows = conn.execute(select(t.frame_states).where(t.frame_states.c.role == role))
    return [
        FrameState(
            role=r.role, stream=r.stream, item_id=r.item_id, epoch=int(r.epoch), value=int(r.value)
        )
        for r in rows
    ]


def put_frame_state(conn: Connection, state: FrameState) -> None:
    """Record ``state``, replacing the stream's earlier one unless that is further on (a
    state never moves back: a late writer cannot lower a counter or a floor)."""
    row = conn.execute(
        select(t.frame_states.c.epoch, t.frame_states.c.value).where(
            t.frame_states.c.role == state.role, t.frame_states.c.stream == state.stream
        )
    ).first()
    values = {"item_id": state.item_id, "epoch": state.epoch, "value": state.value}
    if row is None:
        conn.execute(
            insert(t.frame_states), [{"role": state.role, "stream": state.stream, **values}]
        )
    elif (state.epoch, state.value) > (int(row.epoch), int(row.value)):
        conn.execute(
            update(t.frame_states)
            .where(t.frame_states.c.role == state.role, t.frame_states.c.stream == state.stream)
            .values(**values)
        )


class FrameMethods(UnitParts):
    """Frame stream states inside the unit of work's transaction."""

    def frame_states(self, role: str) -> list[FrameState]:
        return frame_states(self._conn, role)

    def put_frame_state(self, state: FrameState) -> None:
        put_frame_state(self._conn, state)
