"""The in-process bus: subscribers called in order on one delivery thread."""

from __future__ import annotations

import logging
import queue
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from gsomia.errors import TransportError

__all__ = ["InProcessBus"]

_logger = logging.getLogger(__name__)
_HISTORY = 10_000
#: Message ids remembered for de-duplication.
_IDS = 100_000


@dataclass
class _Sub:
    subject: str
    handler: Callable[[bytes], None]
    active: bool = True

    def cancel(self) -> None:
        self.active = False


@dataclass
class InProcessBus:
    """:class:`gsomia.ports.bus.Bus` within one process (keeps the last messages per subject
    for ``replay``)."""

    _subs: list[_Sub] = field(default_factory=list)
    _history: dict[str, deque[bytes]] = field(default_factory=dict)
    _ids: dict[str, None] = field(default_factory=dict)
    _queue: queue.Queue[tuple[_Sub | None, bytes]] = field(default_factory=queue.Queue)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _closed: bool = False

    def publish(self, subject: str, payload: bytes, *, msg_id: str | None = None) -> None:
        with self._lock:
            if self._closed:
                raise TransportError("the bus is closed")
            if msg_id is not None:
                key = f"{subject}\0{msg_id}"
                if key in self._ids:
                    return
                self._ids[key] = None
                if len(self._ids) > _IDS:
                    del self._ids[next(iter(self._ids))]
            self._history.setdefault(subject, deque(maxlen=_HISTORY)).append(payload)
            targets = [s for s in self._subs if s.active and s.subject == subject]
            for sub in targets:
                self._queue.put((sub, payload))
            self._start()

    def subscribe(
        self, subject: str, handler: Callable[[bytes], None], *, replay: bool = False
    ) -> _Sub:
        sub = _Sub(subject, handler)
        with self._lock:
            if replay:
                for payload in self._history.get(subject, ()):
                    self._queue.put((sub, payload))
            self._subs.append(sub)
            self._start()
        return sub

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._deliver, name="gsomia-bus", daemon=True)
            self._thread.start()

    def _deliver(self) -> None:
        while True:
            sub, payload = self._queue.get()
            if sub is None:
                return
            if sub.active:
                try:
                    sub.handler(payload)
                except Exception:  # a subscriber's bug must not stop the others
                    _logger.exception("a bus subscriber on %s failed", sub.subject)
            self._queue.task_done()

    def flush(self, timeout: float = 10.0) -> None:
        """Wait until every queued delivery ran (for tests and orderly shutdown)."""
        done = threading.Event()
        self._queue.put((_Sub("", lambda _p: done.set()), b""))
        with self._lock:
            self._start()
        done.wait(timeout)

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
            thread = self._thread
        self._queue.put((None, b""))
        if thread is not None:
            thread.join(5)
